import { loadConfig } from '../config.js';
import { EXIT } from '../errors.js';
import { createLogger } from '../log.js';
import { checkCache, checkConfig, checkDatabase, checkDataDb, checkDisk, checkSecrets, checkServer, type OpsCheck } from '../ops/health-checks.js';
import { checkTiers } from '../tiers/registry.js';
import { databaseUrlFrom } from './chain-options.js';
import { processIO, type CommandIO } from './command-io.js';
import { colorsFor } from './colors.js';
import { plainTable } from './format.js';

export interface HealthOptions {
  json?: boolean;
  /** Base URL of a running `fmc serve`, e.g. http://127.0.0.1:8502. */
  url?: string;
  /** Let tiers make their real (free) remote checks, e.g. a Gemini models lookup. */
  deep?: boolean;
  /** Check only the tiers of this chain (as `fmc serve --provider`); default auto: all. */
  provider?: string;
  dataDir?: string;
  cache?: string;
  /** PostgreSQL mode (also FMC_DATABASE_URL): its connection and migrations are checked, and the cache there. */
  databaseUrl?: string;
  modelDir?: string;
  /** Minimum free space in the data dir, MiB. */
  minFree?: number;
  /** Milliseconds for the --url request. */
  timeout?: number;
  logLevel?: string;
}

export interface HealthSummary {
  readonly status: 'ok' | 'degraded' | 'fail';
  readonly checks: readonly OpsCheck[];
}

export const DEFAULT_MIN_FREE_MB = 512;

export function summarize(checks: readonly OpsCheck[]): HealthSummary {
  const failed = checks.filter((c) => !c.ok);
  const status = failed.length === 0 ? 'ok' : failed.some((c) => c.required) ? 'fail' : 'degraded';
  return { status, checks };
}

export const exitCodeOf = (status: HealthSummary['status']): number => (status === 'ok' ? EXIT.ok : status === 'degraded' ? EXIT.degraded : EXIT.runtime);

const PATH_VARS = ['HOME', 'XDG_CACHE_HOME', 'XDG_DATA_HOME', 'FMC_CACHE', 'FMC_DATA_DIR', 'FMC_DATABASE_URL'] as const;
const pick = (env: CommandIO['env'], keys: readonly string[]): Record<string, string | undefined> => Object.fromEntries(keys.map((k) => [k, env[k]]));

/** Runs every check; a bad environment still reports disk and server, which need no config. */
export async function runHealth(options: HealthOptions, env: CommandIO['env']): Promise<HealthSummary> {
  const checks: OpsCheck[] = [];
  const { check, config: parsed, serverEnv } = checkConfig(env);
  checks.push(check);
  // When a value fails to parse, the path variables alone still locate the data dir and cache.
  const config = parsed ?? loadConfig(pick(env, PATH_VARS));
  const dataDir = options.dataDir ?? config.dataDir;
  checks.push(checkSecrets(serverEnv, dataDir));
  let databaseUrl: string | undefined;
  try {
    databaseUrl = databaseUrlFrom(config, options);
  } catch (err) {
    checks.push({ name: 'database', ok: false, required: true, detail: (err as Error).message });
  }
  if (databaseUrl !== undefined) checks.push(await checkDatabase(databaseUrl));
  checks.push(await checkCache({ path: options.cache ?? config.cachePath, databaseUrl }));
  checks.push(checkDataDb(dataDir));
  checks.push(checkDisk(dataDir, options.minFree ?? DEFAULT_MIN_FREE_MB));
  const logger = createLogger(options.logLevel ?? config.logLevel);
  const tierConfig = { ...config.tiers, modelDir: options.modelDir ?? config.tiers.modelDir };
  for (const t of await checkTiers(tierConfig, logger, { deep: options.deep ?? false, provider: options.provider ?? 'auto' })) {
    // Not configured is not down: such a tier is off, and changes no exit code.
    checks.push({ name: `tier ${t.name}`, ok: t.check.ok || t.configured === false, required: t.required, detail: t.check.detail, ...(t.configured === false ? { configured: false } : {}) });
  }
  if (options.url) checks.push(await checkServer(options.url, options.timeout ?? 5000));
  // With a database: the workers of `fmc classify --queue` seen recently, and the queue's depth.
  if (databaseUrl) {
    const [{ checkQueue }, { queueSettingsFrom }] = await Promise.all([import('../queue/health.js'), import('../queue/settings.js')]);
    let settings;
    try {
      settings = queueSettingsFrom(env);
    } catch (err) {
      checks.push({ name: 'queue', ok: false, required: false, detail: (err as Error).message });
    }
    if (settings) checks.push(...(await checkQueue(databaseUrl, settings)));
  }
  return summarize(checks);
}

/** `fmc health`: a table (or JSON) on stdout; exit 0 healthy (tiers not configured are off, not down), 1 a required check failed, 3 only a configured optional tier. */
export async function health(options: HealthOptions, io: CommandIO = processIO()): Promise<number> {
  const summary = await runHealth(options, io.env);
  if (options.json) {
    io.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } else {
    const c = colorsFor(io.stdout as NodeJS.WriteStream, io.env);
    const mark = (k: (typeof summary.checks)[number]): string => (k.configured === false ? c.dim('off') : k.ok ? c.green('ok') : k.required ? c.red('FAIL') : c.yellow('warn'));
    io.stdout.write(plainTable(summary.checks.map((k) => [mark(k), k.name, k.detail])) + '\n');
    const verdict = { ok: c.green('healthy'), degraded: c.yellow('degraded: only optional checks failed'), fail: c.red('unhealthy: a required check failed') }[summary.status];
    io.stdout.write(`${verdict}\n`);
  }
  return exitCodeOf(summary.status);
}
