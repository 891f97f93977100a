import { homedir } from 'node:os';
import { join } from 'node:path';
import { FmcError } from './errors.js';

// Environment variables are read here and nowhere else: modules receive a resolved Config.

export interface TierConfig {
  readonly gemini: { readonly apiKey?: string | undefined; readonly model: string; readonly baseUrl?: string | undefined };
  readonly ollama: { readonly host: string; readonly model: string };
  /** Folder of the local model (one sub-folder per field); undefined = the built-in default. */
  readonly modelDir?: string | undefined;
  /** Where the built-in model is trained on first use (under the user cache dir). */
  readonly modelsDir: string;
  readonly allowRemote: boolean;
  /** A hub sentiment model that replaces the local sentiment head (needs allowRemote). */
  readonly hubModel?: string | undefined;
  /** Per-call timeout for tier requests. */
  readonly timeoutMs: number;
  /** A server-requested wait longer than this opens the tier's circuit instead. */
  readonly maxWaitMs: number;
  /** Requests per minute per LLM tier (0 = unlimited). */
  readonly rpm: number;
}

export interface Config {
  readonly cachePath: string;
  readonly dataDir: string;
  readonly logLevel: string;
  readonly tiers: TierConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

/** XDG cache dir: $XDG_CACHE_HOME/fmc, else ~/.cache/fmc. */
export function defaultCacheDir(env: Env = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'fmc');
}

export function defaultDataDir(env: Env = process.env): string {
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'fmc');
}

export function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new FmcError('FMC_ERR_CONFIG', `${name}=${JSON.stringify(raw)} is not a non-negative number`);
  return n;
}

/** Resolve config from the environment once, at start-up. */
export function loadConfig(env: Env = process.env): Config {
  return Object.freeze({
    cachePath: env.FMC_CACHE || join(defaultCacheDir(env), 'cache.sqlite'),
    dataDir: env.FMC_DATA_DIR || defaultDataDir(env),
    logLevel: env.FMC_LOG_LEVEL || 'warn',
    tiers: Object.freeze({
      gemini: { apiKey: env.GEMINI_API_KEY || undefined, model: env.GEMINI_MODEL || 'gemini-2.5-flash', baseUrl: env.GEMINI_BASE_URL || undefined },
      ollama: { host: env.OLLAMA_HOST || 'http://127.0.0.1:11434', model: env.OLLAMA_MODEL || 'mistral' },
      modelDir: env.FMC_MODEL_DIR || undefined,
      modelsDir: join(defaultCacheDir(env), 'models'),
      allowRemote: false,
      timeoutMs: positiveNumber('FMC_TIMEOUT_MS', env.FMC_TIMEOUT_MS, 30_000),
      maxWaitMs: 60_000,
      rpm: 0,
    }),
  });
}
