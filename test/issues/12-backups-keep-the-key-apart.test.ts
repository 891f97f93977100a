import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { readManifest } from '../../src/ops/backup.js';
import { openKeyring } from '../../src/server/relay/keyring.js';
import { tempDir } from '../helpers.js';
import { fmc, isolatedEnv, serveFmc } from '../ops/helpers.js';

// Issue 12, items 4, 6 and 7: a backup leaves the master key out unless asked (a leaked
// backup must not open the chats), restore says when the key is missing, restore refuses a
// data dir that fmc serve holds (exit 75), and a backup killed half-way is never counted.

let dir: string;
let cleanup: () => void;
let env: NodeJS.ProcessEnv;
let dataDir: string;
before(async () => {
  ({ dir, cleanup } = tempDir('fmc-12-backup-'));
  env = isolatedEnv(dir);
  dataDir = env.FMC_DATA_DIR!;
  // A data dir with encrypted conversations' keyring: the master-key file and its recorded id.
  const data = openDataDb(dataDir);
  openKeyring(data.db, { kind: 'file', dataDir });
  data.close();
  assert.ok(existsSync(join(dataDir, 'master-key')));
});
after(() => cleanup());

test('fmc backup leaves <data-dir>/master-key out by default and says where it is; --include-master-key puts it in', async () => {
  const plain = await fmc(['backup', join(dir, 'b1'), '--no-cache'], env);
  assert.equal(plain.code, 0, plain.stderr);
  const folder = plain.stdout.trim();
  assert.ok(!existsSync(join(folder, 'data', 'master-key')));
  assert.ok(existsSync(join(folder, 'data', 'fmc.sqlite')));
  assert.equal(readManifest(folder).masterKey, 'left out');
  assert.ok(!readManifest(folder).entries.some((e) => e.file.includes('master-key')));
  assert.match(plain.stderr, new RegExp(`master key left out: ${join(dataDir, 'master-key')} is not in this backup.*save a copy of it apart`));

  const withKey = await fmc(['backup', join(dir, 'b2'), '--no-cache', '--include-master-key'], env);
  assert.equal(withKey.code, 0, withKey.stderr);
  const keyed = withKey.stdout.trim();
  assert.equal(readFileSync(join(keyed, 'data', 'master-key'), 'utf8'), readFileSync(join(dataDir, 'master-key'), 'utf8'));
  assert.equal(readManifest(keyed).masterKey, 'included');
  assert.match(withKey.stderr, /master key included/);
});

test('fmc restore onto a machine without the key says clearly that it is missing and where it goes; with it, that it opens', async () => {
  const folder = (await fmc(['backup', join(dir, 'b3'), '--no-cache'], env)).stdout.trim();
  const elsewhere = isolatedEnv(join(dir, 'new-machine'));
  const r = await fmc(['restore', folder], elsewhere);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`warning: the master key is missing: the conversations need sha256:[\\w-]+, and neither FMC_MASTER_KEY nor ${join(elsewhere.FMC_DATA_DIR!, 'master-key')} exists`));

  const key = readFileSync(join(dataDir, 'master-key'), 'utf8').trim();
  const withEnv = await fmc(['restore', folder], { ...elsewhere, FMC_MASTER_KEY: key });
  assert.equal(withEnv.code, 0, withEnv.stderr);
  assert.match(withEnv.stderr, /master key: FMC_MASTER_KEY opens the conversations/);
  assert.doesNotMatch(withEnv.stderr, /warning/);
});

test('fmc restore refuses a data dir held by a running fmc serve: exit 75, nothing restored', async () => {
  const folder = (await fmc(['backup', join(dir, 'b4'), '--no-cache'], env)).stdout.trim();
  const server = await serveFmc(env);
  try {
    const r = await fmc(['restore', folder], env);
    assert.equal(r.code, 75, r.stderr);
    assert.match(r.stderr, /^fmc: \/.* is in use by another fmc serve, fmc keys or fmc restore .*stop it, then run fmc restore again \[FMC_ERR_LOCKED\]/m);
    assert.equal(r.stdout, '');
  } finally {
    await server.stop();
  }
  const after = await fmc(['restore', folder], env);
  assert.equal(after.code, 0, after.stderr);
});

test('a backup killed half-way is swept at the next run and never counted by --keep', async () => {
  const where = join(dir, 'rotating');
  const first = (await fmc(['backup', where, '--no-cache'], env)).stdout.trim();
  // What kill -9 of an fmc backup leaves: its partial folder (its pid is gone). And what older
  // fmc left: a dated folder without a manifest, whose name sorts after every real backup.
  const dead = join(where, '.partial-fmc-backup-999999999-20260101T000000Z-dead');
  mkdirSync(join(dead, 'data'), { recursive: true });
  const litter = join(where, 'fmc-backup-29990101T000000Z');
  mkdirSync(litter);

  const r = await fmc(['backup', where, '--no-cache', '--keep', '1'], env);
  assert.equal(r.code, 0, r.stderr);
  const second = r.stdout.trim();
  assert.match(r.stderr, /removed the partial backup .*\.partial-fmc-backup-999999999/);
  assert.ok(!existsSync(dead));
  assert.ok(existsSync(join(second, 'manifest.json')), 'the new, complete backup is kept');
  assert.ok(!existsSync(first), 'the older complete backup is the one --keep 1 removes');
  assert.ok(existsSync(litter), 'a folder without a manifest is not a backup: neither counted nor deleted');
  assert.ok(!readdirSync(where).some((n) => n.startsWith('.partial-')), 'no partial folder is left behind');
  rmSync(litter, { recursive: true });
});
