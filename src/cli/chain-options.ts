import type { Config } from '../config.js';
import type { PipelineOptions } from '../pipeline/pipeline.js';

/** The flags of every command that runs the tier chain (classify, eval, serve, sample…). */
export interface ChainFlags {
  provider: string;
  concurrency: number;
  batchSize: number;
  /** false with --no-cache. */
  cache: string | boolean;
  logLevel?: string;
  modelDir?: string;
  allowRemote?: boolean;
  hubModel?: string;
  timeout?: number;
  maxWait?: number;
  rpm?: number;
  escalateBelow?: number;
  hashtags?: boolean;
  /** --examples: labeled CSVs added to the LLM tiers' example pool. */
  examples?: string[];
}

/** Flags override the environment; the result is what every tier factory receives. */
export function tierConfigFrom(config: Config, options: Partial<ChainFlags>): Config['tiers'] {
  return {
    ...config.tiers,
    modelDir: options.modelDir ?? config.tiers.modelDir,
    allowRemote: options.allowRemote ?? config.tiers.allowRemote,
    hubModel: options.hubModel ?? config.tiers.hubModel,
    timeoutMs: options.timeout ?? config.tiers.timeoutMs,
    maxWaitMs: options.maxWait ?? config.tiers.maxWaitMs,
    rpm: options.rpm ?? config.tiers.rpm,
    exampleFiles: options.examples ?? config.tiers.exampleFiles,
  };
}

export function cachePathFrom(config: Config, cache: string | boolean): string | undefined {
  if (cache === false) return undefined;
  return typeof cache === 'string' ? cache : config.cachePath;
}

type ChainOptions = Pick<ChainFlags, 'provider' | 'concurrency' | 'batchSize' | 'cache' | 'escalateBelow'> & Partial<ChainFlags>;

/** The engine every command runs (classify, eval, serve), from its flags over the environment. */
export function pipelineOptionsFrom(config: Config, options: ChainOptions): PipelineOptions {
  return {
    provider: options.provider,
    tiers: tierConfigFrom(config, options),
    cachePath: cachePathFrom(config, options.cache),
    concurrency: options.concurrency,
    batchSize: options.batchSize,
    escalateBelow: options.escalateBelow,
    ...(options.hashtags === undefined ? {} : { keepHashtags: options.hashtags }),
  };
}
