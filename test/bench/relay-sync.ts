// `npm run bench relay-sync`: what a durable commit costs the relay. The chat store's own
// append (one transaction per message, as the relay does it), sequential, on a data DB in a
// folder on disk (not tmpfs), with synchronous = NORMAL (before issue 12) and FULL (now),
// alternating rounds in this one run; the ratio is FULL's rate over NORMAL's.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDataDb } from '../../src/store/sqlite/data-db.js';
import { createUserStore } from '../../src/store/sqlite/users.js';
import { openKeyring } from '../../src/server/relay/keyring.js';
import { createConversationStore } from '../../src/server/relay/store.js';
import { repoRoot } from '../helpers.js';

const MESSAGES = Number(process.env.FMC_BENCH_MESSAGES ?? 2000);
const ROUNDS = 5;

async function appendsPerSecond(mode: 'NORMAL' | 'FULL', round: number): Promise<number> {
  // Under the checkout, not os.tmpdir(): a tmpfs would make every fsync free.
  const dir = mkdtempSync(join(repoRoot, `.bench-relay-sync-${mode}-${round}-`));
  try {
    const data = openDataDb(dir);
    data.db.pragma(`synchronous = ${mode}`);
    const store = createConversationStore(data.db, openKeyring(data.db, { kind: 'file', dataDir: dir }));
    const customer = await createUserStore(data.db).add({ username: 'claire', role: 'customer', passwordHash: 'h' });
    const conversation = store.create(customer);
    const sender = { id: customer.id, username: customer.username, role: customer.role };
    const started = performance.now();
    for (let i = 0; i < MESSAGES; i++) store.append({ conversationId: conversation.id, sender, clientId: `c${i}`, text: `ma box ne marche plus depuis ${i} heures` });
    const rate = MESSAGES / ((performance.now() - started) / 1000);
    data.close();
    return rate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rates: Record<'NORMAL' | 'FULL', number[]> = { NORMAL: [], FULL: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of ['NORMAL', 'FULL'] as const) rates[mode].push(await appendsPerSecond(mode, round));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
process.stdout.write(`\n== relay-sync: ${MESSAGES} sequential message commits, data DB on disk, ${ROUNDS} alternating rounds\n`);
for (const mode of ['NORMAL', 'FULL'] as const) process.stdout.write(`  ${`synchronous = ${mode}: commits/s (median; rounds)`.padEnd(52)} ${Math.round(median(rates[mode]))} (${rates[mode].map(Math.round).join(', ')})\n`);
process.stdout.write(`  ${'FULL / NORMAL'.padEnd(52)} ${(median(rates.FULL) / median(rates.NORMAL)).toFixed(2)}\n`);
