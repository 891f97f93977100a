// The queue's own tables, beside pg-boss's schema (pgboss.*). pg-boss holds the chunk jobs
// (state, expiry, retries); these hold what the jobs are for and what they produced.

import type { PgMigration } from '../store/pg/migrate.js';

/** PostgreSQL migrations 40–49 belong to the queue (store/pg/migrations.ts lists them). */
export const QUEUE_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 40,
    name: 'queue_batches',
    sql: `
      -- One row per input being classified through the queue. id: the input's digest with
      -- the options that shape its chunks and labels, so the same command finds its batch again.
      CREATE TABLE fmc_queue_batches (
        id          text PRIMARY KEY,
        queue       text NOT NULL UNIQUE,
        input_name  text NOT NULL,
        input_digest text NOT NULL,
        chain       jsonb NOT NULL,
        chunk_rows  integer NOT NULL,
        chunks      integer,
        created_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX fmc_queue_batches_digest ON fmc_queue_batches (input_digest);
      -- A chunk's labels, one row per chunk, stored once: a chunk that runs twice (its worker
      -- killed after storing, before pg-boss heard) inserts nothing the second time.
      -- labels: {codes, distinct}: row i of the chunk has distinct[codes[i]].
      CREATE TABLE fmc_queue_results (
        batch_id    text NOT NULL REFERENCES fmc_queue_batches (id) ON DELETE CASCADE,
        chunk       integer NOT NULL,
        rows        integer NOT NULL,
        labels      jsonb NOT NULL,
        counts      jsonb NOT NULL,
        worker      text NOT NULL,
        attempt     integer NOT NULL,
        done_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (batch_id, chunk)
      );
      -- Workers report here after each chunk and every few seconds idle: fmc health lists them.
      CREATE TABLE fmc_queue_workers (
        id          text PRIMARY KEY,
        host        text NOT NULL,
        pid         integer NOT NULL,
        chain       jsonb NOT NULL,
        started_at  timestamptz NOT NULL DEFAULT now(),
        seen_at     timestamptz NOT NULL DEFAULT now(),
        chunks      integer NOT NULL DEFAULT 0,
        rows        bigint NOT NULL DEFAULT 0,
        state       text NOT NULL DEFAULT 'idle'
      );
      -- A worker whose chain differs from a batch's says so once here; the coordinator shows it.
      CREATE TABLE fmc_queue_refusals (
        batch_id    text NOT NULL REFERENCES fmc_queue_batches (id) ON DELETE CASCADE,
        worker      text NOT NULL,
        message     text NOT NULL,
        at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (batch_id, worker)
      );
    `,
  },
];
