import type { PgMigration } from './migrate.js';
import { STORE_PG_MIGRATIONS } from './store-migrations.js';
import { RELAY_PG_MIGRATIONS } from '../../server/relay/pg/migrations.js';
import { QUEUE_PG_MIGRATIONS } from '../../queue/schema.js';
import { CONSOLE_PG_MIGRATIONS } from '../../server/console/pg-migrations.js';
import { CONSOLE_SESSIONS_PG_MIGRATIONS } from './console-sessions-migrations.js';
import { ACCOUNTS_PG_MIGRATIONS } from './accounts-migrations.js';
import { CONSOLE_DATA_PG_MIGRATIONS } from './console-data-migrations.js';

// Every PostgreSQL migration list, one line per owner (numbers: migrate.ts). Add yours here.
export const PG_MIGRATIONS: readonly (readonly PgMigration[])[] = [
  STORE_PG_MIGRATIONS, // 1–19: result cache, users, tier budgets
  RELAY_PG_MIGRATIONS, // 20–39: conversations, messages, corrections, relay_meta, per-user limits
  QUEUE_PG_MIGRATIONS, // 40–49: fmc classify --queue and fmc worker
  CONSOLE_PG_MIGRATIONS, // 50–59: the agent console (console-ui)
  CONSOLE_SESSIONS_PG_MIGRATIONS, // 60–61: refresh sessions, disabled accounts, canned replies
  ACCOUNTS_PG_MIGRATIONS, // 70–74: the token-signing secret (users and sessions: 2, 50, 60)
  CONSOLE_DATA_PG_MIGRATIONS, // 75–79: attachments (batch corrections and replies use 21 and 61)
];
