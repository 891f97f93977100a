import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { fixture, runFmc, tempDir } from '../helpers.js';
import { call } from '../server/helpers.js';
import { clientId, connect, openConversation, startRelayServer, type RelayServer } from '../server/relay-helpers.js';

// The loop end to end: corrections through the API (a chat message and a batch row), exported
// by `fmc corrections export`, counted by `fmc corrections stats`, and trained on by
// `fmc train`, after which the model answers the corrected text the corrected way.

const CORRECTED = 'la meme 3 jours avant plus de co avec free pendant 3 jours';
const CHAT = 'ma box tv affiche un écran noir sur toutes les chaînes depuis hier';

let server: RelayServer;
let dir: string;
let cleanup: () => void;
before(async () => {
  ({ dir, cleanup } = tempDir('fmc-retrain-'));
  server = await startRelayServer();
});
after(async () => {
  await server.close();
  cleanup();
});

const fmc = (args: string[]) => runFmc(args, { env: { FMC_CACHE: join(dir, 'cache.sqlite'), FMC_DATA_DIR: server.dataDir } });

/** The model tier's topic for `text` under model folder `model`. */
function topicOf(model: string, text: string): string {
  const input = join(dir, 'one.csv');
  writeFileSync(input, stringify([['text'], [text]]));
  const out = join(dir, 'one.out.csv');
  const r = fmc(['classify', input, '-o', out, '--provider', 'model', '--model-dir', model, '--no-cache', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  return (parse(readFileSync(out), { columns: true }) as { topic: string }[])[0]!.topic;
}

test('corrections exported and trained on change the model’s answer on the corrected text', async () => {
  const agent = await server.user('agent1', 'agent');
  const alice = await server.user('alice', 'customer');
  const conversationId = await openConversation(server, alice);
  const ws = await connect(server, agent);
  ws.send({ type: 'resume', conversationId, afterSeq: 0 });
  await ws.waitFor('resumed');
  const customer = await connect(server, alice);
  customer.send({ type: 'send', conversationId, clientId: clientId(), text: CHAT });
  await ws.waitFor('labels', (f) => f.seq === 1);
  await customer.close();
  await ws.close();
  const chat = await call(`${server.url}/api/corrections`, { method: 'POST', token: agent, json: { conversationId, seq: 1, labels: { topic: 'tv', incident: 'outage' } } });
  assert.equal(chat.status, 201, chat.text);
  const batch = await call(`${server.url}/api/corrections`, { method: 'POST', token: agent, json: { text: CORRECTED, labels: { topic: 'billing' } } });
  assert.equal(batch.status, 201, batch.text);

  // Export: the chat text decrypted, the five corrected labels under their own names.
  const exported = join(dir, 'corrections.csv');
  const r = fmc(['corrections', 'export', '-o', exported]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(statSync(exported).mode & 0o777, 0o600);
  const rows = parse(readFileSync(exported), { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, 2);
  assert.deepEqual(
    rows.map((row) => [row.text, row.topic, row.source, row.corrected_by]),
    [
      [CHAT, 'tv', 'chat', 'agent1'],
      [CORRECTED, 'billing', 'batch', 'agent1'],
    ],
  );
  for (const column of ['is_claim', 'sentiment', 'incident', 'urgency', 'original_topic', 'original_confidence', 'provider', 'version', 'corrected_at']) {
    assert.ok(rows[1]![column] !== undefined && rows[1]![column] !== '', column);
  }
  assert.equal(rows[1]!.provider, 'rules');

  const stats = fmc(['corrections', 'stats', '--json']);
  assert.equal(stats.status, 0, stats.stderr);
  const s = JSON.parse(stats.stdout) as { total: number; byProvider: Record<string, { corrections: number; fields: Record<string, { overridden: number; pairs: { from: string; to: string; count: number }[] }> }> };
  assert.equal(s.total, 2);
  assert.equal(s.byProvider.rules?.corrections, 2);
  assert.equal(s.byProvider.rules?.fields.topic?.overridden, rows.filter((row) => row.original_topic !== row.topic).length);
  assert.ok(s.byProvider.rules?.fields.topic?.pairs.some((p) => p.to === 'billing' && p.count === 1));
  const table = fmc(['corrections', 'stats']);
  assert.match(table.stdout, /provider rules: 2 corrections/);

  // A small training set holding the corrected text with its original label (fibre).
  const train = join(dir, 'train.csv');
  const head = readFileSync(fixture('train.csv'), 'utf8').split('\n').slice(0, 301).join('\n') + '\n';
  writeFileSync(train, head);
  assert.ok(head.includes(CORRECTED));
  const before = join(dir, 'm-before');
  const after = join(dir, 'm-after');
  assert.equal(fmc(['train', train, '--out', before, '--no-hybrid']).status, 0);
  assert.equal(topicOf(before, CORRECTED), 'fibre');
  const retrain = fmc(['train', train, exported, '--out', after, '--no-hybrid', '--json']);
  assert.equal(retrain.status, 0, retrain.stderr);
  assert.match(retrain.stderr, /1 rows repeat a text given earlier: the later label wins/);
  assert.equal((JSON.parse(retrain.stdout) as { rows: number }).rows, 301);
  assert.equal(topicOf(after, CORRECTED), 'billing');
});
