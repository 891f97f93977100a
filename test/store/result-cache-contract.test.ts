// One contract, two backends: every case runs against the SQLite file and a real PostgreSQL.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { toScoredLabels } from '../../src/labels.js';
import { openPgDatabase, type PgDatabase } from '../../src/store/pg/database.js';
import { openPgResultCache } from '../../src/store/pg/result-cache.js';
import type { CacheEntry, ResultCache } from '../../src/store/result-cache.js';
import { openResultCache } from '../../src/store/sqlite/result-cache.js';
import { tempDir } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';

const labels = { is_claim: true, sentiment: 'negative', topic: 'fibre', incident: 'outage', urgency: 'high', confidence: 0.9 } as const;
const DAY = 86_400_000;

/** A fresh, empty cache, and the backend-specific ways a test reaches under the interface. */
interface Backend {
  readonly name: string;
  open(): Promise<ResultCache>;
  /** Sets an entry's write time. */
  backdate(key: string, at: number): Promise<void>;
  /** Makes an entry's stored labels invalid (a manual edit, a schema drift). */
  damage(key: string): Promise<void>;
}

const entry = (key: string, tier = 'gemini', extra: Partial<CacheEntry['labels']> = {}): CacheEntry => ({ key, tier, version: 'v1', labels: { ...labels, ...extra } });

function sqliteBackend(): Backend & { done(): void } {
  const { dir, cleanup } = tempDir('fmc-contract-');
  let n = 0;
  let path = '';
  const edit = (sql: string, ...args: unknown[]): void => {
    const db = new BetterSqlite3(path);
    db.prepare(sql).run(...args);
    db.close();
  };
  return {
    name: 'sqlite',
    async open() {
      path = join(dir, `cache-${n++}.sqlite`);
      return openResultCache(path);
    },
    backdate: async (key, at) => edit('UPDATE results SET created_at = ? WHERE key = ?', at, key),
    damage: async (key) => edit("UPDATE results SET labels = '{not json' WHERE key = ?", key),
    done: cleanup,
  };
}

function pgBackend(server: () => TestPostgres): Backend & { done(): Promise<void> } {
  let n = 0;
  const opened: PgDatabase[] = [];
  let current: PgDatabase | undefined;
  return {
    name: 'postgresql',
    async open() {
      // A database per case: the contract starts from an empty cache each time.
      current = await openPgDatabase(await server().createDatabase(`contract_${n++}`));
      opened.push(current);
      return openPgResultCache(current.pool, current.url);
    },
    backdate: async (key, at) => void (await current!.pool.query('UPDATE results SET created_at = $1 WHERE key = $2', [at, key])),
    damage: async (key) => void (await current!.pool.query(`UPDATE results SET labels = '{"topic": "pizza"}' WHERE key = $1`, [key])),
    async done() {
      await Promise.all(opened.map((db) => db.close()));
    },
  };
}

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.destroy();
});

const sqlite = sqliteBackend();
const postgres = pgBackend(() => server);
after(async () => {
  sqlite.done();
  await postgres.done();
});

