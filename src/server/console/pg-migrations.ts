import type { PgMigration } from '../../store/pg/migrate.js';

// The agent console's columns on PostgreSQL, range 50–69, mirroring the SQLite data DB's
// m008–m010. Only what has a table to go on is here: users exist on PostgreSQL (pg-store);
// the conversation columns (pending, assignee_id, waiting_since), conversation_reads and
// messages.sender_display follow once the relay's tables (20–39) exist there.
export const CONSOLE_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    // m010's users.display_name: the name customers are shown instead of an agent's login.
    id: 50,
    name: 'users_display_name',
    sql: 'ALTER TABLE users ADD COLUMN display_name text;',
  },
];
