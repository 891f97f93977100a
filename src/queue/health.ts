import type { OpsCheck } from '../ops/health-checks.js';
import { openPool } from '../store/pg/pool.js';
import type { QueueSettings } from './settings.js';

interface WorkerRow {
  id: string;
  state: string;
  chunks: number;
  rows: string;
  ago: number;
}

interface DepthRow {
  input_name: string;
  queued: number;
  running: number;
  done: number;
}

/**
 * `fmc health` with a database: the workers seen recently and each batch's queue depth. Read
 * only (no migration, no pg-boss start): a health check changes nothing. Optional checks:
 * an idle queue is not a failure.
 */
export async function checkQueue(url: string, settings: QueueSettings): Promise<OpsCheck[]> {
  let pool;
  try {
    pool = await openPool(url, { max: 1, applicationName: 'fmc health' });
  } catch (err) {
    return [{ name: 'queue', ok: false, required: false, detail: `queue: ${(err as Error).message}` }];
  }
  try {
    const exists = await pool.query<{ t: string | null }>("SELECT to_regclass('fmc_queue_workers')::text AS t, to_regclass('pgboss.job')::text AS j");
    if (!exists.rows[0]?.t) return [{ name: 'queue workers', ok: true, required: false, detail: 'no fmc worker has run on this database yet' }];
    const workers = (
      await pool.query<WorkerRow>(
        `SELECT id, state, chunks, rows::text, extract(epoch FROM now() - seen_at)::int AS ago FROM fmc_queue_workers
          WHERE seen_at > now() - make_interval(secs => $1) AND state <> 'stopped' ORDER BY id`,
        [settings.workerSeenSeconds],
      )
    ).rows;
    const listed = workers.map((w) => `${w.id} (${w.state}, ${w.chunks} chunks, ${Number(w.rows).toLocaleString('en')} rows, seen ${w.ago} s ago)`);
    const checks: OpsCheck[] = [
      {
        name: 'queue workers',
        ok: true,
        required: false,
        detail: workers.length === 0 ? `no worker seen in the last ${settings.workerSeenSeconds} s` : `${workers.length} seen in the last ${settings.workerSeenSeconds} s: ${listed.join('; ')}`,
      },
    ];
    const hasJobs = (exists.rows[0] as { j?: string | null }).j;
    const depth = hasJobs
      ? (
          await pool.query<DepthRow>(
            `SELECT b.input_name,
                    (SELECT count(*)::int FROM pgboss.job j WHERE j.name = b.queue AND j.state IN ('created', 'retry')) AS queued,
                    (SELECT count(*)::int FROM pgboss.job j WHERE j.name = b.queue AND j.state = 'active') AS running,
                    (SELECT count(*)::int FROM fmc_queue_results r WHERE r.batch_id = b.id) AS done
               FROM fmc_queue_batches b ORDER BY b.created_at`,
          )
        ).rows
      : [];
    const queued = depth.reduce((n, d) => n + d.queued, 0);
    checks.push({
      name: 'queue depth',
      ok: true,
      required: false,
      detail: depth.length === 0 ? 'no batch queued' : `${queued} chunks waiting: ${depth.map((d) => `${d.input_name} ${d.queued} queued, ${d.running} running, ${d.done} done`).join('; ')}`,
    });
    return checks;
  } catch (err) {
    return [{ name: 'queue', ok: false, required: false, detail: `queue: ${(err as Error).message}` }];
  } finally {
    await pool.end().catch(() => undefined);
  }
}
