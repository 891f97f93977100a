import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { LABEL_FIELDS, OUTPUT_COLUMNS } from '../../src/labels.js';
import { tempDir } from '../helpers.js';
import { startRelayServer, TEST_PASSWORD, type RelayServer } from './relay-helpers.js';

// Debian's chromium (apt-get install chromium), driven by playwright-core: no browser download.
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server: RelayServer;
let browser: BrowserContext;
let profile: { dir: string; cleanup: () => void };
before(async () => {
  server = await startRelayServer({ requireAuth: true });
  await server.user('agent1', 'agent');
  await server.user('claire', 'customer');
  await server.user('agent2', 'agent');
  await server.user('denis', 'customer');
  profile = tempDir('fmc-chromium-');
  // A persistent context is how a fresh --user-data-dir is given to playwright.
  browser = await chromium.launchPersistentContext(profile.dir, { executablePath: CHROMIUM, headless: true, args: FLAGS, acceptDownloads: true, timeout: 30_000 });
});
after(async () => {
  await browser?.close();
  await server.close();
  profile?.cleanup();
});

async function logIn(username: string): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(server.url + '/');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', TEST_PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#online.live');
  assert.deepEqual(errors, [], `page errors for ${username}`);
  return page;
}

test('dashboard: a customer writes, the agent sees the conversation with live urgency and claim badges and answers', async () => {
  const agent = await logIn('agent1');
  assert.equal(await agent.textContent('#whoami'), 'agent1 (agent)');
  const customer = await logIn('claire');
  assert.equal(await customer.isHidden('#classify'), true, 'customers get no classify pane');

  await customer.click('#new-conversation');
  await customer.waitForSelector('#chat-form:not([hidden])');
  await customer.fill('#chat-input', "plus d'internet depuis 5 jours, je télétravaille, c'est urgent");
  await customer.click('#chat-form button[type=submit]');
  await customer.waitForSelector('#messages li.mine');

  // Live on the agent's list (no reload): the badges come from the labels frame.
  const item = agent.locator('[data-testid=conversation]', { hasText: 'claire' });
  await item.locator('[data-testid=urgency]', { hasText: 'high' }).waitFor();
  await item.locator('[data-testid=claim]').waitFor();
  await item.click();
  await agent.locator('#messages li', { hasText: "plus d'internet" }).locator('[data-testid=labels]', { hasText: 'outage' }).waitFor();

  await agent.fill('#chat-input', 'un technicien passe demain matin');
  await agent.click('#chat-form button[type=submit]');
  await customer.locator('#messages li', { hasText: 'un technicien passe demain matin' }).waitFor();
  assert.equal(await customer.locator('[data-testid=labels]').count(), 0, 'the customer is not shown labels');
  await customer.close();
  await agent.close();
});

