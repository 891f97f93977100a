import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { cacheKey } from '../../src/store/cache-key.js';
import { openResultCache } from '../../src/store/sqlite/result-cache.js';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import type { CommandIO } from '../../src/cli/command-io.js';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { keysRotate } from '../../src/cli/keys.js';
import { FmcError } from '../../src/errors.js';
import { createClassifier } from '../../src/pipeline/tier-cascade.js';
import { assemblePipeline, type Pipeline } from '../../src/pipeline/pipeline.js';
import { lockDataDir } from '../../src/server/relay/data-lock.js';
import { rewrapDataKeys } from '../../src/server/relay/keyring.js';
import { MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE, readKeyFile, writeKeyFile } from '../../src/server/relay/master-key.js';
import { createRulesTier } from '../../src/tiers/rules.js';
import { fmcBin } from '../helpers.js';
import { call } from './helpers.js';
import { connect, openConversation, startRelayServer, type RelayServer } from './relay-helpers.js';

/** Every regular file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function io(env: NodeJS.ProcessEnv): CommandIO & { out: () => string } {
  let out = '';
  const stdout = new Writable({ write: (chunk: Buffer, _enc, done) => ((out += chunk.toString()), done()) });
  return { stdin: new PassThrough(), stdout, stderr: process.stderr, env, out: () => out };
}

/** The rules tier made cacheable, so the cache really stores /api/classify results (and would store chat's). */
async function cachingPipeline(cachePath: string): Promise<Pipeline> {
  const rules = createRulesTier();
  const tier = { ...rules, cacheable: true };
  const cache = openResultCache(cachePath);
  return assemblePipeline({ classifier: createClassifier({ tiers: [tier], cache }), probes: [] });
}

async function chat(server: RelayServer, customer: string, agent: string, texts: { customer: string; agent: string }): Promise<string> {
  const conversationId = await openConversation(server, customer);
  const watcher = await connect(server, agent);
  watcher.send({ type: 'resume', conversationId, afterSeq: 0 });
  await watcher.waitFor('resumed');
  const c = await connect(server, customer);
  c.send({ type: 'resume', conversationId, afterSeq: 0 });
  await c.waitFor('resumed');
  c.send({ type: 'send', conversationId, clientId: 'c1', text: texts.customer });
  await watcher.waitFor('labels', (l) => l.seq === 1);
  watcher.send({ type: 'send', conversationId, clientId: 'a1', text: texts.agent });
  await c.waitFor('message', (m) => m.seq === 2);
  await c.close();
  await watcher.close();
  return conversationId;
}

async function history(server: RelayServer, token: string, conversationId: string): Promise<string[]> {
  const r = await call(`${server.url}/api/conversations/${conversationId}/messages`, { token });
  assert.equal(r.status, 200, r.text);
  return (r.body as { messages: { text: string }[] }).messages.map((m) => m.text);
}

test('no message text in plaintext under the data dir, in the classification cache, or in logs at info', async () => {
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(chunk.toString()), done()) }));
  const server = await startRelayServer({ pipeline: cachingPipeline, logger });
  try {
    const marker = `zorglub${Date.now()}`;
    const texts = { customer: `ma fibre ${marker} est en panne depuis trois jours`, agent: `un technicien ${marker}bis passe demain` };
    const customer = await server.user('claire', 'customer');
    const agent = await server.user('agent1', 'agent');
    const conversationId = await chat(server, customer, agent, texts);
    // Positive control: /api/classify does go through the cache, so a cache bypass is what keeps chat out.
    const control = `le débit ${marker}control est lent`;
    assert.equal((await call(`${server.url}/api/classify`, { method: 'POST', json: { texts: [control] } })).status, 200);
    const tier = createRulesTier();
    const key = (text: string) => cacheKey(tier.name, tier.version, cleanTweet(text, { keepHashtags: true }).text);

    assert.deepEqual(await history(server, agent, conversationId), [texts.customer, texts.agent], 'readable through the API');
    const check = (when: string): void => {
      const files = [...filesUnder(server.dataDir), ...filesUnder(join(server.cachePath, '..'))];
      assert.ok(files.some((f) => f.endsWith('fmc.sqlite-wal') || f.endsWith('fmc.sqlite')), `data files found ${when}: ${files.join(', ')}`);
      for (const file of files) {
        const bytes = readFileSync(file);
        for (const needle of [marker, 'est en panne depuis trois jours', 'bis passe demain']) {
          assert.equal(bytes.indexOf(Buffer.from(needle, 'utf8')), -1, `${needle} in plaintext in ${file} (${when})`);
        }
      }
    };
    check('while serving');
    assert.ok(server.app.server.listening);
    const cache = openResultCache(server.cachePath);
    try {
      const stored = await cache.getMany([key(control), key(texts.customer)]);
      assert.ok(stored.has(key(control)), 'the /api/classify text is cached');
      assert.equal(stored.has(key(texts.customer)), false, 'the chat message is not');
      assert.equal((await cache.stats()).entries, 1);
    } finally {
      cache.close();
    }
    assert.ok(logs.length > 0, 'the server logged at info');
    assert.ok(!logs.some((l) => l.includes(marker)), 'no chat text in the logs');
    await server.stop();
    check('after shutdown (WAL checkpointed)');
  } finally {
    await server.close();
  }
});

