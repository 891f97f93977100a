import assert from 'node:assert/strict';
import { statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { corsOrigins, loadConfig, loadServerEnv, PLACEHOLDER_SECRETS } from '../../src/config.js';
import { loadOrCreateSecret } from '../../src/store/secret.js';
import { FmcError } from '../../src/errors.js';
import { isLoopback } from '../../src/cli/serve.js';
import { tempDir } from '../helpers.js';
import { call, startServer } from './helpers.js';

test('security headers and a request id on every answer, errors included', async () => {
  const server = await startServer();
  try {
    for (const path of ['/api/health', '/nope']) {
      const r = await call(`${server.url}${path}`);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
      assert.ok(r.headers.get('content-security-policy'), path);
      assert.equal(r.headers.get('x-frame-options'), 'SAMEORIGIN', path);
      assert.match(r.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, path);
    }
    const given = await call(`${server.url}/api/health`, { headers: { 'x-request-id': 'trace-42' } });
    assert.equal(given.headers.get('x-request-id'), 'trace-42', "a sane caller's id is kept");
    const hostile = await call(`${server.url}/api/health`, { headers: { 'x-request-id': 'a b"<script>' } });
    assert.notEqual(hostile.headers.get('x-request-id'), 'a b"<script>');
  } finally {
    await server.close();
  }
});

test('CORS: listed origins get credentials, others get nothing; `*` never with credentials', async () => {
  const listed = await startServer({ corsOrigins: ['https://agents.example.com'] });
  try {
    const ok = await call(`${listed.url}/api/health`, { headers: { origin: 'https://agents.example.com' } });
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://agents.example.com');
    assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
    const evil = await call(`${listed.url}/api/health`, { headers: { origin: 'https://evil.example.com' } });
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    const preflight = await fetch(`${listed.url}/api/classify`, {
      method: 'OPTIONS',
      headers: { origin: 'https://agents.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  } finally {
    await listed.close();
  }
  const any = await startServer({ corsOrigins: ['*'] });
  try {
    const r = await call(`${any.url}/api/health`, { headers: { origin: 'https://x.example.com' } });
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.equal(r.headers.get('access-control-allow-credentials'), null);
  } finally {
    await any.close();
  }
  const none = await startServer();
  try {
    const r = await call(`${none.url}/api/health`, { headers: { origin: 'https://agents.example.com' } });
    assert.equal(r.headers.get('access-control-allow-origin'), null, 'no FMC_CORS_ORIGINS: no cross-origin access');
  } finally {
    await none.close();
  }
});

test('FMC_CORS_ORIGINS and FMC_JWT_SECRET are checked at start-up', () => {
  assert.deepEqual(corsOrigins(' https://a.example.com, http://localhost:5173 '), ['https://a.example.com', 'http://localhost:5173']);
  assert.deepEqual(corsOrigins(undefined), []);
  for (const bad of ['*,https://a.example.com', 'https://a.example.com/', 'a.example.com']) {
    assert.throws(() => corsOrigins(bad), (err: unknown) => err instanceof FmcError && err.code === 'FMC_ERR_CONFIG', bad);
  }
  assert.throws(() => loadServerEnv({ FMC_JWT_SECRET: 'short' }), /at least 32/);
  // Long enough, but published in the shipped fmc.env template: fmc serve must not start on it.
  assert.throws(() => loadServerEnv({ FMC_JWT_SECRET: PLACEHOLDER_SECRETS[0] }), /example value from fmc\.env/);
  assert.equal(loadServerEnv({}).jwtSecret, undefined, 'no default secret');
  assert.throws(() => loadConfig({ FMC_TIMEOUT_MS: '0' }), /FMC_TIMEOUT_MS=0 would time every request out at once/);
});

test('a generated secret is 0600, stable across starts, and refused once others can read it', () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'data', 'jwt-secret');
    const first = loadOrCreateSecret(path);
    assert.ok(first.length >= 32);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(loadOrCreateSecret(path), first);
    chmodSync(path, 0o644);
    assert.throws(() => loadOrCreateSecret(path), /chmod 600/);
    const other = join(dir, 'other');
    writeFileSync(other, 'x\n', { mode: 0o600 });
    assert.throws(() => loadOrCreateSecret(other), /too short/);
  } finally {
    cleanup();
  }
});

test('auth defaults on for any host that is not loopback', () => {
  for (const host of ['127.0.0.1', '127.8.0.1', '::1', 'localhost']) assert.equal(isLoopback(host), true, host);
  for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) assert.equal(isLoopback(host), false, host);
});

test('an unexpected error: 500 with a generic message and the request id, never its text or stack', async () => {
  const server = await startServer({
    beforeListen: (app) =>
      app.get('/boom', { config: { access: 'public' } }, async () => {
        throw new Error('secret detail from /srv/internal/path');
      }),
  });
  try {
    const r = await call(`${server.url}/boom`, { headers: { 'x-request-id': 'req-boom' } });
    assert.equal(r.status, 500);
    assert.deepEqual(r.body, { error: { code: 'FMC_ERR_INTERNAL', message: 'internal error; the server log has the details under request id req-boom' } });
    assert.doesNotMatch(r.text, /secret|internal\/path|at /);
  } finally {
    await server.close();
  }
});
