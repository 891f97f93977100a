import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { FmcError } from '../../src/errors.js';
import { OUTPUT_COLUMNS } from '../../src/labels.js';
import { outputColumns } from '../../src/pipeline/run.js';
import { defaultOutputPath, formatFor, openFileSink, openStreamSink } from '../../src/pipeline/write.js';
import { tempDir } from '../helpers.js';

test('output columns: input columns in order, then the labels; clashing input columns renamed', () => {
  assert.deepEqual(outputColumns(['id', 'text']), ['id', 'text', ...OUTPUT_COLUMNS]);
  assert.deepEqual(outputColumns(['text', 'topic']).slice(0, 2), ['text', 'input_topic']);
});

test('default output sits beside the input; format follows the extension', () => {
  assert.equal(defaultOutputPath('data/tweets.csv', 'csv'), join('data', 'tweets.classified.csv'));
  assert.equal(formatFor('/tmp/x.jsonl', undefined), 'jsonl');
  assert.equal(formatFor('/tmp/x.txt', 'jsonl'), 'jsonl');
  assert.equal(formatFor('/tmp/x.txt', undefined), 'csv');
});

test('the file appears only at commit; abort leaves the old file untouched', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, 'out.csv');
    writeFileSync(out, 'previous run\n');
    const sink = await openFileSink({ path: out, format: 'csv', columns: ['text', 'is_claim'] });
    await sink.writeRows([['a, "quoted"', true]]);
    assert.equal(readFileSync(out, 'utf8'), 'previous run\n', 'not replaced before commit');
    await sink.abort();
    assert.equal(readFileSync(out, 'utf8'), 'previous run\n');
    assert.deepEqual(readdirSync(dir), ['out.csv'], 'temp file removed');

    const ok = await openFileSink({ path: out, format: 'csv', columns: ['text', 'is_claim'] });
    await ok.writeRows([['a, "quoted"', true]]);
    await ok.commit();
    assert.equal(readFileSync(out, 'utf8'), 'text,is_claim\n"a, ""quoted""",true\n');
  } finally {
    cleanup();
  }
});

test("output mode: a new file gets the user's umask, a replaced file keeps its mode (the temp file too)", { skip: process.platform === 'win32' && 'POSIX modes' }, async () => {
  const { dir, cleanup } = tempDir();
  const umask = process.umask(0o002);
  try {
    const fresh = join(dir, 'fresh.csv');
    const sink = await openFileSink({ path: fresh, format: 'csv', columns: ['text'] });
    await sink.commit();
    assert.equal(statSync(fresh).mode & 0o777, 0o664);

    const private_ = join(dir, 'private.csv');
    writeFileSync(private_, 'previous run\n');
    chmodSync(private_, 0o600);
    const replacing = await openFileSink({ path: private_, format: 'csv', columns: ['text'] });
    const temp = readdirSync(dir).find((f) => f.startsWith('.private.csv.tmp-'))!;
    assert.equal(statSync(join(dir, temp)).mode & 0o777, 0o600, 'the temp file is never more open than the file it replaces');
    await replacing.commit();
    assert.equal(statSync(private_).mode & 0o777, 0o600);
  } finally {
    process.umask(umask);
    cleanup();
  }
});

test('JSONL rows keep types', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, 'out.jsonl');
    const sink = await openFileSink({ path: out, format: 'jsonl', columns: ['text', 'is_claim', 'confidence'] });
    await sink.writeRows([['é', false, 0.5]]);
    await sink.commit();
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), { text: 'é', is_claim: false, confidence: 0.5 });
  } finally {
    cleanup();
  }
});

test('refuses to write over the input, and names an unwritable directory', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const input = join(dir, 'in.csv');
    writeFileSync(input, 'text\nx\n');
    await assert.rejects(openFileSink({ path: join(dir, '.', 'in.csv'), format: 'csv', columns: [], inputPath: input }), (e: FmcError) => e.code === 'FMC_ERR_OUTPUT_IS_INPUT');
    mkdirSync(join(dir, 'sub'));
    await assert.rejects(openFileSink({ path: join(dir, 'sub', '..', 'in.csv'), format: 'csv', columns: [], inputPath: input }), (e: FmcError) => e.code === 'FMC_ERR_OUTPUT_IS_INPUT');
    // A regular file where a directory should be: unwritable even for root.
    await assert.rejects(openFileSink({ path: join(input, 'out.csv'), format: 'csv', columns: [] }), (e: FmcError) => e.code === 'FMC_ERR_OUTPUT_UNWRITABLE' && /ENOTDIR/.test(e.message));
    assert.ok(existsSync(input));
  } finally {
    cleanup();
  }
});

test('stream sink writes the header even with no rows', async () => {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const sink = openStreamSink({ stream, format: 'csv', columns: ['a', 'b'] });
  await sink.commit();
  assert.equal(Buffer.concat(chunks).toString(), 'a,b\n');
});