test('fmc keys rotate (key file): new master key, data keys re-wrapped, messages untouched, history readable after restart', async (t) => {
  const first = await startRelayServer();
  t.after(() => first.close());
  const customer = await first.user('claire', 'customer');
  const agent = await first.user('agent1', 'agent');
  const conversationId = await chat(first, customer, agent, { customer: 'box en panne', agent: 'on regarde' });
  const bodies = (): Buffer[] => first.data.db.prepare('SELECT body FROM messages ORDER BY id').pluck().all() as Buffer[];
  const before = { bodies: bodies(), wrapped: first.data.db.prepare('SELECT wrapped_key FROM conversations').pluck().get() as Buffer };
  const keyFile = join(first.dataDir, MASTER_KEY_FILE);
  const oldKey = readFileSync(keyFile, 'utf8');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  await first.stop();

  const cli = io({});
  assert.equal(await keysRotate({ dataDir: first.dataDir }, cli), 0);
  assert.match(cli.out(), /re-wrapped 1 data keys: sha256:\S+ -> sha256:\S+/);
  assert.notEqual(readFileSync(keyFile, 'utf8'), oldKey);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.ok(!existsSync(join(first.dataDir, 'master-key.next')));

  const second = await startRelayServer({ dir: first.dir });
  try {
    const later = { bodies: second.data.db.prepare('SELECT body FROM messages ORDER BY id').pluck().all() as Buffer[], wrapped: second.data.db.prepare('SELECT wrapped_key FROM conversations').pluck().get() as Buffer };
    assert.deepEqual(later.bodies, before.bodies, 'messages were not re-encrypted');
    assert.notDeepEqual(later.wrapped, before.wrapped, 'the data key was re-wrapped');
    assert.deepEqual(await history(second, await second.user('agent1', 'agent'), conversationId), ['box en panne', 'on regarde']);
  } finally {
    await second.close();
  }
});

test('with FMC_MASTER_KEY: rotation needs FMC_NEW_MASTER_KEY; afterwards only the new key opens the data', async (t) => {
  const a = Buffer.alloc(32, 1).toString('base64');
  const b = Buffer.alloc(32, 2).toString('base64');
  const first = await startRelayServer({ masterKey: { kind: 'env', key: Buffer.from(a, 'base64') } });
  t.after(() => first.close());
  const customer = await first.user('claire', 'customer');
  const conversationId = await chat(first, customer, await first.user('agent1', 'agent'), { customer: 'facture fausse', agent: 'je corrige' });
  await first.stop();
  assert.ok(!existsSync(join(first.dataDir, MASTER_KEY_FILE)), 'no key file when the key comes from the environment');

  await assert.rejects(keysRotate({ dataDir: first.dataDir }, io({ FMC_MASTER_KEY: a })), (err: FmcError) => err.code === 'FMC_ERR_KEYS' && /FMC_NEW_MASTER_KEY/.test(err.message));
  assert.equal(await keysRotate({ dataDir: first.dataDir }, io({ FMC_MASTER_KEY: a, FMC_NEW_MASTER_KEY: b })), 0);
  // Rotating again from the old key is refused: it no longer matches.
  await assert.rejects(keysRotate({ dataDir: first.dataDir }, io({ FMC_MASTER_KEY: a, FMC_NEW_MASTER_KEY: b })), (err: FmcError) => err.code === 'FMC_ERR_KEYS');

  await assert.rejects(startRelayServer({ dir: first.dir, masterKey: { kind: 'env', key: Buffer.from(a, 'base64') } }), (err: FmcError) => err.code === 'FMC_ERR_KEYS' && /not the one the conversations were encrypted under/.test(err.message));
  const second = await startRelayServer({ dir: first.dir, masterKey: { kind: 'env', key: Buffer.from(b, 'base64') } });
  try {
    assert.deepEqual(await history(second, customer, conversationId), ['facture fausse', 'je corrige']);
  } finally {
    await second.close();
  }
});

