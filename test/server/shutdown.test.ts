import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { fmcBin, tempDir } from '../helpers.js';

// `fmc serve` as users run it: a child process, a real port, real signals.

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir()));
after(() => cleanup());

interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  /** Resolves when stderr has a line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
  readonly exited: Promise<{ code: number | null; ms: number }>;
  stderr(): string;
}

async function startCli(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [fmcBin, 'serve', '--port', '0', '--data-dir', join(dir, 'data'), '--cache', join(dir, 'cache.sqlite'), '--provider', 'rules', ...args], {
    env: { ...process.env, NO_COLOR: '1', FMC_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of [...waiters]) {
      const line = text.split('\n').find((l) => w.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  let signalled = 0;
  const kill = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number) => {
    signalled = Date.now();
    return kill(signal);
  };
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => child.on('exit', (code) => resolve({ code, ms: Date.now() - signalled })));
  const waitFor = (pattern: RegExp): Promise<string> => {
    const line = text.split('\n').find((l) => pattern.test(l));
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      waiters.push({ pattern, resolve });
      exited.then(() => reject(new Error(`fmc serve exited before ${pattern}: ${text}`)), () => undefined);
    });
  };
  const listening = await waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
  const port = Number(/:(\d+) /.exec(listening)![1]);
  return { child, port, waitFor, exited, stderr: () => text };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ port, host: '127.0.0.1', path: '/api/health', agent: false }, (res) => {
      res.resume();
      resolve(false);
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    req.end();
  });
}

test('SIGTERM: stops accepting, lets the in-flight request finish, closes, exits 0', async () => {
  const served = await startCli([]);
  const response = new Promise<{ res: IncomingMessage; body: string }>((resolve, reject) => {
    const req = request(
      { port: served.port, host: '127.0.0.1', path: '/api/classify', method: 'POST', agent: false, headers: { 'content-type': 'text/csv', 'transfer-encoding': 'chunked' } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ res, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.write('id,text\n1,plus de connexion depuis hier\n');
    // The rest of the body only after the server is already shutting down.
    void served.waitFor(/shutting down/).then(async () => {
      while (!(await refused(served.port))) await new Promise((r) => setTimeout(r, 20));
      req.end('2,merci pour le geste commercial\n3,toujours pas de réseau mobile\n');
    });
  });
  const incoming = await served.waitFor(/incoming request/);
  assert.match(incoming, /"reqId":"[0-9a-f-]{36}"/, 'request ids in the logs');
  served.child.kill('SIGTERM');

  const { res, body } = await response;
  assert.equal(res.statusCode, 200);
  const rows = parse(body, { columns: true }) as Record<string, string>[];
  assert.deepEqual(rows.map((r) => r.id), ['1', '2', '3'], 'every row of the in-flight request answered');
  assert.equal(rows[0]!.incident, 'outage');

  const { code, ms } = await served.exited;
  assert.equal(code, 0, served.stderr());
  assert.ok(ms < 10_000, `exited ${ms} ms after SIGTERM`);
  assert.match(served.stderr(), /"msg":"server closed"/);
});

test('SIGINT with nothing in flight: exits 0 at once', async () => {
  const served = await startCli(['--rate-limit', '0']);
  const r = await fetch(`http://127.0.0.1:${served.port}/api/health`);
  assert.equal(r.status, 200);
  served.child.kill('SIGINT');
  const { code, ms } = await served.exited;
  assert.equal(code, 0, served.stderr());
  assert.ok(ms < 2_000, `exited ${ms} ms after SIGINT (an idle keep-alive socket must not hold it)`);
});
