import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { FIELD_VALUES, LABEL_FIELDS, OUTPUT_COLUMNS, type LabelResult } from '../../src/labels.js';
import { fixture, formulaEscaped } from '../helpers.js';
import { call, errorCode, startServer, type TestServer } from './helpers.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

type Result = { id: string } & LabelResult;

const results = (body: unknown): Result[] => (body as { results: Result[] }).results;

test('JSON texts: one result per text, in order, with the CLI schema and the provider', async () => {
  const texts = ['plus de connexion depuis 3 jours, toujours rien', 'merci free pour la rapidité', 'ma facture a doublé ce mois-ci'];
  const r = await call(`${server.url}/api/classify`, { method: 'POST', json: { texts } });
  assert.equal(r.status, 200, r.text);
  const got = results(r.body);
  assert.equal(got.length, 3);
  got.forEach((result, i) => {
    assert.deepEqual(Object.keys(result), ['id', ...OUTPUT_COLUMNS]);
    assert.equal(result.id, String(i));
    assert.equal(typeof result.is_claim, 'boolean');
    for (const f of LABEL_FIELDS) assert.ok(FIELD_VALUES[f].includes(String(result[f])), `${f}=${result[f]}`);
    assert.ok(result.confidence >= 0 && result.confidence <= 1);
    assert.equal(result.provider, 'rules');
  });
  // Same pipeline as the CLI: the route must answer what the pipeline answers.
  const direct = await server.pipeline.classifyTexts(texts.map((text, i) => ({ id: String(i), text })));
  assert.deepEqual(
    got.map((g) => [g.is_claim, g.sentiment, g.topic, g.incident, g.urgency]),
    direct.map((d) => [d.is_claim, d.sentiment, d.topic, d.incident, d.urgency]),
  );
  assert.equal(got[0]!.incident, 'outage');
  assert.equal(got[1]!.sentiment, 'positive');
});

test('JSON items: client ids come back, even repeated ones, each with its own labels', async () => {
  const items = [
    { id: 'a', text: 'panne internet totale depuis hier soir' },
    { id: 'a', text: 'merci beaucoup au technicien, super sympa' },
    { id: 42, text: 'le débit est très lent le soir' },
  ];
  const r = await call(`${server.url}/api/classify`, { method: 'POST', json: { items } });
  assert.equal(r.status, 200, r.text);
  const got = results(r.body);
  assert.deepEqual(got.map((g) => g.id), ['a', 'a', '42']);
  assert.notEqual(got[0]!.sentiment, got[1]!.sentiment, 'repeated ids did not share one answer');
});

test('text/csv: the same columns as fmc classify, every row, input kept, streamed back as CSV', async () => {
  const csv = readFileSync(fixture('tweets.csv'));
  const r = await fetch(`${server.url}/api/classify`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/csv/);
  assert.equal(r.headers.get('transfer-encoding'), 'chunked', 'streamed, not buffered with a length');
  const input = parse(csv, { columns: true }) as Record<string, string>[];
  const rows = parse(await r.text(), { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, input.length);
  assert.deepEqual(Object.keys(rows[0]!), ['tweet_id', 'author', 'text', 'date', 'url', ...OUTPUT_COLUMNS]);
  rows.forEach((row, i) => {
    assert.equal(row.tweet_id, input[i]!.tweet_id);
    assert.equal(row.text, formulaEscaped(input[i]!.text!));
    for (const f of LABEL_FIELDS) assert.ok(FIELD_VALUES[f].includes(row[f]!), `${f}=${row[f]}`);
  });
});

test('text/csv: semicolons, a chosen text column, and a label column already present', async () => {
  const csv = 'id;body;sentiment\n1;plus de réseau mobile depuis ce matin;x\n2;bravo pour la 5G;y\n';
  const r = await call(`${server.url}/api/classify?text_column=body`, { method: 'POST', headers: { 'content-type': 'text/csv; charset=utf-8' }, body: csv });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('x-fmc-csv-delimiter'), ';', 'the answer mirrors the input delimiter');
  const rows = parse(r.text, { columns: true, delimiter: ';' }) as Record<string, string>[];
  assert.deepEqual(Object.keys(rows[0]!), ['id', 'body', 'input_sentiment', ...OUTPUT_COLUMNS]);
  assert.equal(rows[0]!.input_sentiment, 'x');
  assert.equal(rows[0]!.topic, 'mobile');
});

test('text/csv errors found before the first byte are JSON errors with their status', async () => {
  const cases: [string, string, RegExp][] = [
    ['id,body\n1,panne\n', 'FMC_ERR_NO_TEXT_COLUMN', /no text column/],
    ['text\n', 'FMC_ERR_INPUT_EMPTY', /header only/],
    ['id,text\n1,"panne\n', 'FMC_ERR_CSV', /unbalanced quote/],
    ['', 'FMC_ERR_INPUT_EMPTY', /empty/],
  ];
  for (const [body, code, message] of cases) {
    const r = await call(`${server.url}/api/classify`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(errorCode(r), code);
    assert.match((r.body as { error: { message: string } }).error.message, message);
  }
});

test('text/csv: skip_invalid=true skips a ragged row instead of failing', async () => {
  const csv = 'id,text\n1,panne fibre\n2,trop,de,champs\n3,merci\n';
  const r = await call(`${server.url}/api/classify?skip_invalid=true`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual((parse(r.text, { columns: true }) as Record<string, string>[]).map((row) => row.id), ['1', '3']);
});
