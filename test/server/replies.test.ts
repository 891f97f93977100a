import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { CommandIO } from '../../src/cli/command-io.js';
import { repliesAdd, repliesList, repliesRemove } from '../../src/cli/replies.js';
import { runFmc, tempDir } from '../helpers.js';
import { startServer, type TestServer } from './helpers.js';

let server: TestServer;
let tokens: { admin: string; agent: string; customer: string };
before(async () => {
  server = await startServer({ requireAuth: true });
  tokens = { admin: await server.login('root', 'admin'), agent: await server.login('alice', 'agent'), customer: await server.login('bob', 'customer') };
});
after(() => server.close());

const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: object) =>
  server.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload && { payload }) });
const code = (r: { json(): unknown }): string => (r.json() as { error: { code: string } }).error.code;

test('the list is seeded in French: outage, technician appointment, billing, return of equipment', async () => {
  const r = await inject('GET', '/api/replies', tokens.agent);
  assert.equal(r.statusCode, 200, r.body);
  const replies = (r.json() as { replies: { shortcut: string; title: string; body: string }[] }).replies;
  const by = new Map(replies.map((x) => [x.shortcut, x]));
  for (const [shortcut, word] of [['panne', /incident/], ['technicien', /technicien/], ['facture', /facture/], ['retour', /retour/]] as const) {
    assert.match(by.get(shortcut)?.body ?? '', word, shortcut);
  }
  assert.equal((await inject('GET', '/api/replies', tokens.customer)).statusCode, 403, 'customers do not read the agents\' templates');
});

test('admins add and remove replies; agents may not; bad or taken shortcuts are refused with their codes', async () => {
  const denied = await inject('POST', '/api/replies', tokens.agent, { shortcut: 'x', body: 'y' });
  assert.equal(denied.statusCode, 403);
  const added = await inject('POST', '/api/replies', tokens.admin, { shortcut: '/Delai', title: 'Délai', body: 'Comptez 48 heures.' });
  assert.equal(added.statusCode, 201, added.body);
  assert.deepEqual({ ...(added.json() as object), createdAt: undefined }, { shortcut: 'delai', title: 'Délai', body: 'Comptez 48 heures.', createdBy: 'root', createdAt: undefined });
  const again = await inject('POST', '/api/replies', tokens.admin, { shortcut: 'delai', body: 'autre' });
  assert.equal(again.statusCode, 409);
  assert.equal(code(again), 'FMC_ERR_REPLY_EXISTS');
  const bad = await inject('POST', '/api/replies', tokens.admin, { shortcut: 'deux mots', body: 'x' });
  assert.equal(bad.statusCode, 400);
  assert.equal(code(bad), 'FMC_ERR_BAD_REPLY');
  const empty = await inject('POST', '/api/replies', tokens.admin, { shortcut: 'vide', body: '   ' });
  assert.equal(code(empty), 'FMC_ERR_BAD_REPLY');
  assert.equal((await inject('DELETE', '/api/replies/delai', tokens.agent)).statusCode, 403);
  assert.equal((await inject('DELETE', '/api/replies/delai', tokens.admin)).statusCode, 200);
  const gone = await inject('DELETE', '/api/replies/delai', tokens.admin);
  assert.equal(gone.statusCode, 404);
  assert.equal(code(gone), 'FMC_ERR_REPLY_NOT_FOUND');
});

function io(input = ''): { io: CommandIO; out: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  return { io: { stdin: Readable.from([input]), stdout: out, stderr: new PassThrough(), env: { USER: 'ops' } } as unknown as CommandIO, out: () => text };
}

test('fmc replies add (arguments or stdin), list, remove; an unknown shortcut exits 2 naming the code', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const dataDir = join(dir, 'data');
    const a = io();
    await repliesAdd('box-bloquee', ['Pouvez-vous', 'me', 'dire', "ce qu'affiche", 'votre', 'Freebox ?'], { dataDir, title: 'Box bloquée' }, a.io);
    assert.equal(a.out(), 'added /box-bloquee (Box bloquée)\n');
    const b = io('Le délai est de 48 heures.\n');
    await repliesAdd('delai', [], { dataDir }, b.io);
    const list = io();
    await repliesList({ dataDir, json: true }, list.io);
    const replies = JSON.parse(list.out()) as { shortcut: string; body: string; createdBy: string }[];
    assert.equal(replies.find((r) => r.shortcut === 'delai')?.body, 'Le délai est de 48 heures.');
    assert.equal(replies.find((r) => r.shortcut === 'box-bloquee')?.body, "Pouvez-vous me dire ce qu'affiche votre Freebox ?");
    assert.equal(replies.find((r) => r.shortcut === 'delai')?.createdBy, 'ops');
    const rm = io();
    await repliesRemove('/delai', { dataDir }, rm.io);
    assert.equal(rm.out(), 'removed /delai\n');
    const r = runFmc(['replies', 'remove', 'delai', '--data-dir', dataDir]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /no reply \/delai.*FMC_ERR_REPLY_NOT_FOUND/);
  } finally {
    cleanup();
  }
});
