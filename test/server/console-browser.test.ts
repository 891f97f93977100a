import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { call } from './helpers.js';
import { CONSOLE_WIDTHS, measureOverflow } from './page-overflow.js';
import { connect, openConversation, startRelayServer, TEST_PASSWORD, type RelayServer } from './relay-helpers.js';

// The agent console in Chromium (#16): a customer on a phone (390×844, French), an agent on a
// laptop (1280×800); no horizontal scrolling at 360, 390, 768 and 1280 px; status, owner,
// search, filters, notifications; XSS attempts shown as text. A screenshot of each step goes
// to the artifacts directory printed at the start (kept after the run, never committed).

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const XSS_NAME = 'Sophie <img src=x onerror="window.__xss=1">';
const XSS_TEXT = '<script>window.__xss=2</script><img src=x onerror="window.__xss=3"> ma box ne marche plus';

let server: RelayServer;
let browser: Browser;
const artifacts = join(tmpdir(), `fmc-console-artifacts-${process.pid}`);
let step = 0;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  process.stderr.write(`# console screenshots: ${artifacts}\n`);
  server = await startRelayServer({ requireAuth: true });
  await server.user('agent1', 'agent');
  await server.user('agent2', 'agent');
  await server.user('claire', 'customer');
  await server.user('zoe', 'customer');
  server.users.setDisplayName('agent1', XSS_NAME);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function shot(page: Page, name: string): Promise<void> {
  step++;
  // Transitions finished first: a resize that closes the drawer must not be caught half way.
  await page.screenshot({ path: join(artifacts, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: false, animations: 'disabled' });
}

/** A page in its own context (its own sessionStorage), with a recording stand-in for Notification. */
async function open(options: BrowserContextOptions, permissionAnswer: 'granted' | 'denied' = 'granted'): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  (page as Page & { errors: string[] }).errors = errors;
  // The browser's permission prompt cannot be clicked headless: this stands in for it and
  // records what the page shows.
  await page.addInitScript((answer) => {
    const shown: { title: string; tag?: string }[] = [];
    (window as unknown as { __notifications: typeof shown }).__notifications = shown;
    class RecordingNotification {
      static permission: NotificationPermission = 'default';
      static async requestPermission(): Promise<NotificationPermission> {
        RecordingNotification.permission = answer;
        return answer;
      }
      constructor(title: string, options?: NotificationOptions) {
        shown.push({ title, ...(options?.tag !== undefined && { tag: options.tag }) });
      }
    }
    (window as unknown as { Notification: unknown }).Notification = RecordingNotification;
  }, permissionAnswer);
  await page.goto(server.url + '/');
  return page;
}

async function logIn(page: Page, username: string): Promise<void> {
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', TEST_PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#online.live');
}

async function noHorizontalOverflow(page: Page, label: string): Promise<void> {
  for (const width of CONSOLE_WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    // Under 768 px the list is a closed drawer: hidden, not merely pushed aside.
    if (width < 768) await page.locator('#list-pane').waitFor({ state: 'hidden' });
    const { scroll, client, wide } = await measureOverflow(page);
    assert.ok(scroll <= client, `${label} at ${width} px: the page is ${scroll} px wide for a ${client} px viewport: ${wide.join(', ')}`);
    await shot(page, `${label}-${width}px`);
  }
}

const inViewport = async (page: Page, selector: string): Promise<boolean> => {
  const box = await page.locator(selector).boundingBox();
  const size = page.viewportSize()!;
  return box !== null && box.y >= 0 && box.y + box.height <= size.height && box.x >= 0 && box.x + box.width <= size.width;
};

const conversationOf = (page: Page, name: string) => page.locator('[data-testid=conversation]', { hasText: name });

