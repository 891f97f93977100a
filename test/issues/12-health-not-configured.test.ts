import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { HealthSummary } from '../../src/cli/health.js';
import { createPipeline } from '../../src/pipeline/pipeline.js';
import type { HealthReport } from '../../src/server/health.js';
import { tempDir } from '../helpers.js';
import { fmc, isolatedEnv } from '../ops/helpers.js';
import { startServer, testTierConfig } from '../server/helpers.js';

// Issue 12, item 20: `fmc health` exited 3 "degraded" on the default offline install because
// Gemini and Ollama were not configured. Not configured is not down.

let dir: string;
let cleanup: () => void;
let env: NodeJS.ProcessEnv;
before(() => {
  ({ dir, cleanup } = tempDir('fmc-12-health-'));
  // No GEMINI_API_KEY, no OLLAMA_HOST: the default offline install.
  env = { ...isolatedEnv(dir), OLLAMA_HOST: '', OLLAMA_MODEL: '', OPENAI_BASE_URL: '', OPENAI_API_KEY: '' };
});
after(() => cleanup());

test('the default offline install: fmc health exits 0 and says "not configured" for Gemini and Ollama', async () => {
  const r = await fmc(['health'], env);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^off +tier gemini +gemini: not configured \(GEMINI_API_KEY is unset\)/m);
  assert.match(r.stdout, /^off +tier ollama +ollama: not configured \(OLLAMA_HOST and OLLAMA_MODEL are unset/m);
  assert.match(r.stdout, /^off +tier openai +openai: not configured \(OPENAI_BASE_URL and OPENAI_API_KEY are unset\)/m);
  assert.match(r.stdout, /^healthy$/m);
  const json = JSON.parse((await fmc(['health', '--json'], env)).stdout) as HealthSummary;
  assert.equal(json.status, 'ok');
  assert.deepEqual(json.checks.filter((c) => c.configured === false).map((c) => c.name), ['tier gemini', 'tier openai', 'tier ollama']);
});

test('a configured tier that is down still exits 3 (degraded)', async () => {
  const r = await fmc(['health'], { ...env, OLLAMA_HOST: 'http://127.0.0.1:9' });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /^warn +tier ollama /m);
  assert.match(r.stdout, /^off +tier gemini /m);
});

test('/api/health agrees: "ok", with the unconfigured tiers reported as such', async () => {
  // auto over the test config: no Gemini key, Ollama's host unset, no local model folder.
  const pipeline = await createPipeline({ provider: 'auto', tiers: { ...testTierConfig, modelDir: join(dir, 'no-model') }, cachePath: join(dir, 'api-cache.sqlite') });
  const server = await startServer({ pipeline });
  try {
    const r = await server.app.inject({ method: 'GET', url: '/api/health' });
    assert.equal(r.statusCode, 200);
    const report = r.json() as HealthReport;
    assert.equal(report.status, 'ok');
    for (const name of ['gemini', 'ollama']) {
      assert.equal(report.checks.tiers[name]?.configured, false, name);
      assert.match(report.checks.tiers[name]!.detail, new RegExp(`^${name}: not configured`));
    }
    assert.equal(report.checks.tiers.rules?.ok, true);
  } finally {
    await server.close();
  }
});
