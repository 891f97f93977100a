import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { runFmc, tempDir } from '../helpers.js';

// Issue #14: `fmc classify` reads the author column as `fmc eval` and `fmc train` do. The
// same words from one of the operator's accounts are no customer's claim; the column is
// sniffed (author, user, username, screen_name, user_name), named with --author-column, and
// FMC_OPERATOR_ACCOUNTS replaces the list of accounts.

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir()));
after(() => cleanup());

// A customer's outage in the customer's words; the operator posting it is not filing a claim.
const TEXT = "je n'ai plus internet depuis ce matin";

function classify(header: string, authors: readonly string[], args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Record<string, string>[] {
  const input = join(dir, `in-${header}-${authors.join('-')}.csv`);
  const out = join(dir, 'out.csv');
  writeFileSync(input, `${header},text\n${authors.map((a) => `${a},${TEXT}`).join('\n')}\n`);
  const r = runFmc(['classify', input, '-o', out, '--provider', 'rules', '--no-cache', '--quiet', ...args], { env });
  assert.equal(r.status, 0, r.stderr);
  return parse(readFileSync(out), { columns: true }) as Record<string, string>[];
}

test('a sniffed author column: the same text is a claim from a customer, not from the operator', () => {
  // The repeat of one text by two authors must not be answered once for both.
  const rows = classify('author', ['jean_dupont', 'Freebox', '@free', 'jean_dupont']);
  assert.deepEqual(rows.map((r) => r.is_claim), ['true', 'false', 'false', 'true']);
  assert.equal(rows[0]!.incident, 'outage');
  assert.equal(rows[1]!.incident, 'none');
});

for (const header of ['user', 'username', 'screen_name', 'user_name']) {
  test(`the author column is sniffed under the name "${header}"`, () => {
    assert.deepEqual(classify(header, ['Freebox', 'marie']).map((r) => r.is_claim), ['false', 'true']);
  });
}

test('--author-column names a column the sniffing would not find', () => {
  assert.deepEqual(classify('poster', ['Freebox', 'marie']).map((r) => r.is_claim), ['true', 'true'], 'not sniffed: no author signal');
  assert.deepEqual(classify('poster', ['Freebox', 'marie'], ['--author-column', 'poster']).map((r) => r.is_claim), ['false', 'true']);
});

test('FMC_OPERATOR_ACCOUNTS replaces the list of operator accounts', () => {
  const rows = classify('author', ['Freebox', 'marie'], [], { FMC_OPERATOR_ACCOUNTS: '@Marie' });
  assert.deepEqual(rows.map((r) => r.is_claim), ['true', 'false']);
});

test('--author-column naming a missing column: one-line error, exit 2', () => {
  const input = join(dir, 'no-author.csv');
  writeFileSync(input, `text\n${TEXT}\n`);
  const r = runFmc(['classify', input, '-o', join(dir, 'x.csv'), '--provider', 'rules', '--no-cache', '--author-column', 'poster']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /no-author\.csv:1.*--author-column "poster" not found; columns found: text/);
});

test("the server's CSV route reads the author column too, against the engine's operator accounts", async () => {
  const { createPipeline } = await import('../../src/pipeline/pipeline.js');
  const { call, startServer, testTierConfig } = await import('../server/helpers.js');
  const csv = `author,text\n${['jean_dupont', 'Freebox', 'marie'].map((a) => `${a},${TEXT}`).join('\n')}\n`;
  const askedWith = async (accounts: string | undefined): Promise<string[]> => {
    const { parseOperatorAccounts } = await import('../../src/clean/author.js');
    const pipeline = await createPipeline({ provider: 'rules', tiers: testTierConfig, operatorAccounts: parseOperatorAccounts(accounts) });
    const server = await startServer({ inject: true, pipeline });
    try {
      const r = await call(`${server.url}/api/classify`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
      assert.equal(r.status, 200, r.text);
      return (parse(r.text, { columns: true }) as Record<string, string>[]).map((row) => row.is_claim!);
    } finally {
      await server.close();
    }
  };
  assert.deepEqual(await askedWith(undefined), ['true', 'false', 'true'], 'the built-in list: Freebox is the operator');
  assert.deepEqual(await askedWith('@marie'), ['true', 'true', 'false'], 'FMC_OPERATOR_ACCOUNTS replaces it');
});
