// The shipped nginx templates, run by a real nginx (Debian's nginx-light, installed by
// test/system/ensure.sh) with their ports and paths moved under a temp dir: `nginx -t` takes
// both as written, and nginx-instances.conf in front of two `fmc serve` on one PostgreSQL
// serves HTTPS and the WebSocket upgrade, redirects plain HTTP, logs no query string, and
// carries a chat client cut by one instance's stop to the other, where it resumes.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closedPort } from '../fakes/http.js';
import { repoRoot, tempDir } from '../helpers.js';
import { call } from '../server/helpers.js';
import { startCluster, type Cluster } from '../server/relay-pg-cluster.js';
import { connect, type Client, type RelayServer } from '../server/relay-helpers.js';
import { localizeTemplate } from './helpers.js';

const INSTALL = 'apt-get update && apt-get install -y --no-install-recommends nginx-light openssl';
const HOST = 'fmc.example.com';

function nginxBin(): string {
  if (existsSync('/usr/sbin/nginx')) return '/usr/sbin/nginx';
  const found = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  throw new Error(`nginx not found; install it first (as root): ${INSTALL}`);
}

const template = (name: string): string => readFileSync(join(repoRoot, 'src', 'ops', 'templates', name), 'utf8');

interface Ports {
  readonly upstreams: readonly number[];
  readonly http: number;
  readonly https: number;
}

/**
 * A site template made runnable here: its upstream servers become `upstreams` (in order), its
 * listeners loopback ports (IPv4 only: a test machine may have no IPv6), its paths move under
 * `root`, and a main nginx.conf around it keeps pid, logs and temp files there too.
 */
