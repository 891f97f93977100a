import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, startServer, type TestServer } from './helpers.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Prometheus text format 0.0.4, strictly: every line is a comment or `name{labels} value`. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = pair.indexOf('=');
      labels[pair.slice(0, eq)] = pair.slice(eq + 2, -1);
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}): Sample | undefined =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

test('/metrics is Prometheus text with request, latency, label, cache, tier and WS metrics', async () => {
  await call(`${server.url}/api/classify`, { method: 'POST', json: { texts: ['panne fibre depuis hier', 'merci free', 'ma facture est fausse'] } });
  await call(`${server.url}/api/classify`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'text\nplus de réseau\n' });
  await call(`${server.url}/nope`);

  const r = await fetch(`${server.url}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await r.text();
  const samples = parseExposition(text);

  assert.equal(find(samples, 'fmc_http_requests_total', { route: '/api/classify', method: 'POST', status: '200' })?.value, 2);
  assert.equal(find(samples, 'fmc_http_requests_total', { route: 'unmatched', status: '404' })?.value, 1);
  assert.equal(find(samples, 'fmc_http_request_duration_seconds_count', { route: '/api/classify' })?.value, 2);
  assert.ok(find(samples, 'fmc_http_request_duration_seconds_bucket', { route: '/api/classify', le: '0.01' }));
  assert.equal(find(samples, 'fmc_classified_rows_total', { provider: 'rules' })?.value, 4);
  const claims = samples.filter((s) => s.name === 'fmc_classified_labels_total' && s.labels.field === 'is_claim').reduce((a, s) => a + s.value, 0);
  assert.equal(claims, 4, 'every row counted once per field');
  assert.ok(find(samples, 'fmc_cache_hits_total'));
  assert.ok(find(samples, 'fmc_cache_misses_total'));
  assert.equal(find(samples, 'fmc_ws_connections')?.value, 0);
  assert.ok(find(samples, 'fmc_process_resident_memory_bytes'), 'process metrics');
  // No tier has failed, so the labeled counter has no sample yet; it is declared all the same.
  assert.match(text, /^# TYPE fmc_tier_errors_total counter$/m);
});
