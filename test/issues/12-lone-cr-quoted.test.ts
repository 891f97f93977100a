import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { runFmc, tempDir } from '../helpers.js';

// Issue #12, item 10: a CR alone inside an unquoted field (or an LF alone in a CRLF file)
// was copied raw into the output, which no reader takes as one record. It must come out
// quoted, whatever the line end fmc writes.

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir()));
after(() => cleanup());

/** A reader that ends a record at any of CR, LF or CRLF outside quotes, as Excel does. */
const strictRows = (text: string, delimiter = ','): string[][] =>
  parse(text, { delimiter, bom: true, record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: false }) as string[][];

const cases: { name: string; input: string; cells: string[][]; args?: string[] }[] = [
  { name: 'lone CR in an LF file', input: 'id,text\n1,la box\rclignote\n2,ok\n', cells: [['1', 'la box\rclignote'], ['2', 'ok']] },
  { name: 'lone LF in a CRLF file', input: 'id,text\r\n1,la box\nclignote\r\n2,ok\r\n', cells: [['1', 'la box\nclignote'], ['2', 'ok']] },
  { name: 'lone CR in a CRLF file', input: 'id,text\r\n1,plus de\rréseau\r\n2,ok\r\n', cells: [['1', 'plus de\rréseau'], ['2', 'ok']] },
  { name: 'lone CR, semicolons', input: 'id;text\n1;la box\rclignote\n2;ok\n', cells: [['1', 'la box\rclignote'], ['2', 'ok']] },
  { name: 'lone CR, CRLF forced', input: 'id,text\n1,la box\rclignote\n2,ok\n', cells: [['1', 'la box\rclignote'], ['2', 'ok']], args: ['--crlf'] },
];

test('a line break inside an unquoted field comes out quoted, and every reader sees the same cells', () => {
  for (const c of cases) {
    const input = join(dir, 'in.csv');
    writeFileSync(input, c.input);
    const out = join(dir, 'out.csv');
    const r = runFmc(['classify', input, '-o', out, '--provider', 'rules', '--no-cache', '--quiet', ...(c.args ?? [])]);
    assert.equal(r.status, 0, `${c.name}: ${r.stderr}`);
    const text = readFileSync(out, 'utf8');
    const delimiter = c.input.includes(';') ? ';' : ',';
    const rows = strictRows(text, delimiter);
    assert.equal(rows.length, 3, `${c.name}: one record per input row`);
    assert.deepEqual(rows.slice(1).map((row) => row.slice(0, 2)), c.cells, c.name);
    assert.ok(text.includes(`${delimiter}"${c.cells[0]![1]}"${delimiter}`), `${c.name}: the field is quoted`);
  }
});
