import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { clientId, connect, openConversation, startRelayServer, type RelayServer } from './relay-helpers.js';

// A 1×1 PNG and a minimal PDF: real magic bytes, as file-type reads them.
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

let server: RelayServer;
let t: { agent: string; claire: string; denis: string };
before(async () => {
  server = await startRelayServer();
  t = { agent: await server.user('agent1', 'agent'), claire: await server.user('claire', 'customer'), denis: await server.user('denis', 'customer') };
});
after(() => server.close());

/** A multipart body as a browser's FormData makes it, sent through inject(). */
async function upload(conversationId: string, token: string, name: string, body: Buffer, type = 'application/octet-stream'): Promise<LightMyRequestResponse> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(body)], { type }), name);
  const request = new Request('http://x/', { method: 'POST', body: form });
  return server.app.inject({
    method: 'POST',
    url: `/api/conversations/${conversationId}/attachments`,
    headers: { authorization: `Bearer ${token}`, 'content-type': request.headers.get('content-type')! },
    payload: Buffer.from(await request.arrayBuffer()),
  });
}
const download = (id: string, token: string) => server.app.inject({ method: 'GET', url: `/api/attachments/${id}`, headers: { authorization: `Bearer ${token}` } });
const code = (r: LightMyRequestResponse): string => (r.json() as { error: { code: string } }).error.code;

