import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { sqlOn } from './sql.js';

/**
 * The secret named `name` in `server_secrets`, created on first use (48 random bytes,
 * base64url, as the SQLite mode's file). INSERT … ON CONFLICT DO NOTHING, then a read: two
 * instances starting at once both end up with the one that was inserted first.
 */
export async function loadOrCreatePgSecret(pool: pg.Pool, url: string, name = 'jwt'): Promise<string> {
  const sql = sqlOn(pool, url);
  await sql.query('INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [name, randomBytes(48).toString('base64url'), Date.now()]);
  return (await sql.query<{ value: string }>('SELECT value FROM server_secrets WHERE name = $1', [name])).rows[0]!.value;
}
