import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { createChunkClassifier } from '../pipeline/chunk.js';
import { countsSince } from '../pipeline/counts.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { TierUsage } from '../tiers/tier.js';
import { describeChain, sameChain, type ChainTier } from './batch.js';
import type { QueueConnection } from './boss.js';
import { operatorFlags, type ChunkCountsRecord, type ChunkJob, type ChunkLabels } from './queue-engine.js';
import type { QueueSettings } from './settings.js';

const CHUNKS_IN_FLIGHT = 2;

interface BatchRow {
  id: string;
  queue: string;
  input_name: string;
  chain: ChainTier[];
}

export interface WorkerReport {
  readonly chunks: number;
  readonly rows: number;
}

/** "host-1234-a1b2": unique per process, readable in `fmc health` and the coordinator's shares. */
export const newWorkerId = (): string => `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;

export const chainOf = (pipeline: Pick<Pipeline, 'tiers'>): ChainTier[] => pipeline.tiers.map((t) => ({ name: t.name, version: t.version }));

// Resolves after `ms`, or at once when `stop` aborts. Its abort listener goes when it resolves:
// an idle worker sleeps twice a second per slot for days, and each listener left on `stop`
// was kept.
const sleep = (ms: number, stop: AbortSignal): Promise<void> => delay(ms, undefined, { signal: stop }).catch(() => undefined);

function usageOf(pipeline: Pipeline): Record<string, TierUsage> {
  return Object.fromEntries(pipeline.tiers.flatMap((t) => (t.usage ? [[t.name, t.usage()]] : [])));
}

/**
 * Takes chunks until `stop` aborts, one at a time, from every batch whose chain (tier names
 * and model/prompt versions) is this worker's; a batch with another chain is refused, once,
 * in the log and in fmc_queue_refusals (the coordinator shows it), and its chunks are left
 * for workers that match: labels of two model versions never mix in one output. A chunk's
 * labels are stored before its job is completed, and stored once: if this process dies
 * between the two, the chunk runs again elsewhere and its second insert changes nothing.
 */
export async function runWorker(options: {
  conn: QueueConnection;
  pipeline: Pipeline;
  settings: QueueSettings;
  logger: Logger;
  id: string;
  stop: AbortSignal;
  onChunk?: (info: { batch: string; chunk: number; rows: number; ms: number }) => void;
  onRefusal?: (message: string) => void;
}): Promise<WorkerReport> {
  const { conn, pipeline, settings, logger, id, stop } = options;
  const { db, boss } = conn;
  const chain = chainOf(pipeline);
  await db.query(
    `INSERT INTO fmc_queue_workers (id, host, pid, chain, state) VALUES ($1, $2, $3, $4, 'idle')
       ON CONFLICT (id) DO UPDATE SET seen_at = now(), state = 'idle'`,
    [id, hostname(), process.pid, JSON.stringify(chain)],
  );
  const refused = new Set<string>();
  let batches: BatchRow[] = [];
  let refreshedAt = 0;
  let chunks = 0;
  let rows = 0;
  let outage = false;
  let lastCounts = structuredClone(pipeline.counts);
  let lastUsage = usageOf(pipeline);

  const refresh = async (): Promise<void> => {
    batches = await db.query<BatchRow>('SELECT id, queue, input_name, chain FROM fmc_queue_batches ORDER BY created_at, id');
    await db.query(`UPDATE fmc_queue_workers SET seen_at = now(), state = 'idle' WHERE id = $1`, [id]);
    refreshedAt = Date.now();
    for (const b of batches) {
      if (sameChain(b.chain, chain) || refused.has(b.id)) continue;
      refused.add(b.id);
      const message = `worker ${id} refuses the chunks of ${b.input_name}: its chain is ${describeChain(b.chain)}, this worker's is ${describeChain(chain)}; start the worker with the coordinator's --provider and model so versions do not mix`;
      logger.warn({ batch: b.id }, message);
      options.onRefusal?.(message);
      await db.query('INSERT INTO fmc_queue_refusals (batch_id, worker, message) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [b.id, id, message]);
    }
  };

  const runChunk = async (batch: BatchRow, job: { id: string; data: ChunkJob; retryCount: number }): Promise<void> => {
    const started = Date.now();
    const { chunk, texts } = job.data;
    // A fresh repeat window per chunk: a chunk's labels and counts do not depend on which
    // worker ran it or what it ran before.
    const engine = createChunkClassifier(pipeline);
    let labeled;
    try {
      labeled = await engine.labelTexts(texts, undefined, operatorFlags(job.data));
    } catch (err) {
      await boss.fail(batch.queue, job.id, { message: `worker ${id}: ${(err as Error).message}` }).catch(() => undefined);
      logger.warn({ batch: batch.id, chunk, err: (err as Error).message }, 'chunk failed');
      return;
    }
    // The engine's counters since the last chunk this worker finished: with two chunks in
    // flight a chunk's own share cannot be told apart, but the chunks' figures add up to
    // everything the worker spent (tier calls, cache, tokens). Rows, labels and repeats are
    // the chunk's own.
    const countsNow = structuredClone(pipeline.counts);
    const usageNow = usageOf(pipeline);
    const usage: Record<string, TierUsage> = {};
    for (const [tier, u] of Object.entries(usageNow)) {
      const b = lastUsage[tier] ?? { requests: 0, inputTokens: 0, outputTokens: 0 };
      usage[tier] = { requests: u.requests - b.requests, inputTokens: u.inputTokens - b.inputTokens, outputTokens: u.outputTokens - b.outputTokens };
    }
    const spent = countsSince(countsNow, lastCounts);
    lastCounts = countsNow;
    lastUsage = usageNow;
    const own = labeled.counts;
    const labels: ChunkLabels = { codes: Array.from(labeled.codes), distinct: labeled.distinct };
    const counts: ChunkCountsRecord = { counts: { ...spent, rows: own.rows, duplicates: own.duplicates, labels: own.labels, providers: own.providers }, usage };
    await db.query(
      `INSERT INTO fmc_queue_results (batch_id, chunk, rows, labels, counts, worker, attempt) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (batch_id, chunk) DO NOTHING`,
      [batch.id, chunk, texts.length, JSON.stringify(labels), JSON.stringify(counts), id, job.retryCount],
    );
    await boss.complete(batch.queue, job.id);
    chunks++;
    rows += texts.length;
    await db.query(`UPDATE fmc_queue_workers SET seen_at = now(), chunks = chunks + 1, rows = rows + $2 WHERE id = $1`, [id, texts.length]);
    options.onChunk?.({ batch: batch.id, chunk, rows: texts.length, ms: Date.now() - started });
  };

  let refreshing: Promise<void> | undefined;
  const refreshNow = (): Promise<void> => (refreshing ??= refresh().finally(() => (refreshing = undefined)));

  /** One chunk at a time, until stopped: a worker runs CHUNKS_IN_FLIGHT of these. */
  const slot = async (): Promise<void> => {
    while (!stop.aborted) {
      let took = false;
      try {
        if (Date.now() - refreshedAt >= 1000) await refreshNow();
        for (const batch of batches) {
          if (stop.aborted || refused.has(batch.id)) continue;
          const [job] = await boss.fetch<ChunkJob>(batch.queue, { batchSize: 1, includeMetadata: true });
          if (!job) continue;
          took = true;
          await db.query(`UPDATE fmc_queue_workers SET seen_at = now(), state = 'busy' WHERE id = $1`, [id]);
          await runChunk(batch, job);
          break;
        }
        if (outage) logger.warn('queue: database reachable again');
        outage = false;
      } catch (err) {
        // The database went away (or the batch was cancelled under us): the chunk, if any, was
        // not completed and comes back after its expiry. Keep trying; say so once per outage.
        if (!outage) logger.warn({ err: (err as Error).message }, 'queue: database error; retrying');
        outage = true;
        took = false;
      }
      if (!took) await sleep(outage ? Math.max(settings.pollMs, 1000) : settings.pollMs, stop);
    }
  };
  // Two chunks in flight: while one waits on its last tier calls (or is being stored), the
  // other keeps the tier's --concurrency slots busy.
  await Promise.all(Array.from({ length: CHUNKS_IN_FLIGHT }, slot));
  await db.query(`UPDATE fmc_queue_workers SET seen_at = now(), state = 'stopped' WHERE id = $1`, [id]).catch(() => undefined);
  return { chunks, rows };
}
