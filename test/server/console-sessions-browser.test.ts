import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/passwords.js';
import { tempDir } from '../helpers.js';
import { CONSOLE_WIDTHS, measureOverflow } from './page-overflow.js';
import { startRelayServer, TEST_PASSWORD, type RelayServer } from './relay-helpers.js';

// The agent console's sessions, canned replies, attachments and admin page in Debian's
// chromium. FMC_TOKEN_TTL is 2 s here, so every test also runs across several renewals.

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TTL_SECONDS = 2;

// Kept after the run (not cleaned up): the screenshots are the test's artifacts.
const SHOTS = mkdtempSync(join(tmpdir(), 'fmc-console-shots-'));
process.stderr.write(`console-browser: screenshots in ${SHOTS}\n`);

let server: RelayServer;
let browser: BrowserContext;
let profile: { dir: string; cleanup: () => void };
before(async () => {
  server = await startRelayServer({ requireAuth: true, tokenTtlSeconds: TTL_SECONDS });
  for (const [name, role] of [['agent1', 'agent'], ['claire', 'customer'], ['denis', 'customer'], ['root', 'admin'], ['emile', 'customer']] as const) await server.user(name, role);
  profile = tempDir('fmc-chromium-');
  browser = await chromium.launchPersistentContext(profile.dir, { executablePath: CHROMIUM, headless: true, args: FLAGS, acceptDownloads: true, timeout: 30_000 });
});
after(async () => {
  await browser?.close();
  await server.close();
  profile?.cleanup();
});

interface Watched {
  readonly page: Page;
  readonly errors: string[];
  /** Frames the page's sockets received, and how many sockets it opened. */
  readonly frames: string[];
  sockets: number;
}

async function logIn(username: string, viewport = { width: 1280, height: 800 }): Promise<Watched> {
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  page.setDefaultTimeout(10_000);
  const watched: Watched = { page, errors: [], frames: [], sockets: 0 };
  page.on('pageerror', (err) => watched.errors.push(err.message));
  page.on('websocket', (ws) => {
    watched.sockets++;
    ws.on('framereceived', (f) => watched.frames.push(String(f.payload)));
  });
  await page.goto(server.url + '/');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', TEST_PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#online.live');
  return watched;
}

/** A customer's new conversation; on a phone the list (and its button) is in the drawer. */
async function newConversation(page: Page): Promise<void> {
  const phone = await page.isVisible('#drawer-toggle');
  if (phone) {
    await page.click('#drawer-toggle');
    await page.locator('#new-conversation').waitFor({ state: 'visible' });
  }
  await page.click('#new-conversation');
  // Picking a conversation closes the drawer.
  if (phone) await page.locator('#list-pane').waitFor({ state: 'hidden' });
  await page.waitForSelector('#chat-form:not([hidden])');
}

const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

