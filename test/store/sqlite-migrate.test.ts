// Two `fmc serve` instances started together on one data dir (deploy.sh with FMC_INSTANCES)
// open the data database at the same moment: each migration must run once, the other
// opener waiting for it, instead of failing with "duplicate column name".
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { tempDir } from '../helpers.js';

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir('fmc-migrate-race-')));
after(() => cleanup());

const OPENERS = 6;

test('openers racing on a new data dir: every migration applied once, none fails', async () => {
  const dataDb = new URL('../../src/store/sqlite/data-db.js', import.meta.url).href;
  // Every thread waits on the barrier, then all open the file at once.
  const barrier = new Int32Array(new SharedArrayBuffer(4));
  const source = `
    const { workerData, parentPort } = require('node:worker_threads');
    Atomics.add(workerData.barrier, 0, 1);
    while (Atomics.load(workerData.barrier, 0) < workerData.n) Atomics.wait(workerData.barrier, 0, Atomics.load(workerData.barrier, 0), 5);
    import(workerData.dataDb).then(({ openDataDb }) => {
      try { openDataDb(workerData.dir).db.close(); parentPort.postMessage('ok'); }
      catch (err) { parentPort.postMessage(err.message); }
    });`;
  const results = await Promise.all(
    Array.from({ length: OPENERS }, () => new Promise<string>((resolve, reject) => {
      const w = new Worker(source, { eval: true, workerData: { barrier, n: OPENERS, dataDb, dir: join(dir, 'data') } });
      w.once('message', (m: string) => void w.terminate().then(() => resolve(m)));
      w.once('error', reject);
    })),
  );
  assert.deepEqual(results, Array(OPENERS).fill('ok'));
  const db = new BetterSqlite3(join(dir, 'data', 'fmc.sqlite'), { readonly: true });
  try {
    const ids = db.prepare('SELECT id FROM migrations').pluck().all() as string[];
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.includes('m004_user_session_keys'), ids.join(', '));
  } finally {
    db.close();
  }
});