test('a master key file others can read stops start-up; rotation refuses a data dir in use', async () => {
  const first = await startRelayServer();
  await first.stop();
  const keyFile = join(first.dataDir, MASTER_KEY_FILE);
  chmodSync(keyFile, 0o644);
  try {
    await assert.rejects(startRelayServer({ dir: first.dir }), (err: FmcError) => err.code === 'FMC_ERR_KEYS' && /chmod 600/.test(err.message));
    chmodSync(keyFile, 0o600);
    const lock = lockDataDir(first.dataDir, 'test');
    try {
      await assert.rejects(keysRotate({ dataDir: first.dataDir }, io({})), (err: FmcError) => err.code === 'FMC_ERR_LOCKED');
    } finally {
      lock.release();
    }
    assert.equal(await keysRotate({ dataDir: first.dataDir }, io({})), 0);
  } finally {
    await first.close();
  }
});

test('a rotation cut short is finished (or undone) at the next start, whichever the database committed', async (t) => {
  const first = await startRelayServer();
  t.after(() => first.close());
  const customer = await first.user('claire', 'customer');
  const conversationId = await chat(first, customer, await first.user('agent1', 'agent'), { customer: 'pas de tonalité', agent: 'je vérifie' });
  await first.stop();
  const keyFile = join(first.dataDir, MASTER_KEY_FILE);
  const next = join(first.dataDir, NEXT_MASTER_KEY_FILE);

  // Crash before the commit: the new key file exists, the data keys are still under the old key.
  writeKeyFile(next);
  const undone = await startRelayServer({ dir: first.dir });
  assert.ok(!existsSync(next), 'the uncommitted key is discarded');
  assert.deepEqual(await history(undone, customer, conversationId), ['pas de tonalité', 'je vérifie']);
  await undone.stop();

  // Crash after the commit, before the rename: the database already names the new key.
  const newKey = writeKeyFile(next);
  const data = openDataDb(first.dataDir);
  rewrapDataKeys(data.db, readKeyFile(keyFile), newKey);
  data.close();
  const finished = await startRelayServer({ dir: first.dir });
  try {
    assert.ok(!existsSync(next));
    assert.deepEqual(readKeyFile(keyFile), newKey, 'the committed key took the file');
    assert.deepEqual(await history(finished, customer, conversationId), ['pas de tonalité', 'je vérifie']);
  } finally {
    await finished.stop();
  }

  // And the command as users run it.
  const cli = spawnSync(process.execPath, [fmcBin, 'keys', 'rotate', '--data-dir', first.dataDir], { encoding: 'utf8', env: { ...process.env, FMC_MASTER_KEY: '', NO_COLOR: '1' } });
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /^re-wrapped 1 data keys: sha256:\S+ -> sha256:\S+/);
  const bad = spawnSync(process.execPath, [fmcBin, 'keys', 'rotate', '--data-dir', first.dataDir], { encoding: 'utf8', env: { ...process.env, FMC_MASTER_KEY: 'bm90IGEga2V5', NO_COLOR: '1' } });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /FMC_MASTER_KEY must be the base64 of 32 random bytes.*\[FMC_ERR_KEYS\]/);
});
