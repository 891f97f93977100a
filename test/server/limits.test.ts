import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { call, errorCode, startServer, type TestServer } from './helpers.js';

// Small limits so each can be crossed with a small request.
const limits = { jsonBodyBytes: 4096, csvBodyBytes: 2048, maxItems: 5, maxTextLength: 100 };

let server: TestServer;
before(async () => {
  server = await startServer({ limits });
});
after(() => server.close());

const classify = (init: Parameters<typeof call>[1]) => call(`${server.url}/api/classify`, { method: 'POST', ...init });

test('at the limits a request still passes', async () => {
  const r = await classify({ json: { texts: Array.from({ length: 5 }, () => 'x'.repeat(100)) } });
  assert.equal(r.status, 200, r.text);
});

test('body, item count and text length over the limit: 413 naming the limit', async () => {
  const big = await classify({ json: { texts: ['y'.repeat(5000)] } });
  assert.equal(big.status, 413);
  assert.equal(errorCode(big), 'FMC_ERR_TOO_LARGE');

  const many = await classify({ json: { texts: Array.from({ length: 6 }, () => 'panne') } });
  assert.equal(many.status, 413);
  assert.equal(errorCode(many), 'FMC_ERR_TOO_LARGE');
  assert.match(many.text, /6 texts in one request; the limit is 5/);

  const long = await classify({ json: { items: [{ id: 'a', text: 'ok' }, { id: 'b', text: 'z'.repeat(101) }] } });
  assert.equal(long.status, 413);
  assert.match(long.text, /items\[1\] is 101 characters; the limit is 100/);
});

test('CSV over the byte limit: 413, whether declared up front or streamed in chunks', async () => {
  const csv = 'text\n' + 'panne fibre encore\n'.repeat(200);
  const declared = await classify({ headers: { 'content-type': 'text/csv' }, body: csv });
  assert.equal(declared.status, 413, declared.text);
  assert.equal(errorCode(declared), 'FMC_ERR_TOO_LARGE');

  // No Content-Length: the limit is enforced while the body streams in.
  const streamed = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(`${server.url}/api/classify`, { method: 'POST', headers: { 'content-type': 'text/csv', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.write('text\n');
    for (let i = 0; i < 200; i++) req.write('panne fibre encore\n');
    req.end();
  });
  assert.equal(streamed.status, 413, streamed.text);
  assert.match(streamed.text, /FMC_ERR_TOO_LARGE/);
});

test('malformed JSON, wrong shapes and both forms at once: 400', async () => {
  const cases: [RequestInit & { json?: unknown }, RegExp][] = [
    [{ headers: { 'content-type': 'application/json' }, body: '{"texts": [' }, /not valid JSON/],
    [{ json: { texts: 'panne' } }, /texts must be array/],
    [{ json: { texts: [] } }, /must NOT have fewer than 1 items/],
    [{ json: { items: [{ id: 'a' }] } }, /must have required property 'text'/],
    [{ json: {} }, /exactly one of "texts".*or "items"/],
    [{ json: { texts: ['a'], items: [{ text: 'b' }] } }, /exactly one of/],
  ];
  for (const [init, message] of cases) {
    const r = await classify(init);
    assert.equal(r.status, 400, `${JSON.stringify(init)}: ${r.text}`);
    assert.equal(errorCode(r), 'FMC_ERR_BAD_REQUEST');
    assert.match((r.body as { error: { message: string } }).error.message, message);
  }
});

test('a content type that is neither JSON nor CSV: 415', async () => {
  const xml = await classify({ headers: { 'content-type': 'application/xml' }, body: '<texts/>' });
  assert.equal(xml.status, 415, xml.text);
  assert.equal(errorCode(xml), 'FMC_ERR_MEDIA_TYPE');
  const plain = await classify({ headers: { 'content-type': 'text/plain' }, body: 'panne' });
  assert.equal(plain.status, 415, plain.text);
});

test('unknown routes and methods: 404 JSON', async () => {
  for (const [method, path] of [['GET', '/nope'], ['GET', '/api/classify'], ['DELETE', '/api/health']] as const) {
    const r = await call(`${server.url}${path}`, { method });
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(errorCode(r), 'FMC_ERR_NOT_FOUND');
  }
});
