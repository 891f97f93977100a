import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseOperatorAccounts } from './clean/author.js';
import { FmcError } from './errors.js';
import { parseSlaMinutes, type SlaTargets } from './server/console/sla.js';
import { tierSettingsFrom } from './tiers/registry.js';
import type { TierConfig } from './tiers/tier-module.js';

// Environment variables are read here and nowhere else: modules receive a resolved Config.

export type { SharedTierConfig, TierConfig } from './tiers/tier-module.js';

/** What `fmc serve` reads from the environment (flags override some of it in cli/serve.ts). */
export interface ServerEnv {
  /** HS256 key for access tokens; undefined = a generated one kept in the data dir. */
  readonly jwtSecret?: string | undefined;
  /** Origins allowed by CORS; empty = no cross-origin access; ['*'] = any, without credentials. */
  readonly corsOrigins: readonly string[];
  readonly tokenTtlSeconds: number;
  /** FMC_REFRESH_TTL: a refresh session (the dashboard's silent renewal) unused this long ends. */
  readonly refreshTtlSeconds: number;
  /** FMC_MASTER_KEY (base64 of 32 bytes) for the relay's data keys; undefined = the key file. */
  readonly masterKey?: string | undefined;
  /** FMC_NEW_MASTER_KEY: the key `fmc keys rotate` moves to when FMC_MASTER_KEY is in use. */
  readonly newMasterKey?: string | undefined;
  /** FMC_CHAT_RATE `<burst>/<per second>`: chat messages per user; undefined = the relay's default. */
  readonly chatRate?: { readonly burst: number; readonly perSecond: number } | undefined;
  /** FMC_SLA_MINUTES: the console's answer-time target per urgency, in minutes. */
  readonly slaMinutes: SlaTargets;
}

export interface Config {
  readonly cachePath: string;
  /** FMC_DATABASE_URL: PostgreSQL instead of the SQLite files (store/database-url.ts); undefined = SQLite. */
  readonly databaseUrl?: string | undefined;
  readonly dataDir: string;
  readonly logLevel: string;
  readonly tiers: TierConfig;
  /** The operator's account handles (FMC_OPERATOR_ACCOUNTS, comma-separated; clean/author.ts). */
  readonly operatorAccounts: ReadonlySet<string>;
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

// Anyone holding one token can brute-force a short HS256 key offline; 32 base64 characters are ~192 bits.
const MIN_SECRET_LENGTH = 32;

/** The example values shipped in src/ops/templates/fmc.env: public, so never a real key. */
export const PLACEHOLDER_SECRETS: readonly string[] = ['replace-me-with-the-output-of-openssl-rand-base64-48'];

function jwtSecret(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (PLACEHOLDER_SECRETS.includes(raw)) {
    throw new FmcError('FMC_ERR_CONFIG', 'FMC_JWT_SECRET is the example value from fmc.env; set it to `openssl rand -base64 48` or remove it to use a generated secret');
  }
  if (raw.length < MIN_SECRET_LENGTH) {
    throw new FmcError('FMC_ERR_CONFIG', `FMC_JWT_SECRET is ${raw.length} characters; use at least ${MIN_SECRET_LENGTH} (e.g. \`openssl rand -base64 48\`) or unset it to use a generated secret`);
  }
  return raw;
}

/** Comma-separated origins; each must be a bare origin (scheme://host[:port]) or `*` alone. */
export function corsOrigins(raw: string | undefined): string[] {
  const list = (raw ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  if (list.includes('*') && list.length > 1) throw new FmcError('FMC_ERR_CONFIG', 'FMC_CORS_ORIGINS: `*` cannot be combined with other origins');
  for (const origin of list) {
    if (origin === '*') continue;
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== origin) throw new FmcError('FMC_ERR_CONFIG', `FMC_CORS_ORIGINS: ${JSON.stringify(origin)} is not an origin like https://app.example.com (no path, no trailing slash)`);
  }
  return list;
}

/** 0 would time every request out at once: refused, like any other value that cannot work. */
function timeoutMs(raw: string | undefined): number {
  const ms = positiveNumber('FMC_TIMEOUT_MS', raw, 30_000);
  if (ms === 0) throw new FmcError('FMC_ERR_CONFIG', 'FMC_TIMEOUT_MS=0 would time every request out at once; use a number of milliseconds above 0');
  return ms;
}

/** Resolve config from the environment once, at start-up. */
export function loadConfig(env: Env = process.env): Config {
  return Object.freeze({
    cachePath: env.FMC_CACHE || join(defaultCacheDir(env), 'cache.sqlite'),
    databaseUrl: env.FMC_DATABASE_URL || undefined,
    dataDir: env.FMC_DATA_DIR || defaultDataDir(env),
    logLevel: env.FMC_LOG_LEVEL || 'warn',
    operatorAccounts: parseOperatorAccounts(env.FMC_OPERATOR_ACCOUNTS || undefined),
    tiers: Object.freeze({
      // Each tier module reads its own variables (src/tiers/modules/).
      ...tierSettingsFrom(env),
      modelDir: env.FMC_MODEL_DIR || undefined,
      modelsDir: join(defaultCacheDir(env), 'models'),
      allowRemote: false,
      timeoutMs: timeoutMs(env.FMC_TIMEOUT_MS),
      maxWaitMs: 60_000,
      rpm: 0,
    }),
  });
}

/** The server's part of the environment, read by `fmc serve` only: a bad FMC_JWT_SECRET must not break `fmc classify`. */
export function loadServerEnv(env: Env = process.env): ServerEnv {
  return Object.freeze({
    jwtSecret: jwtSecret(env.FMC_JWT_SECRET),
    corsOrigins: Object.freeze(corsOrigins(env.FMC_CORS_ORIGINS)),
    tokenTtlSeconds: positiveNumber('FMC_TOKEN_TTL', env.FMC_TOKEN_TTL, 900) || 900,
    refreshTtlSeconds: positiveNumber('FMC_REFRESH_TTL', env.FMC_REFRESH_TTL, 43_200) || 43_200,
    masterKey: env.FMC_MASTER_KEY || undefined,
    newMasterKey: env.FMC_NEW_MASTER_KEY || undefined,
    chatRate: chatRate(env.FMC_CHAT_RATE),
    slaMinutes: parseSlaMinutes(env.FMC_SLA_MINUTES),
  });
}

function chatRate(raw: string | undefined): ServerEnv['chatRate'] {
  if (raw === undefined || raw === '') return undefined;
  const m = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(raw);
  if (!m) throw new FmcError('FMC_ERR_CONFIG', `FMC_CHAT_RATE=${JSON.stringify(raw)}: use <burst>/<messages per second>, e.g. 20/1 (0/0 turns the limit off)`);
  return { burst: Number(m[1]), perSecond: Number(m[2]) };
}
