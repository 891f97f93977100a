import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { ByteLog, createRecordCopier } from '../../src/pipeline/record-copy.js';
import { createChunkClassifier } from '../../src/pipeline/chunk.js';
import { OUTPUT_COLUMNS } from '../../src/labels.js';
import { createPipeline } from '../../src/pipeline/pipeline.js';
import { openTweetSource, type ReadOptions } from '../../src/pipeline/read.js';
import { classifyRows, outputColumns } from '../../src/pipeline/run.js';
import { openStreamSink, type OutputFormat } from '../../src/pipeline/write.js';
import { DEFAULT_DIALECT, type CsvDialect } from '../../src/pipeline/dialect.js';
import { testTierConfig } from '../server/helpers.js';

// Rows of a comma-separated UTF-8 CSV are written out as read (their bytes copied) rather
// than serialized again. Whatever the input's quoting, line ends, chunking or skipped rows,
// the output must hold the same cells as a fresh serialization of the parsed rows.


/** A stream delivering `bytes` in pieces of `size`, so records and characters straddle chunks. */
function inPieces(bytes: Buffer, size: number): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  return Readable.from(pieces, { objectMode: false });
}

async function classifyBytes(
  input: Buffer,
  options: { pieces: number; keepRaw: boolean; read?: ReadOptions; format?: OutputFormat; chunkSize?: number; dialect?: CsvDialect },
): Promise<{ output: string; rawUsed: boolean }> {
  const pipeline = await createPipeline({ provider: 'rules', tiers: testTierConfig });
  try {
    const copier = options.keepRaw ? createRecordCopier() : undefined;
    const source = await openTweetSource({ stream: inPieces(input, options.pieces), name: 'input.csv' }, { ...options.read, copier });
    const format = options.format ?? 'csv';
    const columns = outputColumns(source.columns);
    const parts: Buffer[] = [];
    const out = new (await import('node:stream')).Writable({
      write(chunk: Buffer, _encoding, callback) {
        parts.push(Buffer.from(chunk));
        callback();
      },
    });
    const dialect = options.dialect ?? DEFAULT_DIALECT;
    const sink = openStreamSink({ stream: out, format, columns, dialect });
    await classifyRows({ source, sink, engine: createChunkClassifier(pipeline), copier, output: { format, columns, dialect }, chunkSize: options.chunkSize ?? 3 });
    await sink.commit();
    return { output: Buffer.concat(parts).toString('utf8'), rawUsed: copier?.into(dialect.delimiter) !== undefined };
  } finally {
    await pipeline.close();
  }
}

const TRICKY_ROWS = [
  ['1', 'plus de connexion depuis hier, "vraiment" nul', 'a,b'],
  ['2', 'ligne 1\nligne 2 : la box clignote', ''],
  ['3', 'réseau coupé à Montréal 🙃 ça fait 3 jours', 'x'],
  ['4', '', 'texte vide'],
  ['5', 'panne\r\nencore', '"quoted"'],
  ['6', 'merci free !', 'fin'],
];

function expectedRows(output: string): string[][] {
  return parse(output, { relax_column_count: false }) as string[][];
}

