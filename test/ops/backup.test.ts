import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openResultCache } from '../../src/store/sqlite/result-cache.js';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { createUserStore } from '../../src/store/sqlite/users.js';
import { backupAll, pruneBackups, readManifest, restoreBackup } from '../../src/ops/backup.js';
import { tempDir } from '../helpers.js';
import { fmc, isolatedEnv } from './helpers.js';

// The relay branch stores chat history encrypted in the data dir, with its key beside it.
// Until it lands, `messages.sqlite` + `message-key` stand in for it: what matters here is that
// any database and any key file in the data dir comes back, and decrypts.

let dir: string;
let cleanup: () => void;
let dataDir: string;
let cachePath: string;
before(() => {
  ({ dir, cleanup } = tempDir('fmc-backup-'));
  dataDir = join(dir, 'data');
  cachePath = join(dir, 'cache', 'cache.sqlite');
});
after(() => cleanup());

function seal(key: Buffer, text: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function open(key: Buffer, sealed: Buffer): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
}

function readHistory(): string[] {
  const key = readFileSync(join(dataDir, 'message-key'));
  const db = new BetterSqlite3(join(dataDir, 'messages.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT body FROM messages ORDER BY id').pluck().all() as Buffer[]).map((b) => open(key, b));
  } finally {
    db.close();
  }
}

const usernames = async (): Promise<string[]> => {
  const data = openDataDb(dataDir);
  try {
    return (await createUserStore(data.db).list()).map((u) => u.username);
  } finally {
    data.close();
  }
};

const cacheEntries = async (): Promise<number> => {
  const cache = openResultCache(cachePath);
  try {
    return (await cache.stats()).entries;
  } finally {
    await cache.close();
  }
};

const labels = { is_claim: true, sentiment: 'negative', topic: 'fibre', incident: 'outage', urgency: 'high', confidence: 0.9 } as const;

