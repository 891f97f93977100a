import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { hostname } from 'node:os';
import pg from 'pg';
import { FmcError } from '../errors.js';
import type { QueueConnection } from './boss.js';
import { asDbError } from '../store/pg/pool.js';
import type { QueueSettings } from './settings.js';

/** A tier of a chain as workers and coordinators compare them: name and model/prompt version. */
export interface ChainTier {
  readonly name: string;
  readonly version: string;
}

/** "ollama mistral+3fa2 > rules rules-9c1e": how a chain is named in messages. */
export const describeChain = (chain: readonly ChainTier[]): string => chain.map((t) => `${t.name} ${t.version}`).join(' > ');

export const sameChain = (a: readonly ChainTier[], b: readonly ChainTier[]): boolean =>
  a.length === b.length && a.every((t, i) => t.name === b[i]!.name && t.version === b[i]!.version);

/** sha256 of a file's bytes, streamed. */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface BatchIdentity {
  /** sha256 of the input's bytes. */
  readonly inputDigest: string;
  /** Everything else that decides the chunks' rows and their labels: reader options, chunk size, chain. */
  readonly shape: Readonly<Record<string, unknown>>;
  readonly chain: readonly ChainTier[];
}

/** The batch id: the same file with the same options is the same batch, so a rerun finds its chunks. */
export function batchId(identity: BatchIdentity): string {
  return createHash('sha256').update(JSON.stringify(['fmc-queue-1', identity.inputDigest, identity.shape, identity.chain])).digest('hex');
}

export const queueNameOf = (id: string): string => `fmc-chunks-${id.slice(0, 24)}`;

/** The chunk's job id: the same chunk of the same batch is the same job (a uuid pg-boss accepts). */
export function jobIdOf(id: string, chunk: number): string {
  const h = createHash('sha256').update(`${id}:${chunk}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface Batch {
  readonly id: string;
  readonly queue: string;
  readonly inputName: string;
  readonly inputDigest: string;
  readonly chain: readonly ChainTier[];
  readonly chunkRows: number;
}

/** Two advisory-lock keys from a batch id: held by its coordinator's session. */
// 28 bits each: positive in int4 and in the oid columns of pg_locks alike.
const lockKeys = (id: string): [number, number] => [parseInt(id.slice(0, 7), 16), parseInt(id.slice(7, 14), 16)];

export interface CoordinatorLock {
  release(): Promise<void>;
}

/**
 * One coordinator per batch: a session advisory lock on its own connection. PostgreSQL drops
 * it when that connection ends, so a coordinator killed with -9 leaves nothing to clean up.
 */
export async function lockBatch(url: string, batch: Pick<Batch, 'id' | 'inputName'>): Promise<CoordinatorLock> {
  const client = new pg.Client({ connectionString: url, application_name: `fmc classify --queue (pid ${process.pid} on ${hostname()})`.slice(0, 63) });
  client.on('error', () => undefined); // a dropped connection frees the lock; the run finds out on its next query
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw asDbError(err, url);
  }
  const [a, b] = lockKeys(batch.id);
  const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [a, b]);
  if (!rows[0]?.ok) {
    const holder = await client.query<{ application_name: string; client_addr: string | null }>(
      `SELECT a.application_name, a.client_addr::text FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.granted LIMIT 1`,
      [a, b],
    ).catch(() => ({ rows: [] as { application_name: string; client_addr: string | null }[] }));
    await client.end().catch(() => undefined);
    const who = holder.rows[0]?.application_name ? ` (${holder.rows[0].application_name})` : '';
    throw new FmcError(
      'FMC_ERR_QUEUE_BUSY',
      `${batch.inputName} is already being classified through the queue by another coordinator${who}; wait for it, or stop it and run this command again to resume (batch ${batch.id.slice(0, 12)})`,
    );
  }
  return {
    async release() {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [a, b]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/** Finds or creates the batch row and its pg-boss queue (under the coordinator's lock). */
export async function registerBatch(conn: QueueConnection, batch: Batch, settings: QueueSettings): Promise<void> {
  await conn.db.query(
    `INSERT INTO fmc_queue_batches (id, queue, input_name, input_digest, chain, chunk_rows) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
    [batch.id, batch.queue, batch.inputName, batch.inputDigest, JSON.stringify(batch.chain), batch.chunkRows],
  );
  if (!(await conn.boss.getQueue(batch.queue))) {
    await conn.boss.createQueue(batch.queue, {
      name: batch.queue,
      policy: 'standard',
      retryLimit: settings.retryLimit,
      retryDelay: settings.retryDelaySeconds,
      expireInSeconds: settings.expireSeconds,
    });
  }
}

/** Removes a batch: its jobs (the whole pg-boss queue), its results and refusals. */
export async function removeBatch(conn: QueueConnection, batch: Pick<Batch, 'id' | 'queue'>): Promise<void> {
  // pg-boss 10's delete_queue removes the queue row before dropping its job partition, whose
  // foreign key then refuses while jobs remain: the jobs go first (and the archived ones too).
  await conn.db.query('DELETE FROM pgboss.job WHERE name = $1', [batch.queue]);
  await conn.db.query('DELETE FROM pgboss.archive WHERE name = $1', [batch.queue]);
  await conn.boss.deleteQueue(batch.queue);
  await conn.db.query('DELETE FROM fmc_queue_batches WHERE id = $1', [batch.id]);
}

/** The batches of an input (any options): what --cancel removes. */
export async function batchesOf(conn: QueueConnection, inputDigest: string): Promise<{ id: string; queue: string; inputName: string; done: number }[]> {
  return conn.db.query(
    `SELECT b.id, b.queue, b.input_name AS "inputName", (SELECT count(*)::int FROM fmc_queue_results r WHERE r.batch_id = b.id) AS done
       FROM fmc_queue_batches b WHERE b.input_digest = $1`,
    [inputDigest],
  );
}