test('dashboard: an agent classifies a small CSV: labeled table, a bar chart per label, the CSV to download', async () => {
  const agent = await logIn('agent1');
  const csv = 'id,text\n1,"plus de connexion depuis hier, panne totale"\n2,merci pour votre aide\n3,"ma facture est fausse, prélevé deux fois"\n';
  await agent.setInputFiles('#classify-file', { name: 'sample.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await agent.click('#classify-form button[type=submit]');
  await agent.locator('#classify-status', { hasText: '3 rows labeled' }).waitFor();
  assert.equal(await agent.locator('#classify-table tbody tr').count(), 3);
  const header = await agent.locator('#classify-table th').allTextContents();
  assert.deepEqual(header.slice(0, 2), ['id', 'text']);
  for (const field of LABEL_FIELDS) {
    assert.ok(header.includes(field), `${field} column`);
    const bars = agent.locator(`[data-testid=chart-${field}] .bar-row`);
    assert.ok((await bars.count()) >= 1, `${field} chart has bars`);
    const total = (await agent.locator(`[data-testid=chart-${field}] .bar-count`).allTextContents()).reduce((a, n) => a + Number(n), 0);
    assert.equal(total, 3, `${field} chart counts every row`);
  }
  const [download] = await Promise.all([agent.waitForEvent('download'), agent.click('#classify-download')]);
  assert.equal(download.suggestedFilename(), 'sample.classified.csv');
  const saved = join(profile.dir, 'download.csv');
  await download.saveAs(saved);
  const lines = readFileSync(saved, 'utf8').trim().split(/\r?\n/);
  assert.equal(lines.length, 4);
  assert.equal(lines[0], ['id', 'text', ...OUTPUT_COLUMNS].join(','));
  await agent.close();
});

test('dashboard: a French Excel CSV (; BOM CRLF) shows in columns and downloads in its own dialect, formulas escaped', async () => {
  const agent = await logIn('agent1');
  const csv = '\uFEFFid;texte\r\n1;plus de connexion depuis hier, panne totale\r\n2;"=HYPERLINK(""http://x"")"\r\n';
  await agent.setInputFiles('#classify-file', { name: 'export.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await agent.click('#classify-form button[type=submit]');
  await agent.locator('#classify-status', { hasText: '2 rows labeled' }).waitFor();
  const header = await agent.locator('#classify-table th').allTextContents();
  assert.deepEqual(header.slice(0, 3), ['id', 'texte', 'is_claim']);
  assert.equal(await agent.locator('#classify-table tbody tr:nth-child(2) td:nth-child(2)').textContent(), '\'=HYPERLINK("http://x")');
  const [download] = await Promise.all([agent.waitForEvent('download'), agent.click('#classify-download')]);
  const saved = join(profile.dir, 'export.classified.csv');
  await download.saveAs(saved);
  const bytes = readFileSync(saved);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the BOM Excel needs is kept');
  const lines = bytes.subarray(3).toString('utf8').split('\r\n');
  assert.equal(lines[0], ['id', 'texte', ...OUTPUT_COLUMNS].join(';'));
  assert.match(lines[2]!, /^2;"'=HYPERLINK\(""http/);
  await agent.close();
});

test('dashboard: an agent corrects a label chip; the correction is stored and another agent sees the new labels and triage live', async () => {
  const customer = await logIn('denis');
  await customer.click('#new-conversation');
  await customer.waitForSelector('#chat-form:not([hidden])');
  await customer.fill('#chat-input', "plus d'internet depuis 5 jours, je télétravaille, c'est urgent");
  await customer.click('#chat-form button[type=submit]');
  await customer.waitForSelector('#messages li.mine');

  const agent = await logIn('agent1');
  const watcher = await logIn('agent2');
  const item = (page: Page) => page.locator('[data-testid=conversation]', { hasText: 'denis' });
  await item(watcher).locator('[data-testid=urgency]', { hasText: 'high' }).waitFor();
  await item(watcher).click();
  await item(agent).click();
  const chips = (page: Page) => page.locator('#messages li', { hasText: "plus d'internet" }).locator('[data-testid=labels]');
  await chips(agent).locator('[data-field=incident]', { hasText: 'outage' }).waitFor();

  // Click the topic chip, pick "tv"; then the incident chip, pick "none" (urgency follows: low).
  await chips(agent).locator('[data-field=topic]').click();
  await chips(agent).locator('select[data-field=topic]').selectOption('tv');
  await chips(agent).locator('[data-field=topic]', { hasText: 'tv' }).waitFor();
  await chips(agent).locator('[data-field=incident]').click();
  await chips(agent).locator('select[data-field=incident]').selectOption('none');
  await chips(agent).locator('[data-field=incident]', { hasText: 'none' }).waitFor();

  // The other agent, watching and in the room, sees both without reloading.
  await chips(watcher).locator('[data-field=topic]', { hasText: 'tv' }).waitFor();
  await chips(watcher).locator('[data-field=urgency]', { hasText: 'low' }).waitFor();
  await item(watcher).locator('[data-testid=urgency]', { hasText: 'low' }).waitFor();

  const rows = server.data.db.prepare("SELECT username, provider FROM corrections WHERE conversation_id IS NOT NULL ORDER BY id").all() as { username: string; provider: string }[];
  assert.deepEqual(rows.map((r) => r.username), ['agent1', 'agent1']);
  assert.equal(rows[0]!.provider, 'rules');
  assert.equal(rows[1]!.provider, 'correction', 'the second correction corrected the first');
  assert.equal(await customer.locator('[data-testid=labels]').count(), 0, 'the customer still sees no labels');
  await Promise.all([customer.close(), agent.close(), watcher.close()]);
});