test('back up while writers hold the databases open, change everything, restore, read it all back', async () => {
  const data = openDataDb(dataDir);
  await createUserStore(data.db).add({ username: 'alice', role: 'admin', passwordHash: 'h' });
  const key = randomBytes(32);
  writeFileSync(join(dataDir, 'message-key'), key, { mode: 0o600 });
  // A running server's lock is not data: it must stay out of the backup.
  writeFileSync(join(dataDir, 'relay.lock'), `${process.pid}\n`);
  const messages = new BetterSqlite3(join(dataDir, 'messages.sqlite'));
  messages.pragma('journal_mode = WAL');
  messages.exec('CREATE TABLE messages (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const insert = messages.prepare('INSERT INTO messages (body) VALUES (?)');
  for (const text of ['bonjour, plus de fibre depuis hier', 'on regarde ça tout de suite']) insert.run(seal(key, text));
  const cache = openResultCache(cachePath);
  await cache.putMany([{ key: 'k1', tier: 'gemini', version: 'v', labels }]);

  // Everything is still open with its latest writes in the WAL: the online backup must see them.
  assert.ok(statSync(join(dataDir, 'messages.sqlite-wal')).size > 0);
  const { folder, manifest } = await backupAll(join(dir, 'backups'), { dataDir, cachePath, version: 'test' });
  assert.equal(statSync(folder).mode & 0o777, 0o700);
  assert.deepEqual(manifest.entries.map((e) => [e.file, e.kind]).sort(), [
    ['cache/cache.sqlite', 'sqlite'],
    ['data/fmc.sqlite', 'sqlite'],
    ['data/message-key', 'file'],
    ['data/messages.sqlite', 'sqlite'],
  ]);
  for (const e of manifest.entries) assert.equal(statSync(join(folder, e.file)).mode & 0o777, 0o600, e.file);
  assert.ok(!readdirSync(join(folder, 'data')).some((n) => n.endsWith('-wal')), 'each copy is one self-contained file');

  // Afterwards: a user removed, history wiped, a new key, the cache emptied.
  await createUserStore(data.db).remove('alice');
  messages.exec('DELETE FROM messages');
  writeFileSync(join(dataDir, 'message-key'), randomBytes(32));
  cache.clear();
  for (const db of [data, messages, cache]) db.close();
  assert.deepEqual(await usernames(), []);
  assert.equal(await cacheEntries(), 0);

  const restored = await restoreBackup(folder, { dataDir, cachePath });
  assert.equal(restored.length, 4);
  assert.deepEqual(await usernames(), ['alice']);
  assert.deepEqual(readHistory(), ['bonjour, plus de fibre depuis hier', 'on regarde ça tout de suite']);
  assert.equal(await cacheEntries(), 1);
  assert.equal(statSync(join(dataDir, 'message-key')).mode & 0o777, 0o600);
});

test('one database file restores that database only', async () => {
  const { folder } = await backupAll(join(dir, 'one'), { dataDir, cachePath: undefined, version: 'test' });
  assert.ok(!existsSync(join(folder, 'cache')), '--no-cache leaves the cache out');
  const data = openDataDb(dataDir);
  await createUserStore(data.db).add({ username: 'bob', role: 'agent', passwordHash: 'h' });
  data.close();
  const keyBefore = readFileSync(join(dataDir, 'message-key'));
  writeFileSync(join(dataDir, 'message-key'), randomBytes(32));

  assert.deepEqual(await restoreBackup(join(folder, 'data', 'fmc.sqlite'), { dataDir, cachePath }), [join(dataDir, 'fmc.sqlite')]);
  assert.deepEqual(await usernames(), ['alice']);
  assert.notDeepEqual(readFileSync(join(dataDir, 'message-key')), keyBefore, 'the key file was left alone');
  writeFileSync(join(dataDir, 'message-key'), keyBefore);
});

test('a damaged backup is refused before anything is restored', async () => {
  const { folder } = await backupAll(join(dir, 'damaged'), { dataDir, cachePath, version: 'test' });
  const data = openDataDb(dataDir);
  await createUserStore(data.db).add({ username: 'carol', role: 'agent', passwordHash: 'h' });
  data.close();
  writeFileSync(join(folder, 'data', 'message-key'), 'tampered');
  await assert.rejects(restoreBackup(join(folder, 'manifest.json'), { dataDir, cachePath }), /message-key is missing or does not match its checksum.*nothing was restored/);
  assert.deepEqual((await usernames()).sort(), ['alice', 'carol']);
});

test('a manifest naming a file outside its backup folder is refused', async () => {
  const { folder } = await backupAll(join(dir, 'escape'), { dataDir, cachePath, version: 'test' });
  const manifestPath = join(folder, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { entries: { file: string }[] };
  manifest.entries[0]!.file = '../../../etc/hostname';
  writeFileSync(manifestPath, JSON.stringify(manifest));
  await assert.rejects(restoreBackup(manifestPath, { dataDir, cachePath }), /names "\.\.\/\.\.\/\.\.\/etc\/hostname", outside the backup folder; nothing was restored/);
});

test('pruning keeps the newest n backup folders and nothing else is touched', async () => {
  const where = join(dir, 'rotating');
  const made: string[] = [];
  for (let i = 0; i < 4; i++) made.push((await backupAll(where, { dataDir, cachePath: undefined, version: 'test', now: new Date(Date.UTC(2026, 0, 1 + i)) })).folder);
  writeFileSync(join(where, 'notes.txt'), 'mine');
  assert.deepEqual(pruneBackups(where, 2), made.slice(0, 2));
  assert.deepEqual(readdirSync(where).sort(), ['fmc-backup-20260103T000000Z', 'fmc-backup-20260104T000000Z', 'notes.txt']);
  assert.equal(readManifest(made[3]!).version, 'test');
});

test('the CLI: fmc backup <dir> --keep prints the folder; fmc restore <folder> puts users back', async () => {
  const env = isolatedEnv(join(dir, 'cli'));
  assert.equal((await fmc(['users', 'add', 'dora', '--role', 'admin'], env, 'a long enough password\n')).code, 0);
  const backups = join(dir, 'cli-backups');
  const first = await fmc(['backup', backups, '--keep', '1'], env);
  assert.equal(first.code, 0, first.stderr);
  const folder = first.stdout.trim();
  assert.match(folder, /fmc-backup-\d{8}T\d{6}Z/);
  assert.match(first.stderr, /data\/fmc\.sqlite \(sqlite, \d+ bytes\)/);
  assert.equal((await fmc(['users', 'remove', 'dora'], env)).code, 0);

  const r = await fmc(['restore', folder], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^restored .*\/data\/fmc\.sqlite$/m);
  assert.match((await fmc(['users', 'list'], env)).stdout, /^dora +admin/m);

  const missing = await fmc(['restore', join(dir, 'nope')], env);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /does not exist; pass a backup folder made by `fmc backup`.*\[FMC_ERR_INPUT_MISSING\]/);
});
