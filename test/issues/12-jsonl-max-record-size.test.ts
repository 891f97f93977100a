import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { boundedLines } from '../../src/pipeline/jsonl-lines.js';
import { runFmc, tempDir } from '../helpers.js';

// Issue 12, item 12: `--max-record-size` was ignored for JSONL, and a 300 MB line was read
// whole (2 GB RSS). The limit now holds for JSONL lines while they stream: an error naming
// the line, or the line skipped with --skip-invalid, as for an oversized CSV field.
// Peak memory on a 300 MB line is measured by `npm run bench io` (test/bench/io.ts).

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir()));
after(() => cleanup());

const jsonl = (texts: string[]): string => texts.map((text, i) => JSON.stringify({ id: i + 1, text })).join('\n') + '\n';

test('a JSONL line over --max-record-size is an error naming its line; exit 2', () => {
  const input = join(dir, 'big.jsonl');
  writeFileSync(input, jsonl(['panne fibre', 'x'.repeat(5000), 'merci']));
  const r = runFmc(['classify', input, '-o', join(dir, 'out.csv'), '--provider', 'rules', '--no-cache', '--max-record-size', '1000']);
  assert.equal(r.status, 2, r.stderr);
  assert.deepEqual(r.stderr.trim().split('\n'), [
    `fmc: ${input}:2: line of ${JSON.stringify({ id: 2, text: 'x'.repeat(5000) }).length} characters, over the 1000 limit (raise --max-record-size if it is real); fix the line or pass --skip-invalid [FMC_ERR_JSONL]`,
  ]);
});

test('--skip-invalid skips the long line, lists it, and reads the lines after it', () => {
  const input = join(dir, 'skip.jsonl');
  writeFileSync(input, jsonl(['panne fibre', 'x'.repeat(5000), 'merci', 'y'.repeat(3000), 'box en panne']));
  const summary = join(dir, 'skip.json');
  const r = runFmc(['classify', input, '-o', '-', '--format', 'jsonl', '--provider', 'rules', '--no-cache', '--quiet', '--skip-invalid', '--max-record-size', '1000', '--summary-json', summary]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l).id), [1, 3, 5]);
  const s = JSON.parse(runFmc(['classify', input, '-o', join(dir, 'skip-out.csv'), '--provider', 'rules', '--no-cache', '--quiet', '--skip-invalid', '--max-record-size', '1000', '--summary-json', '-']).stdout);
  assert.deepEqual(s.invalid.map((i: { line: number }) => i.line), [2, 4]);
});

test('the default limit (1,048,576) applies to JSONL too', () => {
  const input = join(dir, 'default.jsonl');
  writeFileSync(input, jsonl(['panne fibre', 'z'.repeat(1_100_000)]));
  const r = runFmc(['classify', input, '-o', join(dir, 'default-out.csv'), '--provider', 'rules', '--no-cache']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`default\\.jsonl:2: line of ${JSON.stringify({ id: 2, text: 'z'.repeat(1_100_000) }).length} characters, over the 1048576 limit`));
});

test('boundedLines keeps no more than the limit of a long line, whatever the chunking', async () => {
  async function* chunks(parts: string[]): AsyncGenerator<string> {
    yield* parts;
  }
  const long = 'a'.repeat(10_000);
  const parts = ['{"t":1}\r\n{"t":"', ...long.match(/.{1,999}/g)!, '"}\n', 'last'];
  const lines = [];
  for await (const line of boundedLines(chunks(parts), 100)) lines.push(line);
  assert.deepEqual(lines, [{ text: '{"t":1}' }, { tooLong: 10_000 + 8 }, { text: 'last' }]);
});