test('a customer attaches a PNG to a message; agents see it in the history and download it, as a download with its checked type', async () => {
  const conversationId = await openConversation(server, t.claire);
  const up = await upload(conversationId, t.claire, 'photo box.png', PNG, 'text/html');
  assert.equal(up.statusCode, 201, up.body);
  const meta = up.json() as { id: string; name: string; contentType: string; size: number };
  assert.match(meta.id, /^[\w-]{22}$/);
  assert.deepEqual({ ...meta, id: undefined }, { id: undefined, name: 'photo box.png', contentType: 'image/png', size: PNG.length });

  // Before a message shows it, only the uploader can fetch it.
  assert.equal((await download(meta.id, t.agent)).statusCode, 404);
  const ws = await connect(server, t.claire);
  ws.send({ type: 'resume', conversationId, afterSeq: 0 });
  await ws.waitFor('resumed');
  ws.send({ type: 'send', conversationId, clientId: clientId(), text: 'voici la photo', attachmentId: meta.id });
  await ws.waitFor('ack');
  const echoed = await ws.waitFor('message');
  assert.deepEqual((echoed as { attachment?: unknown }).attachment, meta);
  // The same file cannot be shown by a second message.
  ws.send({ type: 'send', conversationId, clientId: clientId(), text: 'encore', attachmentId: meta.id });
  assert.equal((await ws.waitFor('error')).code, 'FMC_ERR_ATTACHMENT');
  await ws.close();

  const history = await server.app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages`, headers: { authorization: `Bearer ${t.agent}` } });
  assert.deepEqual((history.json() as { messages: { attachment?: unknown }[] }).messages[0]!.attachment, meta);
  const file = await download(meta.id, t.agent);
  assert.equal(file.statusCode, 200);
  assert.deepEqual(file.rawPayload, PNG);
  assert.equal(file.headers['content-type'], 'image/png');
  assert.equal(file.headers['content-disposition'], `attachment; filename="photo box.png"; filename*=UTF-8''photo%20box.png`);
  assert.equal(file.headers['x-content-type-options'], 'nosniff');
  assert.match(String(file.headers['content-security-policy']), /sandbox/);

  // Stored sealed: neither the bytes nor the name are in the database in clear.
  const row = server.data.db.prepare('SELECT name, body FROM attachments WHERE id = ?').get(meta.id) as { name: Buffer; body: Buffer };
  assert.equal(row.body.includes(PNG.subarray(8, 24)), false);
  assert.equal(row.name.includes(Buffer.from('photo box')), false);
});

test("another customer gets 404 for the file and cannot upload to the conversation, nor send someone else's attachment", async () => {
  const conversationId = await openConversation(server, t.claire);
  const up = await upload(conversationId, t.claire, 'facture.pdf', PDF);
  assert.equal(up.statusCode, 201, up.body);
  const { id, contentType } = up.json() as { id: string; contentType: string };
  assert.equal(contentType, 'application/pdf');
  assert.equal((await download(id, t.denis)).statusCode, 404);
  const foreign = await upload(conversationId, t.denis, 'x.png', PNG);
  assert.equal(foreign.statusCode, 404);
  assert.equal(code(foreign), 'FMC_ERR_NOT_FOUND');
  const ws = await connect(server, t.agent);
  ws.send({ type: 'send', conversationId, clientId: clientId(), text: 'je la prends', attachmentId: id });
  assert.equal((await ws.waitFor('error')).code, 'FMC_ERR_ATTACHMENT');
  await ws.close();
  assert.equal((await download('A'.repeat(22), t.agent)).statusCode, 404);
});

test('too large, a disallowed type, a lying extension, no file, a closed conversation: 4xx with their codes, nothing stored', async () => {
  const conversationId = await openConversation(server, t.claire);
  const before = server.data.db.prepare('SELECT COUNT(*) FROM attachments').pluck().get() as number;
  const big = Buffer.concat([PNG, Buffer.alloc(10 * 1024 * 1024)]);
  const tooLarge = await upload(conversationId, t.claire, 'big.png', big);
  assert.equal(tooLarge.statusCode, 413);
  assert.equal(code(tooLarge), 'FMC_ERR_ATTACHMENT_TOO_LARGE');
  const html = await upload(conversationId, t.claire, 'page.png', Buffer.from('<!doctype html><script>alert(1)</script>'), 'image/png');
  assert.equal(html.statusCode, 415);
  assert.equal(code(html), 'FMC_ERR_ATTACHMENT_TYPE');
  const svg = await upload(conversationId, t.claire, 'logo.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), 'image/svg+xml');
  assert.equal(code(svg), 'FMC_ERR_ATTACHMENT_TYPE');
  const lying = await upload(conversationId, t.claire, 'facture.pdf', PNG, 'application/pdf');
  assert.equal(lying.statusCode, 415);
  assert.equal(code(lying), 'FMC_ERR_ATTACHMENT_TYPE');
  assert.match(lying.body, /name says \.pdf but the content is image\/png/);
  const exe = await upload(conversationId, t.claire, 'photo.png.exe', PNG);
  assert.equal(code(exe), 'FMC_ERR_ATTACHMENT_TYPE');
  const json = await server.app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/attachments`, headers: { authorization: `Bearer ${t.claire}` }, payload: { file: 'x' } });
  assert.equal(json.statusCode, 415);
  assert.equal(code(json), 'FMC_ERR_MEDIA_TYPE');
  assert.equal(server.data.db.prepare('SELECT COUNT(*) FROM attachments').pluck().get(), before);

  await server.app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/close`, headers: { authorization: `Bearer ${t.claire}` } });
  const closed = await upload(conversationId, t.claire, 'x.png', PNG);
  assert.equal(closed.statusCode, 409);
  assert.equal(code(closed), 'FMC_ERR_CONVERSATION_CLOSED');
});

test('a hostile file name: no path, no header injection, quotes replaced; the exact name in filename*', async () => {
  const conversationId = await openConversation(server, t.claire);
  const up = await upload(conversationId, t.claire, '../../"><img src=x onerror=alert(1)>é.png', PNG);
  assert.equal(up.statusCode, 201, up.body);
  const { id, name } = up.json() as { id: string; name: string };
  // (FormData sends the quote as %22, as browsers do.)
  assert.equal(name, '%22><img src=x onerror=alert(1)>é.png', 'the path part is dropped, the rest kept as text');
  const ws = await connect(server, t.claire);
  ws.send({ type: 'send', conversationId, clientId: clientId(), text: name, attachmentId: id });
  await ws.waitFor('ack');
  await ws.close();
  const file = await download(id, t.claire);
  const disposition = String(file.headers['content-disposition']);
  assert.equal(disposition, `attachment; filename="%22><img src=x onerror=alert(1)>e.png"; filename*=UTF-8''${encodeURIComponent(name)}`);
  assert.doesNotMatch(disposition, /[\r\n]/);
});

test('Content-Disposition: quotes, backslashes and line breaks never reach the header as such', async () => {
  const { contentDisposition } = await import('../../src/server/routes/attachments.js');
  const { cleanFileName } = await import('../../src/attachments/kinds.js');
  const name = cleanFileName('C:\\temp\\a"b\r\nSet-Cookie: x=1.png');
  assert.equal(name, 'a"bSet-Cookie: x=1.png');
  assert.equal(contentDisposition(name), `attachment; filename="a_bSet-Cookie: x=1.png"; filename*=UTF-8''a%22bSet-Cookie%3A%20x%3D1.png`);
});
