import type { Config } from '../config.js';
import { FmcError } from '../errors.js';
import { databaseUrlOf } from '../store/database-url.js';
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
  /** --database-url: PostgreSQL for the cache and the shared request budgets (over FMC_DATABASE_URL). */
  databaseUrl?: string;
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

/** The database these flags name (store/database-url.ts); `--cache <path>` beside it is a contradiction, refused. */
export function databaseUrlFrom(config: Config, options: Pick<Partial<ChainFlags>, 'databaseUrl' | 'cache'>): string | undefined {
  const url = databaseUrlOf(options.databaseUrl, config);
  if (url !== undefined && typeof options.cache === 'string') {
    throw new FmcError('FMC_ERR_USAGE', "--cache names an SQLite file, but a database URL is set (--database-url or FMC_DATABASE_URL): the cache is PostgreSQL's; drop one of them");
  }
  return url;
}

type ChainOptions = Pick<ChainFlags, 'provider' | 'concurrency' | 'batchSize' | 'cache' | 'escalateBelow'> & Partial<ChainFlags>;

/** The engine every command runs (classify, eval, serve), from its flags over the environment. */
export function pipelineOptionsFrom(config: Config, options: ChainOptions): PipelineOptions {
  return {
    provider: options.provider,
    tiers: tierConfigFrom(config, options),
    cachePath: cachePathFrom(config, options.cache),
    databaseUrl: databaseUrlFrom(config, options),
    concurrency: options.concurrency,
    batchSize: options.batchSize,
    escalateBelow: options.escalateBelow,
    // FMC_OPERATOR_ACCOUNTS: the engine's cleaner (API, chat) and the CSV author column agree.
    operatorAccounts: config.operatorAccounts,
    ...(options.hashtags === undefined ? {} : { keepHashtags: options.hashtags }),
  };
}
