import { FmcError } from '../errors.js';
import type { LabelResult } from '../labels.js';
import type { Logger } from '../log.js';
import { codeResults, type ChunkClassifier, type EngineStats, type LabeledChunk } from '../pipeline/chunk.js';
import { addCounts, emptyCounts, type Counts } from '../pipeline/counts.js';
import type { TierUsage } from '../tiers/tier.js';
import { jobIdOf, type Batch } from './batch.js';
import type { QueueConnection } from './boss.js';
import type { QueueSettings } from './settings.js';

/** What a worker stores for a chunk: its labels, compact, and the engine's counters over it. */
export interface ChunkLabels {
  readonly codes: readonly number[];
  readonly distinct: readonly LabelResult[];
}

export interface ChunkCountsRecord {
  readonly counts: Counts;
  readonly usage: Readonly<Record<string, TierUsage>>;
}

/** The job a coordinator sends: the chunk's index and its rows' texts. */
export interface ChunkJob {
  readonly batch: string;
  readonly chunk: number;
  readonly texts: readonly string[];
  /** Indexes (in the chunk) of the rows by one of the operator's accounts (the author column). */
  readonly operator?: readonly number[];
}

/** The operator flags of a chunk as the engine takes them, back from a job's index list. */
export function operatorFlags(job: ChunkJob): Uint8Array | undefined {
  if (!job.operator?.length) return undefined;
  const flags = new Uint8Array(job.texts.length);
  for (const i of job.operator) flags[i] = 1;
  return flags;
}

export interface QueueStatus {
  /** Rows whose labels are stored, by worker. */
  readonly workers: Readonly<Record<string, number>>;
  readonly rowsDone: number;
  readonly chunksDone: number;
  /** Chunks a worker took more than once (a worker killed, a chunk expired or failed). */
  readonly retriedChunks: number;
  /** Chunks sent by this coordinator (not found done or queued). */
  readonly submitted: number;
  /** Rows read from the input so far (handed to the queue, done or not). */
  readonly rowsRead: number;
}

export interface QueueEngine extends ChunkClassifier {
  /** Asks the database how far the batch is (progress and the summary). */
  status(): Promise<QueueStatus>;
}

/** How long the coordinator keeps retrying an unreachable database before it gives up. */
const OUTAGE_LIMIT_MS = 30_000;

interface Waiting {
  readonly rows: number;
  readonly resolve: (labeled: LabeledChunk) => void;
  readonly reject: (err: Error) => void;
}

interface ResultRow {
  chunk: number;
  rows: number;
  labels: ChunkLabels;
  counts: ChunkCountsRecord;
}

/**
 * The queue as a chunk classifier: the run loop (pipeline/run.ts) hands it chunks in input
 * order as it reads them and writes what comes back in that order, exactly as with the local
 * engine; here each chunk becomes a pg-boss job that some `fmc worker` labels. A chunk already
 * done (an earlier, interrupted run of the same batch) is not sent again, and one still
 * queued is not sent twice (its job id is the batch's and the chunk's).
 */
