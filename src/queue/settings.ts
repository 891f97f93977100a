import { FmcError } from '../errors.js';

/**
 * How the queue behaves, from the environment (resolved once, by the command). The defaults
 * suit real batches; tests shorten expiry and retries so a killed worker's chunk comes back
 * in seconds instead of minutes.
 */
export interface QueueSettings {
  /** A chunk still active this long after a worker took it is taken to be lost and retried. */
  readonly expireSeconds: number;
  /** How often expired chunks are looked for (pg-boss maintenance; one process does it per interval). */
  readonly maintenanceSeconds: number;
  /** Attempts after the first before a chunk is failed for good. */
  readonly retryLimit: number;
  readonly retryDelaySeconds: number;
  /** How often an idle worker looks for chunks, and the coordinator for results. */
  readonly pollMs: number;
  /** A worker that has not reported for this long is no longer listed by `fmc health`. */
  readonly workerSeenSeconds: number;
}

const DEFAULTS: QueueSettings = { expireSeconds: 600, maintenanceSeconds: 30, retryLimit: 3, retryDelaySeconds: 5, pollMs: 500, workerSeenSeconds: 60 };

const VARS: Record<keyof QueueSettings, string> = {
  expireSeconds: 'FMC_QUEUE_EXPIRE_SECONDS',
  maintenanceSeconds: 'FMC_QUEUE_MAINTENANCE_SECONDS',
  retryLimit: 'FMC_QUEUE_RETRY_LIMIT',
  retryDelaySeconds: 'FMC_QUEUE_RETRY_DELAY_SECONDS',
  pollMs: 'FMC_QUEUE_POLL_MS',
  workerSeenSeconds: 'FMC_QUEUE_WORKER_SEEN_SECONDS',
};

/** Lower bounds pg-boss itself asserts (expiry and maintenance at least a second). */
const MIN: Record<keyof QueueSettings, number> = { expireSeconds: 1, maintenanceSeconds: 1, retryLimit: 0, retryDelaySeconds: 0, pollMs: 50, workerSeenSeconds: 1 };

export function queueSettingsFrom(env: NodeJS.ProcessEnv): QueueSettings {
  const settings = { ...DEFAULTS };
  for (const key of Object.keys(VARS) as (keyof QueueSettings)[]) {
    const raw = env[VARS[key]];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < MIN[key]) throw new FmcError('FMC_ERR_CONFIG', `${VARS[key]}=${raw}: expected a whole number of at least ${MIN[key]}`);
    settings[key] = value;
  }
  return settings;
}
