import { basename } from 'node:path';
import { loadConfig } from '../config.js';
import { FmcError } from '../errors.js';
import { databaseUrlOf } from '../store/database-url.js';
import type { Logger } from '../log.js';
import type { PipelineOptions } from '../pipeline/pipeline.js';
import type { ReadOptions } from '../pipeline/read.js';
import { buildChain } from '../tiers/registry.js';
import { batchesOf, batchId, describeChain, fileDigest, lockBatch, queueNameOf, registerBatch, removeBatch, type Batch, type ChainTier, type CoordinatorLock } from '../queue/batch.js';
import { openQueue, type QueueConnection } from '../queue/boss.js';
import { createQueueEngine, type QueueEngine, type QueueStatus } from '../queue/queue-engine.js';
import { queueSettingsFrom } from '../queue/settings.js';
import { num } from './format.js';
import { clock } from './progress.js';

/** Rows per chunk job: a few hundred, so a lost chunk costs little and a job's JSON stays small. */
export const DEFAULT_CHUNK_ROWS = 500;
/** Chunks out at once: the workers' queue depth ahead of the output; rows held in memory = this × chunk rows. */
const CHUNKS_IN_FLIGHT = 64;

/** `--database-url` or `FMC_DATABASE_URL`, required by --queue, --cancel and fmc worker. */
export function queueDatabaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv, what: string): string {
  const url = databaseUrlOf(flag, loadConfig(env));
  if (!url) throw new FmcError('FMC_ERR_USAGE', `PostgreSQL is needed by ${what}: set FMC_DATABASE_URL=postgres://user@host/db or pass --database-url`);
  return url;
}

/** The summary JSON's `queue` section. */
export interface QueueSummary {
  readonly batch: string;
  readonly chunks: number;
  /** Rows labeled by each worker (its id: host-pid-xxxx). */
  readonly workers: Readonly<Record<string, number>>;
  readonly retriedChunks: number;
  /** Chunks this run sent; the rest were done or queued by an earlier run of the same command. */
  readonly submittedChunks: number;
  /** From the coordinator's start to the output renamed in place. */
  readonly wallMs: number;
}

export interface Coordinator {
  readonly engine: QueueEngine;
  readonly batch: Batch;
  readonly chunkRows: number;
  readonly maxInFlight: number;
  /** A progress line on a terminal: rows done, rows/s, ETA, each worker's share. */
  showProgress(stderr: NodeJS.WriteStream, totalBytes: number | undefined, bytesRead: () => number): () => void;
  summary(startedAt: number): Promise<QueueSummary>;
  /** The output is in place: the batch's jobs and results go. */
  finish(): Promise<void>;
  /** Releases the batch (kept, resumable) and the connections. */
  close(): Promise<void>;
}

interface Identity {
  readonly input: string;
  readonly readOptions: ReadOptions;
  readonly pipelineOptions: PipelineOptions;
  readonly chunkRows: number;
}

/** What decides a chunk's rows and labels, besides the bytes and the chain. */
function shapeOf(identity: Identity): Record<string, unknown> {
  const r = identity.readOptions;
  const p = identity.pipelineOptions;
  return {
    chunkRows: identity.chunkRows,
    format: r.format ?? null,
    sheet: r.sheet ?? null,
    textColumn: r.textColumn ?? null,
    idColumn: r.idColumn ?? null,
    authorColumn: r.authorColumn ?? null,
    // FMC_OPERATOR_ACCOUNTS: the coordinator flags the operator's rows, the workers read the flags.
    operatorAccounts: p.operatorAccounts ? [...p.operatorAccounts].sort() : null,
    skipInvalid: r.skipInvalid ?? false,
    encoding: r.encoding ?? null,
    maxRecordSize: r.maxRecordSize ?? null,
    keepHashtags: p.keepHashtags ?? true,
    escalateBelow: p.escalateBelow ?? null,
  };
}

/** The chain this machine would run: the versions every worker must match. */
async function coordinatorChain(pipelineOptions: PipelineOptions, logger: Logger): Promise<ChainTier[]> {
  const { tiers } = await buildChain(pipelineOptions.provider, pipelineOptions.tiers, logger);
  const chain = tiers.map((t) => ({ name: t.name, version: t.version }));
  await Promise.all(tiers.map((t) => t.close?.()));
  return chain;
}

function requireFile(input: string): void {
  if (input === '-') throw new FmcError('FMC_ERR_USAGE', '--queue reads a file, not stdin: its chunks are keyed by the file\'s digest so a rerun resumes; save the input to a file first');
}