test('console in Chromium: a French customer on a phone and an agent on a laptop work a conversation end to end', async () => {
  const customer = await open({ viewport: { width: 390, height: 844 }, locale: 'fr-FR', extraHTTPHeaders: { 'Accept-Language': 'fr-FR,fr;q=0.9' }, hasTouch: true, isMobile: true });
  // French for Accept-Language: fr, before any script runs.
  assert.equal(await customer.getAttribute('html', 'lang'), 'fr');
  assert.equal(await customer.textContent('#login-form h2'), 'Connexion');
  await shot(customer, 'customer-login-fr');
  await logIn(customer, 'claire');
  assert.equal(await customer.textContent('#online'), 'en ligne');

  // The phone: the list is a drawer, closed; the button opens it.
  assert.equal(await customer.locator('#list-pane').isVisible(), false, 'the drawer starts closed');
  await customer.click('#drawer-toggle');
  await customer.locator('#new-conversation').waitFor({ state: 'visible' });
  await shot(customer, 'customer-drawer-open');
  await customer.click('#new-conversation');
  await customer.waitForSelector('#chat-form:not([hidden])');
  await customer.locator('#list-pane').waitFor({ state: 'hidden' }); // picking closes the drawer
  assert.ok(await inViewport(customer, '#chat-input'), 'the input is on screen');
  assert.ok(await inViewport(customer, '#chat-form button[type=submit]'), 'the send button is on screen');

  // Enter sends; Shift+Enter is a new line.
  await customer.fill('#chat-input', "plus d'internet depuis 5 jours, panne totale de la freebox, c'est urgent");
  await customer.press('#chat-input', 'Enter');
  await customer.locator('#chat-input').pressSequentially('ligne une');
  await customer.press('#chat-input', 'Shift+Enter');
  await customer.locator('#chat-input').pressSequentially('ligne deux');
  await customer.press('#chat-input', 'Enter');
  await customer.fill('#chat-input', XSS_TEXT);
  await customer.press('#chat-input', 'Enter');
  await customer.locator('#messages li.mine [data-testid=state][data-state=stored]').nth(2).waitFor();
  assert.equal(await customer.inputValue('#chat-input'), '', 'sent messages leave the box');
  const mine = customer.locator('#messages li.mine');
  assert.equal(await mine.count(), 3);
  assert.equal(await mine.nth(1).locator('.text').textContent(), 'ligne une\nligne deux');
  assert.deepEqual(await mine.locator('[data-testid=state]').allTextContents(), ['enregistré', 'enregistré', 'enregistré']);
  assert.match((await mine.first().locator('time').textContent()) ?? '', /^\d{2}:\d{2}$/, 'a localised time');
  assert.equal(await mine.nth(2).locator('.text').textContent(), XSS_TEXT, 'markup in a message is text');
  assert.equal(await customer.getAttribute('#messages', 'aria-live'), 'polite');
  assert.equal(await customer.locator('label[for=chat-input]').count(), 1, 'the input has a label');
  await customer.click('#drawer-toggle');
  await conversationOf(customer, 'Conversation du').locator('[data-testid=count]', { hasText: '3 messages' }).waitFor();
  await shot(customer, 'customer-three-messages');
  await customer.keyboard.press('Escape');
  await customer.locator('#list-pane').waitFor({ state: 'hidden' });

  // The agent, in English on a laptop; the clock is Playwright's, so the SLA can be overrun.
  const agent = await open({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  await agent.clock.install();
  await agent.reload();
  await logIn(agent, 'agent1');
  assert.equal(await agent.getAttribute('html', 'lang'), 'en');
  // Notification permission: asked on a click, then shown as on.
  await agent.click('#notify');
  await agent.locator('#notify-status', { hasText: 'Notifications on' }).waitFor();
  assert.equal(await agent.locator('#notify').isHidden(), true);

  const claire = conversationOf(agent, 'claire');
  await claire.locator('[data-testid=urgency]', { hasText: 'high' }).waitFor();
  await claire.locator('[data-testid=unread]', { hasText: '3 unread' }).waitFor();
  await claire.locator('[data-testid=owner]', { hasText: 'unassigned' }).waitFor();
  await claire.locator('[data-testid=waiting]', { hasText: 'waiting' }).waitFor();
  assert.equal(await claire.getAttribute('class'), 'open', 'within its SLA');
  await shot(agent, 'agent-list');
  await agent.clock.fastForward('16:00');
  await agent.locator('[data-testid=conversation].overdue', { hasText: 'claire' }).waitFor();
  assert.match((await claire.locator('[data-testid=waiting]').textContent()) ?? '', /overdue/);
  await shot(agent, 'agent-overdue');

  await claire.click();
  await agent.locator('#messages li', { hasText: 'ma box ne marche plus' }).waitFor();
  assert.equal(await claire.locator('[data-testid=unread]').count(), 0, 'opened: read');
  assert.equal(await agent.locator('#messages li', { hasText: 'ma box ne marche plus' }).locator('.text').textContent(), XSS_TEXT);
  assert.equal(await agent.locator('#messages img, #messages script').count(), 0, 'no element from a message');

  // Assign to me: the owner shows as the display name, as text.
  await agent.click('#assign-me');
  await claire.locator('[data-testid=owner]', { hasText: 'owner: Sophie' }).waitFor();
  assert.equal(await claire.locator('[data-testid=owner]').textContent(), `owner: ${XSS_NAME}`);
  assert.equal(await agent.locator('#assign-me').isHidden(), true);
  await shot(agent, 'agent-assigned');

  await agent.fill('#chat-input', 'Un technicien passe demain matin.');
  await agent.press('#chat-input', 'Enter');
  const answer = customer.locator('#messages li', { hasText: 'Un technicien passe demain matin.' });
  await answer.waitFor();
  // The customer sees the agent's display name (markup as text), never the login.
  assert.equal(await answer.locator('.sender').textContent(), XSS_NAME);
  assert.equal(await customer.locator('#messages li', { hasText: 'agent1' }).count(), 0);
  assert.equal(await customer.locator('#messages img').count(), 0);
  await shot(customer, 'customer-answer');
  await claire.locator('[data-testid=waiting]').waitFor({ state: 'detached' });

  // Pending, resolve, reopen: each seen live by the customer.
  await agent.click('#mark-pending');
  await claire.locator('[data-testid=status][data-value=pending]').waitFor();
  await agent.click('#close-conversation');
  await claire.locator('[data-testid=status][data-value=closed]').waitFor();
  await customer.locator('#chat-notice', { hasText: 'Cette conversation est résolue.' }).waitFor();
  assert.equal(await customer.locator('#chat-form').isHidden(), true);
  await shot(customer, 'customer-resolved');
  await shot(agent, 'agent-resolved');
  await agent.click('#reopen-conversation');
  await claire.locator('[data-testid=status][data-value=open]').waitFor();
  await customer.locator('#chat-form').waitFor({ state: 'visible' });
  await shot(agent, 'agent-reopened');

  // Search the message texts; filter by status.
  const other = await open({ viewport: { width: 390, height: 844 } });
  await logIn(other, 'zoe');
  await other.click('#drawer-toggle');
  await other.click('#new-conversation');
  await other.fill('#chat-input', 'ma facture est fausse, prélevé deux fois');
  await other.press('#chat-input', 'Enter');
  await conversationOf(agent, 'zoe').waitFor();
  await agent.fill('#filter-q', 'FREEBOX panne');
  await agent.press('#filter-q', 'Enter');
  await agent.locator('#filter-status', { hasText: '1 conversation' }).waitFor();
  assert.deepEqual(await agent.locator('[data-testid=conversation] .who').allTextContents(), ['claire']);
  assert.match((await agent.locator('[data-testid=hit]').first().textContent()) ?? '', /panne totale de la freebox/);
  await shot(agent, 'agent-search');
  await agent.click('#filters button[type=reset]');
  await conversationOf(agent, 'zoe').waitFor();
  await agent.selectOption('#filters select[name=owner]', 'none');
  await agent.locator('#filter-status', { hasText: '1 conversation' }).waitFor();
  assert.deepEqual(await agent.locator('[data-testid=conversation] .who').allTextContents(), ['zoe']);
  await agent.selectOption('#filters select[name=owner]', '');
  await agent.selectOption('#filters select[name=topic]', 'billing');
  await agent.locator('#filter-status', { hasText: '1 conversation' }).waitFor();
  assert.deepEqual(await agent.locator('[data-testid=conversation] .who').allTextContents(), ['zoe']);
  await shot(agent, 'agent-filter');
  await agent.click('#filters button[type=reset]');
  await conversationOf(agent, 'claire').waitFor();

  // Notifications: a high-urgency conversation arrives; another agent assigns one to me.
  // Meanwhile the keyboard focus sits on claire's conversation: the redraws keep it there.
  await claire.locator('button').focus();
  await other.fill('#chat-input', "plus de réseau mobile depuis ce matin, c'est urgent, je suis bloqué");
  await other.press('#chat-input', 'Enter');
  const zoeId = (await conversationOf(agent, 'zoe').getAttribute('data-id'))!;
  await agent.waitForFunction(() => (window as unknown as { __notifications: { title: string }[] }).__notifications.some((n) => n.title === 'High-urgency conversation from zoe'));
  const token2 = await server.user('agent2', 'agent');
  const assigned = await call(`${server.url}/api/conversations/${zoeId}/assign`, { method: 'POST', token: token2, json: { assignee: 'agent1' } });
  assert.equal(assigned.status, 200, assigned.text);
  await agent.waitForFunction(() => (window as unknown as { __notifications: { title: string }[] }).__notifications.some((n) => n.title === 'zoe’s conversation was assigned to you'));
  assert.equal(await agent.evaluate(() => document.activeElement?.closest('li')?.querySelector('.who')?.textContent), 'claire', 'focus kept across redraws');
  const titles = await agent.evaluate(() => (window as unknown as { __notifications: { title: string }[] }).__notifications.map((n) => n.title));
  assert.ok(!titles.some((t) => t.includes('claire') && t.includes('assigned')), `my own "assign to me" is no news: ${JSON.stringify(titles)}`);

  // No horizontal scrolling at any width, for either of them.
  await noHorizontalOverflow(customer, 'customer');
  await noHorizontalOverflow(agent, 'agent');

  // The switch: the customer reads English now, without a reload.
  await customer.setViewportSize({ width: 390, height: 844 });
  await customer.selectOption('#lang', 'en');
  await customer.locator('#logout', { hasText: 'Log out' }).waitFor();
  assert.equal(await customer.getAttribute('html', 'lang'), 'en');
  assert.equal(await customer.locator('#messages li.mine [data-testid=state]').first().textContent(), 'stored', JSON.stringify((customer as Page & { errors: string[] }).errors));
  await shot(customer, 'customer-english');

  for (const page of [customer, agent, other]) {
    assert.deepEqual((page as Page & { errors: string[] }).errors, [], 'no page errors');
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined, 'no script ran from a message or name');
  }
  await Promise.all([customer.context().close(), agent.context().close(), other.context().close()]);
});

test('console in Chromium: notifications refused by the browser fall back to a sound, and say so; every text at 4.5:1 contrast', async () => {
  // A conversation of its own, so this test stands alone.
  const claire = await server.user('claire', 'customer');
  const conversationId = await openConversation(server, claire);
  const socket = await connect(server, claire);
  socket.send({ type: 'send', conversationId, clientId: 'contrast-1', text: 'ma facture est fausse, prélevé deux fois' });
  await socket.waitFor('ack');
  await socket.close();
  const agent = await open({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR', extraHTTPHeaders: { 'Accept-Language': 'fr' } }, 'denied');
  await logIn(agent, 'agent2');
  await agent.click('#notify');
  await agent.locator('#notify-status', { hasText: 'Notifications bloquées par le navigateur' }).waitFor();
  await shot(agent, 'agent-notifications-denied');

  // Contrast: every text drawn on the list and the chat reaches 4.5:1 against what is behind it (WCAG AA).
  await agent.locator('[data-testid=conversation]').first().click();
  await agent.locator('#messages li').first().waitFor();
  const poor = await agent.evaluate(() => {
    const rgb = (c: string): number[] => (c.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]): number => {
      const [R, G, B] = [r!, g!, b!].map((v) => {
        const x = v / 255;
        return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * R! + 0.7152 * G! + 0.0722 * B!;
    };
    const background = (e: Element | null): number[] => {
      for (; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3]! > 0.5)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const found: string[] = [];
    const nodes = Array.from(document.querySelectorAll('header *, #list-pane *, #chat *'));
    for (const e of nodes) {
      const own = Array.from(e.childNodes).some((n) => n.nodeType === 3 && n.textContent!.trim() !== '');
      const style = getComputedStyle(e);
      if (!own || style.visibility === 'hidden' || (e as HTMLElement).offsetParent === null) continue;
      // Faded closed conversations are shown at .7 opacity on purpose: judged at full colour.
      const [a, b] = [luminance(rgb(style.color).slice(0, 3)), luminance(background(e))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) found.push(`${e.tagName.toLowerCase()}.${e.className} "${e.textContent!.trim().slice(0, 20)}" ${ratio.toFixed(2)}`);
    }
    return found;
  });
  assert.deepEqual(poor, [], 'texts under 4.5:1');
  await agent.context().close();
});
