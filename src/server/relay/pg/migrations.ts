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
  {
    // A chat message in one statement (one round trip instead of about ten): the sender may see
    // the conversation, a repeated clientId answers the stored message, a closed conversation
    // takes nothing, the per-user bucket of migration 22 pays for it, and the seq is taken under
    // the conversation's row lock with the insert and the NOTIFY: the function runs in the
    // caller's one transaction, so a failure anywhere uses no seq. The text is sealed by the
    // caller for the seq it expects (the seq is in the ciphertext's AAD): when another message
    // got there first, nothing is written and 'retry' says the next seq and the wrapped key.
    // Labels likewise: the triage is sealed by the caller from the one it last saw, and 'retry'
    // hands back the current one when another writer changed it meanwhile.
    id: 24,
    name: 'relay_one_statement_send',
    sql: `CREATE FUNCTION relay_send(
            p_conversation text, p_sender bigint, p_name text, p_role text, p_display text, p_staff boolean,
            p_client_id text, p_seq integer, p_body bytea, p_now bigint, p_notice text,
            p_burst double precision, p_per_second double precision,
            OUT outcome text, OUT out_seq integer, OUT out_id bigint, OUT out_key bytea, OUT out_tokens double precision)
          LANGUAGE plpgsql AS $fn$
          DECLARE
            c record;
            now_ms bigint;
            was double precision;
            ok boolean;
          BEGIN
            SELECT cv.customer_id, cv.status, cv.last_seq, cv.wrapped_key INTO c FROM conversations cv WHERE cv.id = p_conversation FOR UPDATE;
            IF NOT FOUND OR (NOT p_staff AND c.customer_id <> p_sender) THEN
              outcome := 'missing';
              RETURN;
            END IF;
            SELECT m.seq, m.id INTO out_seq, out_id FROM messages m WHERE m.conversation_id = p_conversation AND m.sender_id = p_sender AND m.client_id = p_client_id;
            IF FOUND THEN
              outcome := 'duplicate';
              RETURN;
            END IF;
            IF c.status <> 'open' THEN
              outcome := 'closed';
              out_seq := NULL;
              RETURN;
            END IF;
            IF p_body IS NULL OR p_seq IS DISTINCT FROM c.last_seq + 1 THEN
              outcome := 'retry';
              out_seq := c.last_seq + 1;
              out_key := c.wrapped_key;
              RETURN;
            END IF;
            IF p_per_second > 0 THEN
              -- The bucket of pg/rate-limit.ts, the same arithmetic on the database's clock.
              now_ms := (extract(epoch from clock_timestamp()) * 1000)::bigint;
              SELECT b.tokens + (now_ms - b.refilled_at) / 1000.0 * p_per_second INTO was FROM message_buckets b WHERE b.user_id = p_sender FOR UPDATE;
              IF NOT FOUND THEN
                INSERT INTO message_buckets (user_id, tokens, refilled_at) VALUES (p_sender, p_burst, now_ms) ON CONFLICT (user_id) DO NOTHING;
                SELECT b.tokens + (now_ms - b.refilled_at) / 1000.0 * p_per_second INTO was FROM message_buckets b WHERE b.user_id = p_sender FOR UPDATE;
              END IF;
              was := LEAST(p_burst, was);
              ok := was >= 1;
              out_tokens := CASE WHEN ok THEN was - 1 ELSE was END;
              UPDATE message_buckets SET tokens = out_tokens, granted = ok, refilled_at = now_ms WHERE user_id = p_sender;
              IF NOT ok THEN
                outcome := 'limited';
                RETURN;
              END IF;
            END IF;
            UPDATE conversations SET last_seq = p_seq, updated_at = p_now,
                waiting_since = CASE WHEN p_role = 'customer' THEN coalesce(waiting_since, p_now) ELSE NULL END,
                pending = CASE WHEN p_role = 'customer' THEN false ELSE pending END
              WHERE id = p_conversation;
            INSERT INTO messages (conversation_id, seq, sender_id, sender_name, sender_role, sender_display, client_id, body, created_at)
              VALUES (p_conversation, p_seq, p_sender, p_name, p_role, p_display, p_client_id, p_body, p_now)
              RETURNING id INTO out_id;
            out_seq := p_seq;
            PERFORM pg_notify('fmc_relay', p_notice);
            outcome := 'stored';
          END
          $fn$;
          CREATE FUNCTION relay_set_labels(
            p_conversation text, p_seq integer, p_labels bytea, p_known boolean, p_expected bytea, p_triage bytea, p_now bigint, p_notice text,
            OUT outcome text, OUT out_triage bytea, OUT out_key bytea)
          LANGUAGE plpgsql AS $fn$
          DECLARE
            c record;
          BEGIN
            SELECT cv.triage, cv.wrapped_key INTO c FROM conversations cv WHERE cv.id = p_conversation FOR UPDATE;
            IF NOT FOUND THEN
              outcome := 'missing';
              RETURN;
            END IF;
            IF NOT p_known OR c.triage IS DISTINCT FROM p_expected THEN
              outcome := 'retry';
              out_triage := c.triage;
              out_key := c.wrapped_key;
              RETURN;
            END IF;
            UPDATE messages SET labels = p_labels WHERE conversation_id = p_conversation AND seq = p_seq;
            UPDATE conversations SET triage = p_triage, updated_at = p_now WHERE id = p_conversation;
            PERFORM pg_notify('fmc_relay', p_notice);
            outcome := 'stored';
          END
          $fn$;`,
  },
  {
    // relay_send_any: relay_send with the text sealed for a few seqs in a row (p_bodies[k] for
    // seq p_seq + k - 1; a NULL where none was sealed): the message takes the conversation's
    // next seq if one of them is it, so a guess that others made stale by one or two messages
    // (three instances writing to one conversation) is stored at once instead of answering
    // 'retry'. The NOTIFY payload is p_notice followed by the seq taken. relay_send stays for
    // instances of the previous version during a rolling deploy.
    //
    // relay_write_many: the sends and labellings one instance makes in one event-loop turn (for
    // different conversations: an instance writes to one conversation at a time), in one
    // statement and one transaction, each answer tagged with its place. Under load this turns
    // many round trips, commits and NOTIFY wake-ups into one. The locks every writer takes one
    // at a time (a conversation row, then the sender's bucket) are taken here for the whole
    // batch first, conversations in id order, then the buckets in user order: two batches, or
    // a batch and a single send, never wait on each other in a cycle. Every answer is a value
    // ('retry', 'limited', …), so one message does not fail the others; an error (the database
    // going away) rolls the whole batch back, using no seq, and each of its writers is told to
    // send again. p_bodies holds each send's candidates, `width` places each.
    id: 25,
    name: 'relay_batched_writes',
    sql: `CREATE FUNCTION relay_send_any(
            p_conversation text, p_sender bigint, p_name text, p_role text, p_display text, p_staff boolean,
            p_client_id text, p_seq integer, p_bodies bytea[], p_now bigint, p_notice text,
            p_burst double precision, p_per_second double precision,
            OUT outcome text, OUT out_seq integer, OUT out_id bigint, OUT out_key bytea, OUT out_tokens double precision)
          LANGUAGE plpgsql AS $fn$
          DECLARE
            c record;
            k integer;
            body bytea;
            now_ms bigint;
            was double precision;
            ok boolean;
          BEGIN
            SELECT cv.customer_id, cv.status, cv.last_seq, cv.wrapped_key INTO c FROM conversations cv WHERE cv.id = p_conversation FOR UPDATE;
            IF NOT FOUND OR (NOT p_staff AND c.customer_id <> p_sender) THEN
              outcome := 'missing';
              RETURN;
            END IF;
            SELECT m.seq, m.id INTO out_seq, out_id FROM messages m WHERE m.conversation_id = p_conversation AND m.sender_id = p_sender AND m.client_id = p_client_id;
            IF FOUND THEN
              outcome := 'duplicate';
              RETURN;
            END IF;
            IF c.status <> 'open' THEN
              outcome := 'closed';
              out_seq := NULL;
              RETURN;
            END IF;
            k := c.last_seq + 1 - p_seq + 1;
            IF p_seq IS NOT NULL AND k >= 1 AND k <= coalesce(array_length(p_bodies, 1), 0) THEN
              body := p_bodies[k];
            END IF;
            IF body IS NULL THEN
              outcome := 'retry';
              out_seq := c.last_seq + 1;
              out_key := c.wrapped_key;
              RETURN;
            END IF;
            IF p_per_second > 0 THEN
              -- The bucket of pg/rate-limit.ts, the same arithmetic on the database's clock.
              now_ms := (extract(epoch from clock_timestamp()) * 1000)::bigint;
              SELECT b.tokens + (now_ms - b.refilled_at) / 1000.0 * p_per_second INTO was FROM message_buckets b WHERE b.user_id = p_sender FOR UPDATE;
              IF NOT FOUND THEN
                INSERT INTO message_buckets (user_id, tokens, refilled_at) VALUES (p_sender, p_burst, now_ms) ON CONFLICT (user_id) DO NOTHING;
                SELECT b.tokens + (now_ms - b.refilled_at) / 1000.0 * p_per_second INTO was FROM message_buckets b WHERE b.user_id = p_sender FOR UPDATE;
              END IF;
              was := LEAST(p_burst, was);
              ok := was >= 1;
              out_tokens := CASE WHEN ok THEN was - 1 ELSE was END;
              UPDATE message_buckets SET tokens = out_tokens, granted = ok, refilled_at = now_ms WHERE user_id = p_sender;
              IF NOT ok THEN
                outcome := 'limited';
                RETURN;
              END IF;
            END IF;
            out_seq := c.last_seq + 1;
            UPDATE conversations SET last_seq = out_seq, updated_at = p_now,
                waiting_since = CASE WHEN p_role = 'customer' THEN coalesce(waiting_since, p_now) ELSE NULL END,
                pending = CASE WHEN p_role = 'customer' THEN false ELSE pending END
              WHERE id = p_conversation;
            INSERT INTO messages (conversation_id, seq, sender_id, sender_name, sender_role, sender_display, client_id, body, created_at)
              VALUES (p_conversation, out_seq, p_sender, p_name, p_role, p_display, p_client_id, body, p_now)
              RETURNING id INTO out_id;
            PERFORM pg_notify('fmc_relay', p_notice || out_seq);
            outcome := 'stored';
          END
          $fn$;
          CREATE FUNCTION relay_write_many(
            p_kind text[], p_conversation text[], p_seq integer[], p_now bigint[], p_notice text[],
            p_sender bigint[], p_name text[], p_role text[], p_display text[], p_staff boolean[], p_client_id text[], p_bodies bytea[], width integer,
            p_burst double precision[], p_per_second double precision[],
            p_labels bytea[], p_known boolean[], p_expected bytea[], p_triage bytea[])
          RETURNS TABLE (b_n integer, b_outcome text, b_seq integer, b_id bigint, b_key bytea, b_tokens double precision, b_triage bytea)
          LANGUAGE plpgsql AS $fn$
          DECLARE
            i integer;
            u record;
            s record;
            l record;
          BEGIN
            PERFORM 1 FROM conversations cv WHERE cv.id = ANY(p_conversation) ORDER BY cv.id FOR UPDATE;
            -- A sender's first bucket is made here too, in the same order (relay_send_any would
            -- make it in the batch's order).
            FOR u IN
              SELECT x.sender, max(x.burst) AS burst FROM unnest(p_kind, p_sender, p_burst, p_per_second) AS x(kind, sender, burst, per_second)
              WHERE x.kind = 's' AND x.per_second > 0 GROUP BY x.sender ORDER BY x.sender
            LOOP
              PERFORM 1 FROM message_buckets b WHERE b.user_id = u.sender FOR UPDATE;
              IF NOT FOUND THEN
                INSERT INTO message_buckets (user_id, tokens, refilled_at) VALUES (u.sender, u.burst, (extract(epoch from clock_timestamp()) * 1000)::bigint)
                  ON CONFLICT (user_id) DO NOTHING;
                PERFORM 1 FROM message_buckets b WHERE b.user_id = u.sender FOR UPDATE;
              END IF;
            END LOOP;
            FOR i IN 1 .. coalesce(array_length(p_kind, 1), 0) LOOP
              b_n := i;
              IF p_kind[i] = 's' THEN
                SELECT r.outcome, r.out_seq, r.out_id, r.out_key, r.out_tokens INTO s
                  FROM relay_send_any(p_conversation[i], p_sender[i], p_name[i], p_role[i], p_display[i], p_staff[i], p_client_id[i], p_seq[i],
                                      p_bodies[(i - 1) * width + 1 : i * width], p_now[i], p_notice[i], p_burst[i], p_per_second[i]) r;
                b_outcome := s.outcome; b_seq := s.out_seq; b_id := s.out_id; b_key := s.out_key; b_tokens := s.out_tokens; b_triage := NULL;
              ELSE
                SELECT r.outcome, r.out_triage, r.out_key INTO l
                  FROM relay_set_labels(p_conversation[i], p_seq[i], p_labels[i], p_known[i], p_expected[i], p_triage[i], p_now[i], p_notice[i]) r;
                b_outcome := l.outcome; b_seq := NULL; b_id := NULL; b_key := l.out_key; b_tokens := NULL; b_triage := l.out_triage;
              END IF;
              RETURN NEXT;
            END LOOP;
          END
          $fn$;`,
  },
  {
    // A conversation's version, one more at every update of its row: watchers keep the later
    // of two summaries, which two reads on two pool connections may hand over in either
    // order (SQLite: m011_conversation_version). A BEFORE trigger costs no second write and
    // covers every writer, the functions above included.
    id: 30,
    name: 'relay_conversation_version',
    sql: `ALTER TABLE conversations ADD COLUMN version bigint NOT NULL DEFAULT 0;
          CREATE FUNCTION relay_conversation_version() RETURNS trigger LANGUAGE plpgsql AS $fn$
          BEGIN
            NEW.version := OLD.version + 1;
            RETURN NEW;
          END
          $fn$;
          CREATE TRIGGER conversations_version BEFORE UPDATE ON conversations
            FOR EACH ROW EXECUTE FUNCTION relay_conversation_version();`,
  },
  {
    // Every message updates its conversation's row (last seq, the customer's wait, triage).
    // With updated_at in an index (the closed list's), none of those updates could be HOT:
    // each added an entry to every index of the table and left a dead row version for vacuum
    // (DECISIONS.md: 2 % HOT in a bench run, the 50 rows' table grown to 450 KB). The closed
    // list is ordered by when a conversation closed instead, and the pages keep room for new
    // versions beside the old. The row trigger keeps closed_at for every writer, an instance
    // of the previous version too during a rolling deploy: set when the row becomes closed,
    // kept while it stays so, cleared when it reopens.
    id: 31,
    name: 'relay_conversations_hot_updates',
    sql: `ALTER TABLE conversations ADD COLUMN closed_at bigint;
          CREATE OR REPLACE FUNCTION relay_conversation_version() RETURNS trigger LANGUAGE plpgsql AS $fn$
          BEGIN
            NEW.version := OLD.version + 1;
            NEW.closed_at := CASE WHEN NEW.status = 'closed' THEN coalesce(OLD.closed_at, NEW.updated_at) END;
            RETURN NEW;
          END
          $fn$;
          UPDATE conversations SET status = status WHERE status = 'closed';
          DROP INDEX conversations_closed;
          CREATE INDEX conversations_closed ON conversations (closed_at) WHERE status = 'closed';
          ALTER TABLE conversations SET (fillfactor = 70);`,
  },
];