test('a session outlives FMC_TOKEN_TTL several times: no reload, the socket re-authenticated, the draft intact, then sent and received', async (t) => {
  const customer = await logIn('claire', { width: 390, height: 844 });
  const agent = await logIn('agent1');
  await customer.page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  await newConversation(customer.page);
  await customer.page.fill('#chat-input', 'ma box clignote rouge depuis ce matin');
  await shot(customer.page, 'session-1-draft');

  // Four token lifetimes, nothing touched.
  await customer.page.waitForTimeout(4 * TTL_SECONDS * 1000 + 500);
  assert.equal(await customer.page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the page was not reloaded');
  assert.equal(await customer.page.inputValue('#chat-input'), 'ma box clignote rouge depuis ce matin', 'the draft is intact');
  // Re-authenticated in place. On a loaded machine a renewal can land after a 2 s token's
  // end (expiries are whole seconds): the socket then reconnects and resumes, which is also fine.
  const renewals = customer.frames.filter((f) => f.includes('"type":"authed"')).length;
  assert.ok(renewals >= 3, `the socket was re-authenticated ${renewals} times`);
  t.diagnostic(`customer sockets opened: ${customer.sockets}, in-place renewals: ${renewals}`);
  assert.equal(await customer.page.isHidden('#session-ended'), true);

  await customer.page.click('#chat-form button[type=submit]');
  await customer.page.waitForSelector('#messages li.mine');
  const item = agent.page.locator('[data-testid=conversation]', { hasText: 'claire' });
  await item.click();
  await agent.page.locator('#messages li', { hasText: 'ma box clignote rouge' }).waitFor();
  assert.ok(agent.frames.filter((f) => f.includes('"type":"authed"')).length >= 3, "the agent's socket too");
  await shot(agent.page, 'session-2-agent-after-renewals');
  assert.deepEqual([...customer.errors, ...agent.errors], []);
  await customer.page.close();
  await agent.page.close();
});

test('when the session really ends (password changed), the page says so, keeps the draft, and continues after the password', async () => {
  const customer = await logIn('denis');
  await newConversation(customer.page);
  await customer.page.fill('#chat-input', 'brouillon à ne pas perdre');
  // What `fmc users passwd denis` does: a new hash and a new session key.
  server.users.setPassword('denis', await hashPassword('a brand new password'));
  await customer.page.locator('#session-ended:not([hidden])').waitFor({ timeout: 4 * TTL_SECONDS * 1000 });
  assert.match((await customer.page.textContent('#session-ended-reason')) ?? '', /password was changed/);
  assert.equal(await customer.page.inputValue('#chat-input'), 'brouillon à ne pas perdre');
  await shot(customer.page, 'session-3-ended');

  await customer.page.fill('#session-ended-form input[name=password]', 'a brand new password');
  await customer.page.click('#session-ended-form button[type=submit]');
  await customer.page.locator('#session-ended').waitFor({ state: 'hidden' });
  await customer.page.locator('#online.live').waitFor();
  await customer.page.click('#chat-form button[type=submit]');
  await customer.page.locator('#messages li.mine', { hasText: 'brouillon à ne pas perdre' }).waitFor();
  await shot(customer.page, 'session-4-continued');
  assert.deepEqual(customer.errors, []);
  await customer.page.close();
});

test('an agent types "/tech", picks the technician reply with Enter, edits and sends it; a reply with markup shows as text', async () => {
  const admin = await server.user('root', 'admin');
  const xss = '<img src=x onerror="window.pwned=1">';
  const added = await fetch(`${server.url}/api/replies`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ shortcut: 'piege', title: xss, body: `<script>window.pwned=2</script>${xss}` }),
  });
  assert.equal(added.status, 201);

  const customer = await logIn('claire');
  await newConversation(customer.page);
  await customer.page.fill('#chat-input', 'je voudrais un rendez-vous');
  await customer.page.press('#chat-input', 'Enter');
  await customer.page.waitForSelector('#messages li.mine');

  const agent = await logIn('agent1');
  await agent.page.locator('[data-testid=conversation]', { hasText: 'claire' }).first().click();
  await agent.page.locator('#messages li', { hasText: 'je voudrais un rendez-vous' }).waitFor();
  await agent.page.click('#chat-input');
  await agent.page.keyboard.type('Bonjour ! /tech');
  await agent.page.locator('#reply-suggestions li', { hasText: '/technicien' }).waitFor();
  await shot(agent.page, 'replies-1-suggestions');
  await agent.page.keyboard.press('Enter');
  const value = await agent.page.inputValue('#chat-input');
  assert.match(value, /^Bonjour ! Je vous propose l'intervention d'un technicien/);
  assert.equal(await agent.page.isHidden('#reply-suggestions'), true);
  await agent.page.keyboard.press('Enter');
  await customer.page.locator('#messages li', { hasText: "l'intervention d'un technicien" }).waitFor();

  await agent.page.keyboard.type('/piege');
  const option = agent.page.locator('#reply-suggestions li', { hasText: '/piege' });
  await option.waitFor();
  assert.equal(await option.locator('.reply-title').textContent(), xss, 'the title is text, not an element');
  assert.equal(await agent.page.locator('#reply-suggestions img').count(), 0);
  await option.click();
  await agent.page.keyboard.press('Enter');
  await customer.page.locator('#messages li', { hasText: '<script>window.pwned=2</script>' }).waitFor();
  await shot(customer.page, 'replies-2-xss-as-text');
  for (const p of [agent.page, customer.page]) {
    assert.equal(await p.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
    assert.equal(await p.locator('#messages img').count(), 0);
  }
  assert.deepEqual([...agent.errors, ...customer.errors], []);
  await agent.page.close();
  await customer.page.close();
});

// A 1×1 PNG: real magic bytes.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