function prepare(name: string, root: string, ports: Ports): string {
  let k = 0;
  const site = localizeTemplate(template(name), root)
    .replace(/server 127\.0\.0\.1:\d+/g, () => `server 127.0.0.1:${ports.upstreams[k++]}`)
    .replace(/^\s*listen \[::\]:.*$/gm, '')
    .replace(/listen 80;/, `listen 127.0.0.1:${ports.http};`)
    .replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${ports.https} ssl http2;`);
  assert.equal(k, ports.upstreams.length, `${name} names ${k} upstream servers`);
  for (const dir of ['var/log/nginx', `etc/letsencrypt/live/${HOST}`, 'tmp']) mkdirSync(join(root, dir), { recursive: true });
  const live = join(root, 'etc', 'letsencrypt', 'live', HOST);
  if (!existsSync(join(live, 'privkey.pem'))) {
    const cert = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(live, 'privkey.pem'), '-out', join(live, 'fullchain.pem'), '-days', '1', '-subj', `/CN=${HOST}`], { encoding: 'utf8' });
    assert.equal(cert.status, 0, cert.stderr);
  }
  writeFileSync(join(root, 'site.conf'), site);
  const tmp = join(root, 'tmp');
  const main = `daemon off;
master_process off;
pid ${join(root, 'nginx.pid')};
error_log ${join(root, 'error.log')} warn;
events { worker_connections 256; }
http {
  client_body_temp_path ${tmp}/body; proxy_temp_path ${tmp}/proxy; fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi; scgi_temp_path ${tmp}/scgi;
  access_log ${join(root, 'other.access.log')};
  include ${join(root, 'site.conf')};
}
`;
  const conf = join(root, 'nginx.conf');
  writeFileSync(conf, main);
  return conf;
}

const nginxArgs = (conf: string, root: string): string[] => ['-c', conf, '-p', `${root}/`, '-e', join(root, 'error.log')];

function checkConfig(conf: string, root: string): { code: number | null; out: string } {
  const r = spawnSync(nginxBin(), ['-t', ...nginxArgs(conf, root)], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1', () => resolve(true));
      s.on('error', () => resolve(false));
      setTimeout(() => s.destroy(), 500);
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function get(secure: boolean, port: number, path: string): Promise<Answer> {
  const options = { host: '127.0.0.1', port, path, headers: { host: HOST }, servername: HOST, rejectUnauthorized: false };
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(options, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('nginx -t takes both templates as shipped (the nginx of Debian 12)', async () => {
  const { dir, cleanup } = tempDir('fmc-nginx-t-');
  try {
    for (const [name, upstreams] of [['nginx.conf', 1], ['nginx-instances.conf', 2]] as const) {
      const root = join(dir, name);
      const ports: Ports = { upstreams: Array.from({ length: upstreams }, (_, i) => 8502 + i), http: await closedPort(), https: await closedPort() };
      const r = checkConfig(prepare(name, root, ports), root);
      assert.equal(r.code, 0, `${name}: ${r.out}`);
      assert.match(r.out, /test is successful/);
    }
  } finally {
    cleanup();
  }
});

describe('nginx-instances.conf in front of two fmc serve on one PostgreSQL', () => {
  let cluster: Cluster;
  let nginx: ChildProcess;
  let root: string;
  let cleanup: () => void;
  let ports: Ports;
  let relay: RelayServer;

  before(async () => {
    ({ dir: root, cleanup } = tempDir('fmc-nginx-'));
    cluster = await startCluster(2, { alice: 'customer', agent1: 'agent' });
    ports = { upstreams: cluster.instances.map((i) => Number(new URL(i.url).port)), http: await closedPort(), https: await closedPort() };
    const conf = prepare('nginx-instances.conf', root, ports);
    nginx = spawn(nginxBin(), nginxArgs(conf, root), { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitForPort(ports.https);
    relay = { wsUrl: `wss://127.0.0.1:${ports.https}/ws` } as RelayServer;
  });
  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx.once('exit', r));
      nginx.kill('SIGTERM');
      await exited;
    }
    await cluster?.close();
    cleanup?.();
  });

  test('HTTPS to the instances, plain HTTP redirected, and no query string in the access log', async () => {
    const health = await get(true, ports.https, '/api/health?ticket=s3cret-in-the-query');
    assert.equal(health.status, 200, health.body);
    assert.equal((JSON.parse(health.body) as { status: string }).status, 'ok');
    assert.equal(health.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', 'one HSTS header');

    const plain = await get(false, ports.http, '/api/health');
    assert.equal(plain.status, 301);
    assert.equal(plain.headers.location, `https://${HOST}/api/health`);

    const log = readFileSync(join(root, 'var', 'log', 'nginx', 'fmc.access.log'), 'utf8');
    assert.match(log, /"GET \/api\/health HTTP\/1\.1" 200 /);
    assert.doesNotMatch(log, /s3cret/);
  });

  test('the WebSocket upgrade through nginx; a client cut by one instance stopping reconnects through nginx to the other and resumes', async () => {
    const alice = await cluster.token('alice');
    const agent = await cluster.token('agent1');
    const opened = await call(`${cluster.instances[1]!.url}/api/conversations`, { method: 'POST', token: alice });
    assert.equal(opened.status, 201, opened.text);
    const conversationId = (opened.body as { id: string }).id;
    const tls = { rejectUnauthorized: false, servername: HOST };
    const join = async (token: string, afterSeq = 0): Promise<Client> => {
      const client = await connect(relay, token, 'header', tls);
      client.send({ type: 'resume', conversationId, afterSeq });
      await client.waitFor('resumed', (f) => f.conversationId === conversationId);
      return client;
    };
    // nginx deals new connections out in turn: four agent sockets reach both instances.
    let agents = await Promise.all(Array.from({ length: 4 }, () => join(agent)));
    let customer = await join(alice);
    customer.send({ type: 'send', conversationId, clientId: 'm1', text: 'plus de connexion depuis ce matin' });
    for (const a of agents) await a.waitFor('message', (f) => f.conversationId === conversationId && f.seq === 1, 10_000);

    // Instance 0 stops (a deploy restarting it): the sockets nginx gave it are closed.
    await cluster.instances[0]!.stop();
    await new Promise((r) => setTimeout(r, 300));
    const closedNow = agents.map((a) => a.ws.readyState !== a.ws.OPEN);
    assert.ok(closedNow.some(Boolean), 'at least one agent socket was on the stopped instance');
    assert.ok(closedNow.some((c) => !c), 'and at least one on the other');

    // A message sent while they are away, then they come back through nginx.
    if (customer.ws.readyState !== customer.ws.OPEN) customer = await join(alice, 1);
    customer.send({ type: 'send', conversationId, clientId: 'm2', text: 'toujours rien' });
    agents = await Promise.all(agents.map((a, i) => (closedNow[i] ? join(agent, 1) : Promise.resolve(a))));
    for (const [i, a] of agents.entries()) {
      await a.waitFor('message', (f) => f.conversationId === conversationId && f.seq === 2, 10_000);
      await new Promise((r) => setTimeout(r, 100));
      const seqs = a.frames.flatMap((f) => (f.type === 'message' && f.conversationId === conversationId ? [f.seq] : []));
      assert.deepEqual(seqs, closedNow[i] ? [2] : [1, 2], `agent socket ${i}: every message once`);
    }
    for (const c of [...agents, customer]) await c.close();
  });
});
