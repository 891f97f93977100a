import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { openKeyring } from '../../src/server/relay/keyring.js';
import { repoRoot, tempDir } from '../helpers.js';
import { fmc, isolatedEnv, localizeTemplate, run } from '../ops/helpers.js';

// Issue 12, item 5: the README's rotation example generated the new key where nobody saw it,
// and an empty `FMC_MASTER_KEY=$OLD` silently rotated the key file instead.

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir('fmc-12-keys-')));
after(() => cleanup());

/** A data dir whose conversations are under `source` (the key file, or a given key). */
function seed(dataDir: string, key?: Buffer): void {
  const data = openDataDb(dataDir);
  openKeyring(data.db, key ? { kind: 'env', key } : { kind: 'file', dataDir });
  data.close();
}

test('FMC_NEW_MASTER_KEY with an empty or unset FMC_MASTER_KEY is refused and the key file is left alone', async () => {
  const env = isolatedEnv(join(dir, 'empty-old'));
  seed(env.FMC_DATA_DIR!);
  const keyFile = join(env.FMC_DATA_DIR!, 'master-key');
  const before = readFileSync(keyFile, 'utf8');
  const fresh = Buffer.alloc(32, 7).toString('base64');
  for (const old of ['', undefined]) {
    const r = await fmc(['keys', 'rotate'], { ...env, FMC_MASTER_KEY: old, FMC_NEW_MASTER_KEY: fresh });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /FMC_NEW_MASTER_KEY is set but FMC_MASTER_KEY is empty or unset; nothing was changed.*\[FMC_ERR_KEYS\]/);
    assert.equal(readFileSync(keyFile, 'utf8'), before);
  }
  const same = await fmc(['keys', 'rotate'], { ...env, FMC_MASTER_KEY: fresh, FMC_NEW_MASTER_KEY: fresh });
  assert.equal(same.code, 1);
  assert.match(same.stderr, /the same key/);
});

test('the key file rotation says where the new key is and that it must be saved apart', async () => {
  const env = isolatedEnv(join(dir, 'file'));
  seed(env.FMC_DATA_DIR!);
  const r = await fmc(['keys', 'rotate'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`The new key is in ${join(env.FMC_DATA_DIR!, 'master-key')} \\(mode 0600\\); backups leave it out: copy it somewhere apart`));
});

test("the README's FMC_MASTER_KEY rotation runs as written and leaves the new key in a file that opens the data", async () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const block = /```sh\n(\(umask 077[^`]*?fmc keys rotate)\n```/.exec(readme)?.[1];
  assert.ok(block, 'the README shows the FMC_MASTER_KEY rotation');
  const root = join(dir, 'server');
  const env = isolatedEnv(join(dir, 'env-key'));
  const old = Buffer.alloc(32, 3);
  seed(env.FMC_DATA_DIR!, old);
  mkdirSync(join(root, 'etc', 'fmc'), { recursive: true });
  const envFile = join(root, 'etc', 'fmc', 'fmc.env');
  writeFileSync(envFile, `FMC_MASTER_KEY=${old.toString('base64')}\nFMC_DATA_DIR=${env.FMC_DATA_DIR}\n`, { mode: 0o600 });
  const script = `set -euo pipefail\nfmc() { "${process.execPath}" "${join(repoRoot, 'bin', 'fmc.js')}" "$@"; }\n${localizeTemplate(block, root)}\n`;
  const r = await run('bash', ['-c', script], { env: { ...process.env, ...env, NO_COLOR: '1' } });
  assert.equal(r.code, 0, r.stderr);
  const kept = readFileSync(join(root, 'etc', 'fmc', 'master-key.new'), 'utf8').trim();
  assert.match(r.stdout, /The new key is the value of FMC_NEW_MASTER_KEY \(sha256:[\w-]+\), and only there/);
  // The kept file is the key the data is under now: a rotation from it succeeds, from the old one fails.
  const again = Buffer.alloc(32, 4).toString('base64');
  assert.equal((await fmc(['keys', 'rotate'], { ...env, FMC_MASTER_KEY: old.toString('base64'), FMC_NEW_MASTER_KEY: again })).code, 1);
  const fromKept = await fmc(['keys', 'rotate'], { ...env, FMC_MASTER_KEY: kept, FMC_NEW_MASTER_KEY: again });
  assert.equal(fromKept.code, 0, fromKept.stderr);
});