for (const backend of [sqlite, postgres] as Backend[]) {
  describe(`result cache contract: ${backend.name}`, () => {
    test('putMany then getMany: hits carry their labels, provider and write time; misses are absent', async () => {
      const cache = await backend.open();
      const before = Date.now();
      await cache.putMany([entry('a'), entry('b', 'rules', { provider: 'rules', confidence: 0.4 })]);
      const found = await cache.getMany(['a', 'b', 'nope']);
      assert.deepEqual([...found.keys()].sort(), ['a', 'b']);
      const { storedAt, ...a } = found.get('a')!;
      assert.deepEqual(a, toScoredLabels(labels), 'as stored, a field answers need not carry at its fallback');
      assert.ok(storedAt >= before - 1000 && storedAt <= Date.now() + 1000, `storedAt ${storedAt}`);
      assert.equal(found.get('b')!.provider, 'rules');
      assert.equal(found.get('b')!.confidence, 0.4);
      assert.equal((await cache.getMany([])).size, 0);
      await cache.close();
    });

    test('a key written twice keeps the last answer, within one batch and across batches', async () => {
      const cache = await backend.open();
      await cache.putMany([entry('k', 'gemini', { topic: 'tv' }), entry('k', 'gemini', { topic: 'mobile' })]);
      assert.equal((await cache.getMany(['k'])).get('k')!.topic, 'mobile');
      await cache.putMany([entry('k', 'gemini', { topic: 'billing' })]);
      assert.equal((await cache.getMany(['k'])).get('k')!.topic, 'billing');
      assert.equal((await cache.stats()).entries, 1);
      await cache.close();
    });

    test('a chunk of 5,000 keys is one getMany and one putMany', async () => {
      const cache = await backend.open();
      const keys = Array.from({ length: 5000 }, (_, i) => `key-${i}`);
      await cache.putMany(keys.filter((_, i) => i % 2 === 0).map((k) => entry(k)));
      const found = await cache.getMany(keys);
      assert.equal(found.size, 2500);
      assert.ok(found.has('key-4998') && !found.has('key-4999'));
      await cache.close();
    });

    test('a damaged row is a miss, not a crash', async () => {
      const cache = await backend.open();
      await cache.putMany([entry('ok'), entry('bad')]);
      await backend.damage('bad');
      assert.deepEqual([...(await cache.getMany(['ok', 'bad'])).keys()], ['ok']);
      await cache.close();
    });

    test('stats per tier with the oldest and newest write; clear one tier, then all', async () => {
      const cache = await backend.open();
      const empty = await cache.stats();
      assert.equal(empty.entries, 0);
      assert.equal(empty.oldest, undefined);
      await cache.putMany([entry('g1'), entry('g2'), entry('r1', 'rules'), entry('o1', 'openai')]);
      await backend.backdate('g1', Date.now() - 3 * DAY);
      const stats = await cache.stats();
      assert.deepEqual(stats.byTier, { gemini: 2, openai: 1, rules: 1 });
      assert.equal(stats.entries, 4);
      assert.ok(stats.bytes > 0);
      assert.ok(stats.newest! - stats.oldest! >= 3 * DAY - 60_000, `${stats.oldest} .. ${stats.newest}`);
      assert.equal(await cache.clear('rules'), 1);
      assert.deepEqual((await cache.stats()).byTier, { gemini: 2, openai: 1 });
      assert.equal(await cache.clear(), 3);
      assert.equal((await cache.stats()).entries, 0);
      await cache.close();
    });

    test('prune: by age first, then the oldest until the size fits', async () => {
      const cache = await backend.open();
      const pad = 'x'.repeat(500);
      await cache.putMany(Array.from({ length: 300 }, (_, i) => entry(`p${String(i).padStart(3, '0')}`, 'gemini', { provider: pad })));
      for (let i = 0; i < 300; i++) await backend.backdate(`p${String(i).padStart(3, '0')}`, Date.now() - (300 - i) * 60_000 - (i < 100 ? 40 * DAY : 0));
      const aged = await cache.prune({ olderThan: Date.now() - 30 * DAY });
      assert.equal(aged.removed, 100);
      assert.equal(aged.entries, 200);
      const full = (await cache.stats()).bytes;
      const sized = await cache.prune({ maxBytes: Math.floor(full / 2) });
      assert.ok(sized.bytes <= Math.floor(full / 2), `${sized.bytes} > ${full / 2}`);
      assert.ok(sized.entries > 0 && sized.entries < 200, `${sized.entries} left`);
      const left = await cache.getMany(['p299', 'p100']);
      assert.ok(left.has('p299'), 'the newest stays');
      assert.equal(left.has('p100'), false, 'the oldest went first');
      await cache.close();
    });

    test('backupTo: SQLite writes a copy that opens with the entries; PostgreSQL refuses and names pg_dump', async () => {
      const cache = await backend.open();
      await cache.putMany([entry('kept')]);
      const { dir, cleanup } = tempDir('fmc-contract-backup-');
      try {
        const dest = join(dir, 'copy.sqlite');
        if (backend.name === 'sqlite') {
          await cache.backupTo(dest);
          const copy = openResultCache(dest);
          assert.ok((await copy.getMany(['kept'])).has('kept'));
          await copy.close();
        } else {
          await assert.rejects(cache.backupTo(dest), /the result cache is in PostgreSQL \(postgres fmc@127\.0\.0\.1:\d+\/contract_\d+\): back the database up with pg_dump/);
        }
      } finally {
        cleanup();
      }
      await cache.close();
    });

    test('check reads (and with write, takes the write lock) for real, counting the entries', async () => {
      const cache = await backend.open();
      await cache.putMany([entry('one')]);
      assert.deepEqual(await cache.check(), { ok: true, detail: 'readable', entries: 1 });
      assert.deepEqual(await cache.check({ write: true }), { ok: true, detail: 'writable (1 entries)', entries: 1 });
      await cache.close();
    });
  });
}