test('attachments: the customer sends a photo, the agent downloads the same bytes; a hostile name is text; a lying extension is refused in the page', async () => {
  const customer = await logIn('emile', { width: 390, height: 844 });
  await newConversation(customer.page);
  const hostile = '<img src=x onerror=window.pwned=3>.png';
  await customer.page.setInputFiles('#attach-file', { name: hostile, mimeType: 'image/png', buffer: PNG });
  const link = customer.page.locator('#messages li.mine [data-testid=attachment]');
  await link.waitFor();
  assert.equal(await link.locator('.attachment-name').textContent(), hostile);
  assert.equal(await customer.page.locator('#messages img').count(), 0);
  await customer.page.fill('#chat-input', 'voici aussi la facture');
  await customer.page.setInputFiles('#attach-file', { name: 'facture.pdf', mimeType: 'application/pdf', buffer: PNG });
  await customer.page.locator('#chat-notice', { hasText: 'name says .pdf but the content is image/png' }).waitFor();
  assert.equal(await customer.page.inputValue('#chat-input'), 'voici aussi la facture', 'the caption stays for another try');
  await shot(customer.page, 'attachments-1-customer-390');

  const agent = await logIn('agent1');
  await agent.page.locator('[data-testid=conversation]', { hasText: 'emile' }).first().click();
  const agentLink = agent.page.locator('#messages [data-testid=attachment]');
  await agentLink.waitFor();
  const [download] = await Promise.all([agent.page.waitForEvent('download'), agentLink.click()]);
  assert.equal(download.suggestedFilename().endsWith('.png'), true);
  const saved = join(SHOTS, 'downloaded.png');
  await download.saveAs(saved);
  assert.deepEqual(readFileSync(saved), PNG);
  await shot(agent.page, 'attachments-2-agent');
  for (const p of [agent.page, customer.page]) assert.equal(await p.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
  assert.deepEqual([...agent.errors, ...customer.errors], []);
  await agent.page.close();
  await customer.page.close();
});

test('admin page: add a user, change the role, disable, reset the password, manage replies; statistics shown; markup stays text', async () => {
  const admin = await logIn('root');
  await admin.page.click('#admin-link');
  await admin.page.waitForURL(/\/admin$/);
  await admin.page.locator('#users-body tr[data-user=agent1]').waitFor();
  await admin.page.locator('[data-testid=median]').waitFor();

  await admin.page.fill('#user-add input[name=username]', 'xavier');
  await admin.page.selectOption('#user-add select[name=role]', 'agent');
  await admin.page.fill('#user-add input[name=password]', 'xavier password');
  await admin.page.click('#user-add button[type=submit]');
  const row = admin.page.locator('#users-body tr[data-user=xavier]');
  await row.waitFor();
  await row.locator('[data-testid=role]').selectOption('admin');
  await admin.page.locator('#users-body tr[data-user=xavier] [data-testid=role]').locator('option[value=admin][selected]').waitFor({ state: 'attached' });
  assert.equal(server.users.byName('xavier')?.role, 'admin');
  await admin.page.locator('#users-body tr[data-user=xavier] [data-testid=toggle]').click();
  await admin.page.locator('#users-body tr[data-user=xavier].disabled').waitFor();
  assert.equal(server.users.byName('xavier')?.disabled, true);
  await admin.page.locator('#users-body tr[data-user=xavier] [data-testid=toggle]').click();
  await admin.page.locator('#users-body tr[data-user=xavier]:not(.disabled)').waitFor();
  await admin.page.locator('#users-body tr[data-user=xavier] [data-testid=reset]').click();
  await admin.page.fill('#users-body tr[data-user=xavier] [data-testid=new-password]', 'reset by the admin');
  await admin.page.press('#users-body tr[data-user=xavier] [data-testid=new-password]', 'Enter');
  // The row is redrawn (the form gone) once the reset is stored.
  await admin.page.locator('#users-body tr[data-user=xavier] [data-testid=new-password]').waitFor({ state: 'detached' });
  await admin.page.locator('#admin-notice', { hasText: 'Saved.' }).waitFor();
  const relog = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'xavier', password: 'reset by the admin' }) });
  assert.equal(relog.status, 200);

  const xss = '<img src=x onerror="window.pwned=4">';
  await admin.page.fill('#reply-add input[name=shortcut]', 'merci2');
  await admin.page.fill('#reply-add input[name=title]', xss);
  await admin.page.fill('#reply-add textarea[name=body]', `Merci ! ${xss}`);
  await admin.page.click('#reply-add button[type=submit]');
  const reply = admin.page.locator('#replies-list li[data-shortcut=merci2]');
  await reply.waitFor();
  assert.equal(await reply.locator('.reply-title').textContent(), xss);
  assert.equal(await admin.page.locator('#admin img').count(), 0);
  await shot(admin.page, 'admin-1-page');
  await reply.locator('[data-testid=remove-reply]').click();
  await reply.waitFor({ state: 'detached' });
  assert.equal(await admin.page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
  assert.ok((await admin.page.locator('#stats-days-table [data-testid=day]').count()) === 14);
  // The admin page too: no horizontal scrolling from a phone to a laptop.
  for (const width of CONSOLE_WIDTHS) {
    await admin.page.setViewportSize({ width, height: 800 });
    const { scroll, client, wide } = await measureOverflow(admin.page);
    assert.ok(scroll <= client, `admin page at ${width} px: ${scroll} px wide for a ${client} px viewport: ${wide.join(', ')}`);
    await shot(admin.page, `admin-2-${width}px`);
  }
  assert.deepEqual(admin.errors, []);
  await admin.page.close();
});
