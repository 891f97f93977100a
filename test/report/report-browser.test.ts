import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { repoRoot, runFmc, tempDir } from '../helpers.js';
import { spikeRows, writeClassified } from './helpers.js';

// Debian's chromium driven by playwright-core (flags as in test/server/dashboard.test.ts).
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Screenshots are kept for a look after the run (ignored by git).
const SHOTS = join(repoRoot, '.scratch', 'report-screenshots');

let tmp: { dir: string; cleanup: () => void };
let browser: Browser;
let htmlPath: string;
before(async () => {
  tmp = tempDir('fmc-report-browser-');
  const rows = spikeRows();
  rows[3] = { ...rows[3], text: '<script>window.__pwned = 1</script> plus de réseau', is_claim: true, incident: 'outage', urgency: 'high', confidence: 1 };
  writeClassified(join(tmp.dir, 'spike.csv'), rows);
  htmlPath = join(tmp.dir, 'report.html');
  const r = runFmc(['report', join(tmp.dir, 'spike.csv'), '-o', htmlPath, '--lang', 'fr'], { env: { FMC_CACHE: join(tmp.dir, 'cache.sqlite') } });
  assert.equal(r.status, 0, r.stderr);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
  mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  tmp?.cleanup();
});

// Data marks per chart for the spike file: 30 daily buckets, 7 × 24 heatmap cells, 6 × 6
// topic × incident cells, 3 × 6 urgency bars, 10 confidence bins, top terms of outages.
const MARKS: Record<string, number> = {
  volume: 60,
  sentiment: 90,
  incidents: 151,
  heatmap: 168,
  'topic-incident': 36,
  'urgency-topic': 18,
  confidence: 10,
};

for (const width of [1280, 390]) {
  test(`report in Chromium at ${width} px from file://: every chart drawn, no console error, no request`, async (t) => {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('request', (req) => requests.push(req.url()));
    const url = pathToFileURL(htmlPath).href;
    await page.goto(url, { waitUntil: 'load' });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [url], 'the page itself and nothing else');
    for (const [chart, marks] of Object.entries(MARKS)) {
      const count = await page.locator(`figure[data-chart="${chart}"] svg [ecmeta_ssr_type="chart"]`).count();
      assert.equal(count, marks, `${chart}: data marks`);
    }
    assert.ok((await page.locator('figure[data-chart="terms-outage"] svg [ecmeta_ssr_type="chart"]').count()) >= 5, 'top terms of outages');
    // The alert is listed, the tweet with a script tag is text and never ran.
    assert.equal(await page.locator('table[data-table="alerts"] tbody tr').count(), 1);
    assert.equal(await page.locator('table[data-table="urgent"] tbody tr').count(), 20);
    await page.locator('td.text', { hasText: '<script>window.__pwned = 1</script> plus de réseau' }).waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('h1').textContent(), 'Rapport relation client');
    // Charts fit the viewport: nothing scrolls sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `horizontal overflow of ${overflow} px`);
    const shot = join(SHOTS, `report-${width}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);
    // Printed to PDF, the same page (print CSS) renders.
    if (width === 1280) {
      const pdf = await page.pdf({ format: 'A4' });
      assert.ok(pdf.length > 10_000);
    }
    await context.close();
  });
}