export async function createQueueEngine(options: {
  conn: QueueConnection;
  batch: Batch;
  settings: QueueSettings;
  logger: Logger;
  /** A worker refused the batch (its chain differs): said once per worker. */
  onRefusal?: (worker: string, message: string) => void;
}): Promise<QueueEngine> {
  const { conn, batch, settings } = options;
  const { db, boss } = conn;
  const done = new Set((await db.query<{ chunk: number }>('SELECT chunk FROM fmc_queue_results WHERE batch_id = $1', [batch.id])).map((r) => r.chunk));
  const waiting = new Map<number, Waiting>();
  const totals = emptyCounts();
  const usage: Record<string, TierUsage> = {};
  const refused = new Set<string>();
  let next = 0;
  let submitted = 0;
  let rowsRead = 0;
  let closed = false;
  let failure: Error | undefined;

  const failAll = (err: Error): void => {
    failure ??= err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };

  const receive = (row: ResultRow): void => {
    const w = waiting.get(row.chunk);
    if (!w) return;
    waiting.delete(row.chunk);
    if (row.rows !== w.rows || row.labels.codes.length !== w.rows) {
      w.reject(new FmcError('FMC_ERR_QUEUE_CHUNK', `chunk ${row.chunk} of ${batch.inputName} came back with ${row.rows} rows for ${w.rows} sent; run with --cancel, then again`));
      return;
    }
    addCounts(totals, row.counts.counts);
    for (const [tier, u] of Object.entries(row.counts.usage)) {
      const t = (usage[tier] ??= { requests: 0, inputTokens: 0, outputTokens: 0 });
      usage[tier] = { requests: t.requests + u.requests, inputTokens: t.inputTokens + u.inputTokens, outputTokens: t.outputTokens + u.outputTokens };
    }
    const results = row.labels.codes.map((c) => row.labels.distinct[c]!);
    const duplicates = row.counts.counts.duplicates;
    const labeled = codeResults(results, duplicates);
    w.resolve(labeled);
  };

  // One query per tick for every chunk being waited for: results, then failed jobs and refusals.
  let ticks = 0;
  const poll = async (): Promise<void> => {
    if (waiting.size > 0) {
      const rows = await db.query<ResultRow>('SELECT chunk, rows, labels, counts FROM fmc_queue_results WHERE batch_id = $1 AND chunk = ANY($2::int[])', [batch.id, [...waiting.keys()]]);
      for (const row of rows) receive(row);
    }
    if (ticks++ % Math.max(1, Math.round(1000 / settings.pollMs)) !== 0) return;
    for (const r of await db.query<{ worker: string; message: string }>('SELECT worker, message FROM fmc_queue_refusals WHERE batch_id = $1', [batch.id])) {
      if (refused.has(r.worker)) continue;
      refused.add(r.worker);
      options.onRefusal?.(r.worker, r.message);
    }
    if (waiting.size === 0) return;
    const ids = new Map([...waiting.keys()].map((chunk) => [jobIdOf(batch.id, chunk), chunk]));
    const failed = await db.query<{ id: string; output: { message?: string; value?: { message?: string } } | null }>(
      `SELECT id::text, output FROM pgboss.job WHERE name = $1 AND state = 'failed' AND id = ANY($2::uuid[])`,
      [batch.queue, [...ids.keys()]],
    );
    for (const job of failed) {
      const chunk = ids.get(job.id)!;
      const why = job.output?.message ?? job.output?.value?.message ?? 'no reason given';
      const w = waiting.get(chunk);
      waiting.delete(chunk);
      w?.reject(new FmcError('FMC_ERR_QUEUE_CHUNK', `chunk ${chunk} of ${batch.inputName} failed ${settings.retryLimit + 1} times (last: ${why}); the other chunks are kept: run the same command again to retry it`));
    }
  };
  let polling = false;
  // Queries under way: close() waits for them before the pool goes, so none fails on a closed pool.
  const underway = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    underway.add(p);
    void p.then(() => underway.delete(p), () => underway.delete(p));
    return p;
  };
  // The database gone for a while: the run stops with the one-line reason; what the
  // workers stored and the jobs still queued stay, and the same command resumes.
  let failingSince: number | undefined;
  const timer = setInterval(() => {
    if (polling || closed) return;
    polling = true;
    track(poll())
      .then(() => (failingSince = undefined))
      .catch((err: Error) => {
        failingSince ??= Date.now();
        options.logger.warn({ err: err.message }, 'queue: polling for results failed; retrying');
        if (Date.now() - failingSince >= OUTAGE_LIMIT_MS) failAll(err);
      })
      .finally(() => (polling = false));
  }, settings.pollMs);

  /** Sends the chunk's job unless it is done or already queued; a failed one is retried. */
  const submit = async (chunk: number, texts: readonly string[], operator: Uint8Array | undefined): Promise<void> => {
    if (done.has(chunk)) return;
    const id = jobIdOf(batch.id, chunk);
    const flagged = operator ? [...operator.keys()].filter((i) => operator[i] === 1) : [];
    const job: ChunkJob = { batch: batch.id, chunk, texts, ...(flagged.length ? { operator: flagged } : {}) };
    const sent = await boss.send(batch.queue, job, { id });
    if (sent !== null) {
      submitted++;
      return;
    }
    // The job exists: queued or running (leave it), or failed/cancelled by an earlier run.
    const known = await boss.getJobById(batch.queue, id);
    if (known?.state === 'failed') await boss.retry(batch.queue, id);
    else if (known?.state === 'cancelled') await boss.resume(batch.queue, id);
    else if (known?.state === 'completed') {
      // Completed but no result row: removed by hand. Run it again.
      await boss.deleteJob(batch.queue, id);
      await boss.send(batch.queue, job, { id });
      submitted++;
    }
  };

  const engine: QueueEngine = {
    tierNames: batch.chain.map((t) => t.name),
    async labelTexts(texts, _tweets, operator) {
      if (!texts) throw new Error('the queue engine takes raw texts');
      if (closed) throw new FmcError('FMC_ERR_QUEUE_CHUNK', 'the queue coordinator stopped');
      if (failure) throw failure;
      const chunk = next++;
      rowsRead += texts.length;
      const labeled = new Promise<LabeledChunk>((resolve, reject) => waiting.set(chunk, { rows: texts.length, resolve, reject }));
      // close() (Ctrl-C) or a lost database may reject it while the job is still being sent,
      // before the caller holds it: unhandled then, it would end the process with a stack
      // trace instead of exit 130. The caller still gets the rejection from what is returned.
      labeled.catch(() => undefined);
      try {
        await track(submit(chunk, texts, operator));
      } catch (err) {
        waiting.delete(chunk);
        throw err;
      }
      return labeled;
    },
    async stats(): Promise<EngineStats> {
      return { counts: structuredClone(totals), usage: structuredClone(usage) };
    },
    async status() {
      const rows = await db.query<{ worker: string; rows: string; chunks: string; retried: string }>(
        `SELECT worker, sum(rows)::text AS rows, count(*)::text AS chunks, count(*) FILTER (WHERE attempt > 0)::text AS retried
           FROM fmc_queue_results WHERE batch_id = $1 GROUP BY worker ORDER BY worker`,
        [batch.id],
      );
      const workers: Record<string, number> = {};
      let rowsDone = 0;
      let chunksDone = 0;
      let retriedChunks = 0;
      for (const r of rows) {
        workers[r.worker] = Number(r.rows);
        rowsDone += Number(r.rows);
        chunksDone += Number(r.chunks);
        retriedChunks += Number(r.retried);
      }
      return { workers, rowsDone, chunksDone, retriedChunks, submitted, rowsRead };
    },
    async close() {
      closed = true;
      clearInterval(timer);
      failAll(new FmcError('FMC_ERR_QUEUE_CHUNK', 'the queue coordinator stopped'));
      await Promise.allSettled([...underway]);
    },
  };
  return engine;
}
