import type { PgMigration } from './migrate.js';

// The agent console's shared data on PostgreSQL (range 75–79). Batch corrections go in the
// relay's corrections table (migration 21 already takes rows without a conversation) and
// canned replies in migration 61's table (seeded there as in SQLite's m007); what was
// missing is the attachments table, SQLite's m007 twin: the file and its name are sealed
// under the conversation's data key, and go when the conversation goes.
export const CONSOLE_DATA_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 75,
    name: 'attachments',
    sql: `CREATE TABLE attachments (
            id text PRIMARY KEY,
            conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            uploader_id bigint NOT NULL,
            content_type text NOT NULL,
            size integer NOT NULL,
            name bytea NOT NULL,
            body bytea NOT NULL,
            seq integer,
            created_at bigint NOT NULL
          );
          CREATE INDEX attachments_message ON attachments (conversation_id, seq);`,
  },
];
