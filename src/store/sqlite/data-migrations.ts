import type { Database } from 'better-sqlite3';
import { applyMigrations, type Migration } from './migrate.js';

// The server's data database (users now; conversations and messages come with the relay).
// Numbered, applied in order; never edit one that has shipped.
const MIGRATIONS: readonly Migration[] = [
  {
    id: 'm001_users',
    sql: `CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'customer')),
            created_at INTEGER NOT NULL
          );`,
  },
  {
    // One row rewritten by the readiness probe: a real write is the only proof the DB takes writes.
    id: 'm002_health_probe',
    sql: `CREATE TABLE health_probe (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            checked_at INTEGER NOT NULL
          );`,
  },
  {
    // The relay. Text, labels and triage are AES-256-GCM ciphertext under the conversation's
    // data key; the data key is stored wrapped by the master key (see server/relay/keyring.ts).
    // `master_key_id` says which master key wrapped it, so a wrong key is named, not guessed.
    id: 'm003_conversations',
    sql: `CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0,
            wrapped_key BLOB NOT NULL,
            master_key_id TEXT NOT NULL,
            triage BLOB
          );
          CREATE INDEX conversations_customer ON conversations (customer_id);
          CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            sender_id INTEGER NOT NULL,
            sender_name TEXT NOT NULL,
            sender_role TEXT NOT NULL,
            client_id TEXT NOT NULL,
            body BLOB NOT NULL,
            labels BLOB,
            created_at INTEGER NOT NULL,
            UNIQUE (conversation_id, seq),
            UNIQUE (conversation_id, sender_id, client_id)
          );
          CREATE TABLE relay_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
          );`,
  },
  {
    // Ids are reused after a removal (INTEGER PRIMARY KEY without AUTOINCREMENT), so a token
    // naming only the id would pass for the next user given that id. Tokens also carry this
    // random per-user key, which a new account never shares with a removed one.
    id: 'm004_user_session_keys',
    sql: `ALTER TABLE users ADD COLUMN session_key TEXT NOT NULL DEFAULT '';
          UPDATE users SET session_key = lower(hex(randomblob(16)));`,
  },
  {
    // Agents' label corrections (corrections/store.ts). A chat correction points at its
    // message (whose text stays encrypted there) and seals its labels under the conversation's
    // data key; it goes when the conversation goes. A batch row (POST /api/corrections with a
    // text) keeps the caller's text and labels as given. `user_id` is not a foreign key: who
    // corrected is history, kept when the account is removed.
    id: 'm005_corrections',
    sql: `CREATE TABLE corrections (
            id INTEGER PRIMARY KEY,
            created_at INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            username TEXT NOT NULL,
            conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,
            seq INTEGER,
            text TEXT,
            labels BLOB NOT NULL,
            provider TEXT,
            version TEXT,
            CHECK ((conversation_id IS NULL) = (seq IS NULL)),
            CHECK ((conversation_id IS NULL) <> (text IS NULL))
          );
          CREATE INDEX corrections_message ON corrections (conversation_id, seq);`,
  },
  {
    // Refresh sessions (auth/sessions.ts): one row per login, its current refresh secret kept
    // as a SHA-256 (the secret is 256 random bits: a slow hash buys nothing). `session_key`
    // is the account's key when the session began: `fmc users passwd` or a disable changes
    // the account's key, which ends every session; `fmc users remove` deletes them (cascade).
    // A disabled account keeps its conversations and history but cannot log in.
    id: 'm006_refresh_sessions',
    sql: `ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
          CREATE TABLE refresh_sessions (
            id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            session_key TEXT NOT NULL,
            secret_hash TEXT NOT NULL,
            generation INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            used_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            revoked_at INTEGER,
            revoked_why TEXT
          );
          CREATE INDEX refresh_sessions_user ON refresh_sessions (user_id);`,
  },
  {
    // Canned replies (replies/store.ts): shared templates, not customer data, so in clear;
    // seeded with the common cases (admins remove or replace them). Attachments
    // (attachments/store.ts): the file and its name are sealed under the conversation's data
    // key like its messages, kept here rather than in a folder (nothing here is ever served
    // as a file, backups carry them, and they go when the conversation goes); `seq` is the
    // message that shows it, set when that message is sent.
    id: 'm007_replies_attachments',
    sql: `CREATE TABLE canned_replies (
            id INTEGER PRIMARY KEY,
            shortcut TEXT NOT NULL UNIQUE COLLATE NOCASE,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL
          );
          INSERT INTO canned_replies (shortcut, title, body, created_at, created_by) VALUES
            ('panne', 'Panne en cours', 'Bonjour, nous avons identifié un incident sur le réseau de votre secteur. Nos équipes sont mobilisées pour rétablir le service au plus vite et nous vous tiendrons informé de son évolution. Merci de votre patience.', 0, 'fmc'),
            ('redemarrage', 'Redémarrer la Freebox', 'Pouvez-vous débrancher votre Freebox de la prise électrique pendant 30 secondes, puis la rebrancher ? Attendez que l''afficheur indique l''heure, puis dites-moi si le problème persiste.', 0, 'fmc'),
            ('technicien', 'Rendez-vous technicien', 'Je vous propose l''intervention d''un technicien à votre domicile. Pouvez-vous m''indiquer vos disponibilités (jour, et matin ou après-midi) ? Le technicien vous appellera avant son passage.', 0, 'fmc'),
            ('facture', 'Question de facturation', 'Je comprends votre question sur votre facture. Pouvez-vous me préciser le mois concerné et le montant qui vous semble incorrect ? Le détail de vos factures est aussi dans votre Espace Abonné.', 0, 'fmc'),
            ('retour', 'Retour d''équipement', 'Pour le retour de votre équipement, imprimez l''étiquette prépayée depuis votre Espace Abonné et déposez le colis en point relais sous 30 jours, avec tous les câbles et la télécommande.', 0, 'fmc'),
            ('cloture', 'Clôture', 'Merci pour votre message. Je reste à votre disposition si vous avez d''autres questions. Bonne journée !', 0, 'fmc');
          CREATE TABLE attachments (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            uploader_id INTEGER NOT NULL,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            name BLOB NOT NULL,
            body BLOB NOT NULL,
            seq INTEGER,
            created_at INTEGER NOT NULL
          );
          CREATE INDEX attachments_message ON attachments (conversation_id, seq);`,
  },
  {
    // The agent console (#16). `pending`: an agent waits on the customer; the customer's next
    // message makes it open again (it stays `status = 'open'`: it takes messages). `assignee_id`:
    // the owner, cleared when that account is removed. `waiting_since`: when the customer's
    // oldest unanswered message came (the SLA clock), cleared by a staff answer or a close;
    // back-filled here from the messages already stored.
    id: 'm008_conversation_workflow',
    sql: `ALTER TABLE conversations ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
          ALTER TABLE conversations ADD COLUMN assignee_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
          ALTER TABLE conversations ADD COLUMN waiting_since INTEGER;
          UPDATE conversations SET waiting_since = (
            SELECT MIN(m.created_at) FROM messages m
            WHERE m.conversation_id = conversations.id AND m.sender_role = 'customer'
              AND m.seq > COALESCE((SELECT MAX(s.seq) FROM messages s WHERE s.conversation_id = conversations.id AND s.sender_role <> 'customer'), 0)
          ) WHERE status = 'open';
          CREATE INDEX conversations_assignee ON conversations (assignee_id);`,
  },
  {
    // How far each user has read each conversation: unread = last_seq - last_read_seq.
    id: 'm009_conversation_reads',
    sql: `CREATE TABLE conversation_reads (
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            last_read_seq INTEGER NOT NULL,
            PRIMARY KEY (user_id, conversation_id)
          ) WITHOUT ROWID;`,
  },
  {
    // The name customers are shown instead of a login. Messages keep the one their sender
    // had when writing, as they keep the login (sender_name).
    id: 'm010_display_names',
    sql: `ALTER TABLE users ADD COLUMN display_name TEXT;
          ALTER TABLE messages ADD COLUMN sender_display TEXT;`,
  },
  {
    // A conversation's version: one more at every change of its row (a message, labels, a
    // state, an owner), so a watcher handed two summaries keeps the later one. Summaries are
    // read at announce time and, on PostgreSQL, two reads in flight on two connections can
    // answer in either order; updated_at cannot order them (each instance's clock, ties).
    // A trigger, so no writer can forget it (PostgreSQL has the same, migration 30).
    id: 'm011_conversation_version',
    sql: `ALTER TABLE conversations ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
          CREATE TRIGGER conversations_version AFTER UPDATE ON conversations
          WHEN NEW.version = OLD.version
          BEGIN UPDATE conversations SET version = OLD.version + 1 WHERE id = NEW.id; END;`,
  },
];

export function migrateData(db: Database): void {
  applyMigrations(db, MIGRATIONS);
}

/** The list itself, for tests that bring a database to one step and check the next one. */
export { MIGRATIONS as DATA_MIGRATIONS };
