import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { toLabelResult } from '../../src/labels.js';
import { createLiveTrends, type LiveTrends } from '../../src/report/live.js';
import { repoRoot, tempDir } from '../helpers.js';
import { call } from './helpers.js';
import { clientId, connect, openConversation, startRelayServer, TEST_PASSWORD, type RelayServer } from './relay-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = join(repoRoot, '.scratch', 'report-screenshots');
const HOUR = 3_600_000;
const quiet = toLabelResult({ is_claim: false, sentiment: 'positive', topic: 'other', incident: 'none', urgency: 'low', confidence: 0.8 }, 'rules')!;

let server: RelayServer;
let trends: LiveTrends;
let agent: string;
let customer: string;
before(async () => {
  trends = createLiveTrends({ settleMs: 50 });
  // A day and more of quiet chat before the test's own traffic: the baseline spikes are measured against.
  for (let h = 30; h >= 1; h--) trends.recordChat(quiet, 'merci, tout va bien', Date.now() - h * HOUR);
  server = await startRelayServer({ requireAuth: true, trends });
  agent = await server.user('agent1', 'agent');
  customer = await server.user('claire', 'customer');
});
after(async () => {
  await server.close();
});

test('GET /api/trends: agents and admins only; the report figures and charts over the server traffic, API texts never kept', async () => {
  assert.equal((await call(`${server.url}/api/trends`)).status, 401);
  assert.equal((await call(`${server.url}/api/trends`, { token: customer })).status, 403);
  const secret = 'plus de connexion depuis hier soir, code secret 98765';
  const r = await call(`${server.url}/api/classify`, { method: 'POST', token: agent, json: { texts: [secret, 'merci beaucoup'] } });
  assert.equal(r.status, 200);
  const csv = await call(`${server.url}/api/classify`, { method: 'POST', token: agent, headers: { 'content-type': 'text/csv' }, body: 'text\n"panne fibre, code 98765"\nbonjour\nbonsoir\n' });
  assert.equal(csv.status, 200);
  const view = await call(`${server.url}/api/trends?lang=fr`, { token: agent });
  assert.equal(view.status, 200);
  const body = view.body as { data: { kpis: { volume: number } }; charts: { id: string; svg: string }[] };
  assert.equal(body.data.kpis.volume, 30 + 2 + 3);
  assert.ok(!view.text.includes('98765'), 'no text of an API call in the figures');
  assert.deepEqual(body.charts.map((c) => c.id).slice(0, 4), ['volume', 'sentiment', 'incidents', 'heatmap']);
  assert.ok(body.charts.every((c) => c.svg.startsWith('<svg')));
  assert.equal((await call(`${server.url}/api/trends?lang=de`, { token: agent })).status, 400);
});

test('fmc serve: a burst of outage claims in chat is pushed to watching agents as one alert', async () => {
  const watcher = await connect(server, agent);
  watcher.send({ type: 'watch' });
  const conversationId = await openConversation(server, customer);
  const writer = await connect(server, customer);
  for (let i = 0; i < 12; i++) writer.send({ type: 'send', conversationId, clientId: clientId(), text: `plus d'internet depuis 5 jours, panne totale, c'est urgent (${i})` });
  const alert = await watcher.waitFor('alert', undefined, 10_000);
  assert.equal(alert.alert.value, 'outage');
  assert.equal(alert.alert.field, 'incident');
  assert.ok(alert.alert.count >= 8, JSON.stringify(alert.alert));
  await watcher.waitFor('trends');
  // More claims in the same hour: no second alert for that bucket.
  writer.send({ type: 'send', conversationId, clientId: clientId(), text: "toujours plus d'internet, panne" });
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(watcher.frames.filter((f) => f.type === 'alert' && f.alert.start === alert.alert.start).length, 1);
  await writer.close();
  await watcher.close();
});

test('dashboard Trends view: the same charts, the alert listed, updated live by /api/classify traffic', async () => {
  const profile = tempDir('fmc-chromium-trends-');
  const browser: BrowserContext = await chromium.launchPersistentContext(profile.dir, { executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000, viewport: { width: 1280, height: 900 } });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(server.url + '/');
    await page.fill('input[name=username]', 'agent1');
    await page.fill('input[name=password]', TEST_PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#online.live');
    await page.locator('#trends [data-chart="volume"] svg').waitFor();
    for (const chart of ['volume', 'sentiment', 'incidents', 'heatmap', 'topic-incident', 'urgency-topic', 'confidence', 'terms-outage']) {
      const marks = await page.locator(`#trends [data-chart="${chart}"] svg [ecmeta_ssr_type="chart"]`).count();
      assert.ok(marks > 0, `${chart}: ${marks} marks`);
    }
    await page.locator('#trends-alerts [data-testid=alert]', { hasText: 'outage spike' }).first().waitFor();
    const before = Number(await page.locator('[data-testid=kpi-volume] .v').textContent());
    const r = await call(`${server.url}/api/classify`, { method: 'POST', token: agent, json: { texts: ['facture fausse', 'merci', 'panne'] } });
    assert.equal(r.status, 200);
    await page.locator('[data-testid=kpi-volume] .v', { hasText: String(before + 3) }).waitFor();
    mkdirSync(SHOTS, { recursive: true });
    await page.locator('#trends').screenshot({ path: join(SHOTS, 'dashboard-trends-1280.png') });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    profile.cleanup();
  }
});
