import type { PgMigration } from '../../../store/pg/migrate.js';

// The relay on PostgreSQL, numbers 20–39 (store/pg/migrate.ts). The same tables as the SQLite
// data DB (store/sqlite/data-migrations.ts m003, m005): text, labels and triage are
// AES-256-GCM ciphertext under the conversation's data key, wrapped by the master key.
// Times are milliseconds since the epoch. `customer_name` is kept on the conversation (not
// joined): the relay's tables do not depend on where the users live.
export const RELAY_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 20,
    name: 'relay_conversations',
    sql: `CREATE TABLE conversations (
            id text PRIMARY KEY,
            customer_id bigint NOT NULL,
            customer_name text NOT NULL,
            status text NOT NULL CHECK (status IN ('open', 'closed')),
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            last_seq integer NOT NULL DEFAULT 0,
            wrapped_key bytea NOT NULL,
            master_key_id text NOT NULL,
            triage bytea
          );
          CREATE INDEX conversations_customer ON conversations (customer_id);
          CREATE INDEX conversations_closed ON conversations (updated_at) WHERE status = 'closed';
          CREATE TABLE messages (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            seq integer NOT NULL,
            sender_id bigint NOT NULL,
            sender_name text NOT NULL,
            sender_role text NOT NULL,
            client_id text NOT NULL,
            body bytea NOT NULL,
            labels bytea,
            created_at bigint NOT NULL,
            UNIQUE (conversation_id, seq),
            UNIQUE (conversation_id, sender_id, client_id)
          );
          CREATE TABLE relay_meta (
            key text PRIMARY KEY,
            value text NOT NULL
          );`,
  },
  {
    id: 21,
    name: 'relay_corrections',
    sql: `CREATE TABLE corrections (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            created_at bigint NOT NULL,
            user_id bigint NOT NULL,
            username text NOT NULL,
            conversation_id text REFERENCES conversations (id) ON DELETE CASCADE,
            seq integer,
            text text,
            labels bytea NOT NULL,
            provider text,
            version text,
            CHECK ((conversation_id IS NULL) = (seq IS NULL)),
            CHECK ((conversation_id IS NULL) <> (text IS NULL))
          );
          CREATE INDEX corrections_message ON corrections (conversation_id, seq);`,
  },
  {
    // Per-user limits every instance takes from: the chat's message bucket, and fixed windows
    // for the HTTP rate limits and login attempts. A user cannot multiply a budget by the
    // number of servers.
    id: 22,
    name: 'relay_rate_limits',
    sql: `CREATE TABLE message_buckets (
            user_id bigint PRIMARY KEY,
            tokens double precision NOT NULL,
            refilled_at bigint NOT NULL,
            granted boolean NOT NULL DEFAULT true
          );
          CREATE TABLE rate_windows (
            key text PRIMARY KEY,
            hits integer NOT NULL,
            reset_at bigint NOT NULL
          );`,
  },
  {
    // The agent console's state (SQLite m008-m010) behind the same RelayStore methods: pending,
    // the SLA clock, the owner (name kept on the row, like the customer's), display names, reads.
    id: 23,
    name: 'relay_console_state',
    sql: `ALTER TABLE conversations
            ADD COLUMN pending boolean NOT NULL DEFAULT false,
            ADD COLUMN waiting_since bigint,
            ADD COLUMN assignee_id bigint,
            ADD COLUMN assignee_name text,
            ADD COLUMN assignee_display text;
          ALTER TABLE messages ADD COLUMN sender_display text;
          CREATE TABLE conversation_reads (
            user_id bigint NOT NULL,
            conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            last_read_seq integer NOT NULL,
            PRIMARY KEY (user_id, conversation_id)
          );`,
  },
];