test('rows copied as read hold the same cells as rows serialized anew, across line ends and chunk cuts', async () => {
  const header = 'id,text,note';
  const variants: Record<string, Buffer> = {
    'quoted only when needed, LF': Buffer.from(`${header}\n${stringify(TRICKY_ROWS)}`),
    'every field quoted, CRLF': Buffer.from(`${header}\r\n${stringify(TRICKY_ROWS, { quoted: true, record_delimiter: '\r\n' })}`),
    'no line end after the last row': Buffer.from(`${header}\n${stringify(TRICKY_ROWS).trimEnd()}`),
    'blank lines between rows': Buffer.from(`${header}\n\n${stringify(TRICKY_ROWS).replace(/\nfin\n$/, '\n\nfin\n').replace('\n2,', '\n\n\n2,')}`),
    'UTF-8 BOM': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${header}\n${stringify(TRICKY_ROWS)}`)]),
  };
  for (const [name, bytes] of Object.entries(variants)) {
    for (const pieces of [1, 2, 7, 64, 1 << 16]) {
      const copied = await classifyBytes(bytes, { pieces, keepRaw: true });
      const fresh = await classifyBytes(bytes, { pieces, keepRaw: false });
      assert.ok(copied.rawUsed, `${name}: the record bytes are kept`);
      assert.ok(!fresh.rawUsed);
      const rows = expectedRows(copied.output);
      assert.deepEqual(rows, expectedRows(fresh.output), `${name}, pieces of ${pieces}`);
      assert.deepEqual(rows[0], [...header.split(','), ...OUTPUT_COLUMNS]);
      // Input cells unchanged, labels appended, one row per input row, in order.
      assert.deepEqual(rows.slice(1).map((r) => r.slice(0, 3)), TRICKY_ROWS, `${name}, pieces of ${pieces}`);
      assert.ok(rows.slice(1).every((r) => r.length === 3 + OUTPUT_COLUMNS.length));
    }
  }
});

test('a record with a line break left unquoted (a lone CR or LF) is never copied bare, across chunk cuts', async () => {
  const inputs = [
    'id,text,note\n1,la box\rclignote,x\n2,ok,y\n3,"q\nr",z\n4,fin,w\n',
    'id,text,note\r\n1,la box\nclignote,x\r\n2,ok,y\r\n3,plus de\rréseau,z\r\n4,fin,w\r\n',
  ];
  for (const input of inputs) {
    const cells = (parse(input, { relax_column_count: true }) as string[][]).slice(1);
    for (const pieces of [1, 2, 5, 13, 1 << 16]) {
      const { output } = await classifyBytes(Buffer.from(input), { pieces, keepRaw: true });
      // Ends a record at any CR, LF or CRLF outside quotes, as spreadsheets do.
      const strict = parse(output, { record_delimiter: ['\r\n', '\n', '\r'] }) as string[][];
      assert.deepEqual(strict.slice(1).map((r) => r.slice(0, 3)), cells, `${JSON.stringify(input)}, pieces of ${pieces}`);
      assert.match(output, /\n2,ok,y,/, 'a plain record is still copied');
    }
  }
});

test('a record kept as read is written byte for byte, its own quoting included', async () => {
  const input = Buffer.from('id,text\n"1","la ""box"" est en panne"\n2,merci\n');
  const { output } = await classifyBytes(input, { pieces: 5, keepRaw: true });
  const lines = output.split('\n');
  assert.match(lines[1]!, /^"1","la ""box"" est en panne",/);
  assert.match(lines[2]!, /^2,merci,/);
});

test('with --skip-invalid, the rows after a skipped malformed record are still written exactly', async () => {
  const input = Buffer.from('id,text\n1,panne\n2,mal "fermé" ici\n3,plus de réseau\n4,"ok, merci"\n5,trop,de,champs\n6,fin\n');
  for (const pieces of [3, 1 << 16]) {
    const copied = await classifyBytes(input, { pieces, keepRaw: true, read: { skipInvalid: true } });
    const fresh = await classifyBytes(input, { pieces, keepRaw: false, read: { skipInvalid: true } });
    const rows = expectedRows(copied.output);
    assert.deepEqual(rows, expectedRows(fresh.output));
    assert.deepEqual(rows.slice(1).map((r) => r.slice(0, 2)), [['1', 'panne'], ['3', 'plus de réseau'], ['4', 'ok, merci'], ['6', 'fin']]);
  }
});

test('semicolon records are copied into a semicolon output, serialized anew into a comma one; JSONL output too', async () => {
  const semicolon = Buffer.from('id;text\n1;"panne; encore"\n2;merci,ok\n');
  const comma = await classifyBytes(semicolon, { pieces: 4, keepRaw: true });
  assert.deepEqual(expectedRows(comma.output).slice(1).map((r) => r.slice(0, 2)), [['1', 'panne; encore'], ['2', 'merci,ok']]);
  assert.match(comma.output.split('\n')[2]!, /^2,"merci,ok",/, 'a semicolon record cannot be copied into a comma-separated output');
  const same = await classifyBytes(semicolon, { pieces: 4, keepRaw: true, dialect: { ...DEFAULT_DIALECT, delimiter: ';' } });
  const lines = same.output.split('\n');
  assert.match(lines[1]!, /^1;"panne; encore";/);
  assert.match(lines[2]!, /^2;merci,ok;/);
  assert.deepEqual((parse(same.output, { delimiter: ';' }) as string[][]).slice(1).map((r) => r.slice(0, 2)), [['1', 'panne; encore'], ['2', 'merci,ok']]);

  const jsonl = await classifyBytes(Buffer.from(`id,text\n${stringify(TRICKY_ROWS.map((r) => r.slice(0, 2)))}`), { pieces: 9, keepRaw: true, format: 'jsonl' });
  const objects = jsonl.output.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(objects.map((o) => o.text), TRICKY_ROWS.map((r) => r[1]));
  assert.ok(objects.every((o) => typeof o.is_claim === 'boolean' && typeof o.provider === 'string'));
});

test('ByteLog: spans drop the surrounding line breaks, copy across chunks, and end when released', () => {
  const log = new ByteLog();
  const text = 'a,b\r\n\n\nc,"d\ne"\r\nf,g';
  for (let i = 0; i < text.length; i += 3) log.append(Buffer.from(text.slice(i, i + 3)));
  const copy = (start: number, end: number): string | undefined => {
    const span = log.recordSpan(start, end);
    if (!span) return undefined;
    const out = Buffer.alloc(span[1] - span[0]);
    log.copy(span[0], span[1], out, 0);
    return out.toString();
  };
  // Records end after their line break: [0, 5), [5, 16) after two blank lines, [16, 19).
  assert.equal(copy(0, 5), 'a,b');
  assert.equal(copy(5, 16), 'c,"d\ne"');
  assert.equal(copy(16, 19), 'f,g');
  log.release(16);
  assert.equal(copy(5, 16), undefined, 'released bytes are gone');
  assert.equal(copy(16, 19), 'f,g');
  assert.equal(log.recordSpan(16, 30), undefined, 'bytes not yet read are not held');
});