export async function startCoordinator(options: Identity & { url: string; env: NodeJS.ProcessEnv; logger: Logger; stderr: NodeJS.WriteStream; quiet: boolean }): Promise<Coordinator> {
  requireFile(options.input);
  // Workers clean and cascade with their own settings (fmc worker has neither option): these
  // two would be dropped, and the labels differ from a local run's without a word.
  const p = options.pipelineOptions;
  if (p.keepHashtags === false || p.escalateBelow !== undefined) {
    throw new FmcError('FMC_ERR_USAGE', `${p.keepHashtags === false ? '--no-hashtags' : '--escalate-below'} does not reach the queue's workers: run this file without --queue, or without it`);
  }
  const settings = queueSettingsFrom(options.env);
  const [inputDigest, chain] = await Promise.all([fileDigest(options.input), coordinatorChain(options.pipelineOptions, options.logger)]);
  const id = batchId({ inputDigest, shape: shapeOf(options), chain });
  const batch: Batch = { id, queue: queueNameOf(id), inputName: basename(options.input), inputDigest, chain, chunkRows: options.chunkRows };
  let conn: QueueConnection | undefined;
  let lock: CoordinatorLock | undefined;
  try {
    conn = await openQueue(options.url, settings, options.logger);
    lock = await lockBatch(options.url, batch);
    await registerBatch(conn, batch, settings);
    const say = (line: string): void => void (options.quiet || options.stderr.write(`fmc: ${line}\n`));
    const engine = await createQueueEngine({ conn, batch, settings, logger: options.logger, onRefusal: (_worker, message) => say(`warning: ${message}`) });
    say(`queue: batch ${id.slice(0, 12)} of ${batch.inputName}, chain ${describeChain(chain)}; start workers with \`fmc worker\` on the same database`);
    return coordinatorOver(conn, lock, batch, engine);
  } catch (err) {
    await lock?.release();
    await conn?.close();
    throw err;
  }
}

function coordinatorOver(conn: QueueConnection, lock: CoordinatorLock, batch: Batch, engine: QueueEngine): Coordinator {
  let last: QueueStatus | undefined;
  return {
    engine,
    batch,
    chunkRows: batch.chunkRows,
    maxInFlight: CHUNKS_IN_FLIGHT,
    showProgress(stderr, totalBytes, bytesRead) {
      const started = Date.now();
      let baseline: number | undefined;
      let busy = false;
      const draw = async (): Promise<void> => {
        const s = (last = await engine.status());
        // Rows done before this run (a resume) do not count towards its speed.
        baseline ??= s.rowsDone;
        const seconds = (Date.now() - started) / 1000;
        const rate = seconds > 0 ? (s.rowsDone - baseline) / seconds : 0;
        const read = bytesRead();
        // Rows in the file, from the rows per byte read so far; ETA at this run's rate.
        const expected = totalBytes && read > 0 ? Math.round(s.rowsRead / Math.min(1, read / totalBytes)) : undefined;
        const eta = expected !== undefined && rate > 0 ? `ETA ${clock(Math.max(0, expected - s.rowsDone) / rate)}` : 'ETA -';
        const of = expected !== undefined ? `/${num(expected)}` : '';
        const workers = Object.entries(s.workers)
          .map(([w, n]) => `${w} ${Math.round((100 * n) / Math.max(1, s.rowsDone))}%`)
          .join(', ');
        stderr.write(`\r\x1b[2Kqueue: ${num(s.rowsDone)}${of} rows done · ${num(Math.round(rate))} rows/s · ${eta} · workers: ${workers || 'none yet'}`);
      };
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        draw()
          .catch(() => undefined)
          .finally(() => (busy = false));
      }, 1000);
      return () => {
        clearInterval(timer);
        stderr.write('\r\x1b[2K');
      };
    },
    async summary(startedAt) {
      const s = (last = await engine.status().catch(() => last)) ?? { workers: {}, rowsDone: 0, chunksDone: 0, retriedChunks: 0, submitted: 0, rowsRead: 0 };
      return { batch: batch.id, chunks: s.chunksDone, workers: s.workers, retriedChunks: s.retriedChunks, submittedChunks: s.submitted, wallMs: Date.now() - startedAt };
    },
    async finish() {
      await removeBatch(conn, batch);
    },
    async close() {
      await engine.close();
      await lock.release();
      await conn.close();
    },
  };
}

/** `fmc classify <input> --cancel`: removes the input's batches (jobs, results), whatever their options. */
export async function cancelQueued(input: string, url: string, env: NodeJS.ProcessEnv, logger: Logger, stderr: NodeJS.WriteStream): Promise<number> {
  requireFile(input);
  const settings = queueSettingsFrom(env);
  const inputDigest = await fileDigest(input);
  const conn = await openQueue(url, settings, logger, { supervise: false });
  try {
    const batches = await batchesOf(conn, inputDigest);
    if (batches.length === 0) {
      stderr.write(`fmc: ${basename(input)}: nothing queued to cancel\n`);
      return 0;
    }
    for (const b of batches) {
      // A running coordinator would keep waiting for chunks that are gone: refuse instead.
      const lock = await lockBatch(url, { id: b.id, inputName: b.inputName });
      try {
        await removeBatch(conn, b);
      } finally {
        await lock.release();
      }
      stderr.write(`fmc: cancelled batch ${b.id.slice(0, 12)} of ${b.inputName}: its jobs and ${num(b.done)} stored chunks removed\n`);
    }
    return 0;
  } finally {
    await conn.close();
  }
}
