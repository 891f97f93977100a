import { FmcError } from '../errors.js';

// PostgreSQL mode is chosen here and nowhere else: every command that opens storage asks
// `databaseUrlOf(flag, config)`; undefined means the SQLite files, exactly as before.

const SCHEMES = new Set(['postgres:', 'postgresql:']);

const FIX = 'use postgres://user:password@host:5432/database in --database-url or FMC_DATABASE_URL';

/** The database a URL names, without the password: "fmc@db.example:5432/fmc". For messages and logs. */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
    return `${user}${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** Checks a database URL's shape (scheme, host); the password is never echoed. */
export function checkDatabaseUrl(url: string, source: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !SCHEMES.has(parsed.protocol)) {
    const scheme = parsed ? ` (scheme ${parsed.protocol.replace(/:$/, '')})` : '';
    throw new FmcError('FMC_ERR_DB_UNAVAILABLE', `${source} is not a PostgreSQL URL${scheme}; ${FIX}`);
  }
  if (!parsed.hostname) throw new FmcError('FMC_ERR_DB_UNAVAILABLE', `${source} names no host; ${FIX}`);
  return url;
}

/** `--database-url` wins over FMC_DATABASE_URL (read once, in config.ts); undefined = SQLite. */
export function databaseUrlOf(flag: string | undefined, config: { readonly databaseUrl?: string | undefined }): string | undefined {
  if (flag !== undefined && flag !== '') return checkDatabaseUrl(flag, '--database-url');
  if (config.databaseUrl !== undefined) return checkDatabaseUrl(config.databaseUrl, 'FMC_DATABASE_URL');
  return undefined;
}
