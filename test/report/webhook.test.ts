import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { report } from '../../src/cli/report.js';
import { FmcError } from '../../src/errors.js';
import { fmcBin, tempDir } from '../helpers.js';
import { spikeRows, writeClassified } from './helpers.js';

// A loopback webhook whose answers the test scripts: 'hang' (never answers), or a status.
interface Hook {
  readonly url: string;
  readonly bodies: unknown[];
  script: ('hang' | number)[];
  close(): Promise<void>;
}

async function startHook(): Promise<Hook> {
  const hook = { bodies: [] as unknown[], script: [] as ('hang' | number)[] };
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      hook.bodies.push(JSON.parse(body));
      const next = hook.script.shift() ?? 200;
      if (next === 'hang') return void hanging.push(res);
      res.writeHead(next, { 'content-type': 'text/plain' }).end(next === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return Object.assign(hook, {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

let tmp: { dir: string; cleanup: () => void };
let hook: Hook;
const path = (name: string): string => join(tmp.dir, name);
const silent = { stdin: process.stdin, stdout: process.stdout, stderr: Object.assign(process.stderr, {}), env: {} };
const options = (extra: object = {}) => ({
  output: path('report.html'),
  tz: 'Europe/Paris',
  lang: 'en' as const,
  escalateBelow: 0.6,
  cache: path('cache.sqlite'),
  alertWebhook: hook.url,
  webhookTimeout: 300,
  webhookBackoffMs: 10,
  quiet: true,
  ...extra,
});

before(async () => {
  tmp = tempDir('fmc-webhook-');
  hook = await startHook();
  writeClassified(path('spike.csv'), spikeRows());
});
after(async () => {
  await hook.close();
  tmp.cleanup();
});

test('webhook: a timeout, then a 500, then a 200: delivered once, with a Slack-style text; a rerun sends nothing again', async () => {
  hook.script = ['hang', 500, 200];
  hook.bodies.length = 0;
  assert.equal(await report([path('spike.csv')], options(), silent), 0);
  assert.equal(hook.bodies.length, 3, 'three attempts');
  const body = hook.bodies[2] as { text: string; alert: Record<string, unknown> };
  assert.match(body.text, /^fmc: outage spike, 34 claims from 2024-03-25T00:00:00\+01:00 to 2024-03-26T00:00:00\+01:00 \(expected 3\.5, score [\d.]+\)$/);
  assert.deepEqual(Object.keys(body.alert), ['start', 'end', 'field', 'value', 'count', 'expected', 'score']);
  assert.deepEqual(hook.bodies[0], hook.bodies[2], 'each retry sends the same alert');

  // Same bucket, same webhook: never twice (the state is in the cache DB).
  assert.equal(await report([path('spike.csv')], options(), silent), 0);
  assert.equal(hook.bodies.length, 3);
});

test('webhook: still failing after the retries: the report is written, FMC_ERR_WEBHOOK (exit 4); a later run delivers it', async () => {
  hook.script = [500, 500, 500, 500];
  hook.bodies.length = 0;
  const fresh = options({ cache: path('cache-2.sqlite'), output: path('failed.html') });
  await assert.rejects(report([path('spike.csv')], fresh, silent), (err: unknown) => {
    assert.ok(err instanceof FmcError);
    assert.equal(err.code, 'FMC_ERR_WEBHOOK');
    assert.equal(err.exitCode, 4);
    assert.match(err.message, /1 alert not delivered to http:\/\/127\.0\.0\.1:\d+\/hook \(outage 2024-03-25T00:00:00\+01:00: HTTP 500 after 4 attempts\); the report is written; a rerun retries them/);
    return true;
  });
  assert.equal(hook.bodies.length, 4);
  assert.ok(existsSync(path('failed.html')));
  hook.script = [200];
  assert.equal(await report([path('spike.csv')], fresh, silent), 0);
  assert.equal(hook.bodies.length, 5);
});

test('webhook: a 4xx other than 429 is not retried', async () => {
  hook.script = [404];
  hook.bodies.length = 0;
  await assert.rejects(report([path('spike.csv')], options({ cache: path('cache-3.sqlite') }), silent), /HTTP 404 after 1 attempts/);
  assert.equal(hook.bodies.length, 1);
});

test('webhook: the CLI exits 4 with one line when the webhook times out every time', async () => {
  hook.script = ['hang', 'hang', 'hang', 'hang'];
  hook.bodies.length = 0;
  const child = spawn(process.execPath, [fmcBin, 'report', path('spike.csv'), '-o', path('cli.html'), '--alert-webhook', hook.url, '--webhook-timeout', '0.2', '--quiet'], {
    env: { ...process.env, NO_COLOR: '1', FMC_CACHE: path('cache-4.sqlite') },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 4, stderr);
  assert.match(stderr, /^fmc: 1 alert not delivered to .*no answer within 200 ms after 4 attempts.*\[FMC_ERR_WEBHOOK\]\n$/);
  // Four attempts by the client's count; the server may not see the last one's body on a
  // loaded machine (the 200 ms can run out while connecting), so it sees at most four.
  assert.ok(hook.bodies.length >= 1 && hook.bodies.length <= 4, `${hook.bodies.length} requests`);
  assert.ok(existsSync(path('cli.html')));
});

test('webhook: refused without the cache (it could not remember what it sent)', async () => {
  await assert.rejects(report([path('spike.csv')], options({ cache: false }), silent), /--alert-webhook needs the cache/);
});
