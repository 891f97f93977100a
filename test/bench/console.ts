import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startRelayServer, TEST_PASSWORD } from '../server/relay-helpers.js';

// The agent console in Chromium: time to first paint (cold load, fresh context each time) and
// the page's weight, everything it loads until an agent's list is live, gzipped as a
// compressing proxy would send it (fmc serves it uncompressed; the raw size is shown too).

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LOADS = 7;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function benchConsole(): Promise<Record<string, number | string>> {
  const server = await startRelayServer({ requireAuth: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    await server.user('agent1', 'agent');
    const firstPaint: number[] = [];
    const firstContentfulPaint: number[] = [];
    const ready: number[] = [];
    let raw = 0;
    let gzipped = 0;
    let files = 0;
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const bodies: Promise<Buffer>[] = [];
      if (i === 0) page.on('response', (r) => bodies.push(r.body().catch(() => Buffer.alloc(0))));
      await page.goto(server.url + '/', { waitUntil: 'load' });
      const paints = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime])));
      firstPaint.push(paints['first-paint'] ?? NaN);
      firstContentfulPaint.push(paints['first-contentful-paint'] ?? NaN);
      await page.fill('input[name=username]', 'agent1');
      await page.fill('input[name=password]', TEST_PASSWORD);
      const start = Date.now();
      await page.click('#login-form button[type=submit]');
      await page.waitForSelector('#online.live');
      await page.waitForSelector('#conversations li');
      ready.push(Date.now() - start);
      if (i === 0) {
        for (const body of await Promise.all(bodies)) {
          raw += body.length;
          gzipped += gzipSync(body).length;
          files++;
        }
      }
      await context.close();
    }
    const kb = (n: number): number => Math.round((n / 1024) * 10) / 10;
    return {
      [`first paint, ms (median of ${LOADS} cold loads)`]: Math.round(median(firstPaint)),
      'first contentful paint, ms (median)': Math.round(median(firstContentfulPaint)),
      'log in -> live list, ms (median; login, label table, console state, socket)': Math.round(median(ready)),
      'page weight until the list is live, KB gzipped (target < 150)': kb(gzipped),
      '  raw, KB (as served)': kb(raw),
      '  responses': files,
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
