import type { Readable, Writable } from 'node:stream';
import { LABEL_FIELDS, OUTPUT_COLUMNS, type LabelResult } from '../labels.js';
import { createChunkClassifier, type ChunkClassifier, type ChunkCounts } from './chunk.js';
import type { Pipeline } from './pipeline.js';
import { openTweetSource, type InputRow, type InvalidRow, type ReadOptions, type TweetSource } from './read.js';
import { openStreamSink, type OutputFormat, type RowSink } from './write.js';
import { FmcError } from '../errors.js';
import { summarize, type RunCounters, type RunSummary } from './summary.js';

export interface Progress {
  readonly rows: number;
  readonly bytesRead: number;
  readonly totalBytes: number | undefined;
  readonly elapsedMs: number;
}

export interface ClassifyRowsOptions {
  readonly source: TweetSource;
  readonly sink: RowSink;
  readonly engine: ChunkClassifier;
  /** Rows per classifier call; two chunks are in flight so reading overlaps slow tiers. */
  readonly chunkSize?: number;
  readonly onProgress?: (progress: Progress) => void;
}

/**
 * Input columns, then the label columns. An input column that already has a label's name
 * (re-classifying a labeled file) is kept as `input_<name>` so neither value is lost.
 */
export function outputColumns(inputColumns: readonly string[]): string[] {
  const taken = new Set<string>(OUTPUT_COLUMNS);
  return [...inputColumns.map((c) => (taken.has(c.trim().toLowerCase()) ? `input_${c}` : c)), ...OUTPUT_COLUMNS];
}

const MAX_IN_FLIGHT = 3;

interface Chunk {
  /** Only the count is kept: the rows themselves now live on the engine thread. */
  readonly size: number;
  readonly labeled: Promise<{ serialized: string | Uint8Array; counts: ChunkCounts }>;
}

/** read -> clean -> dedupe -> classify -> write, in input order, one output row per input row. */
export async function classifyRows(options: ClassifyRowsOptions): Promise<RunSummary> {
  const { source, sink, engine } = options;
  const chunkSize = Math.max(1, options.chunkSize ?? 1000);
  const started = Date.now();
  const before = await engine.stats();
  const counters: RunCounters = { rows: 0, labels: {}, providers: {} };

  const start = (rows: InputRow[]): Chunk => {
    const labeled = engine.labelRows(
      rows.map((r) => r.values),
      source.textIndex,
    );
    // Awaited later, in order; this keeps an early failure from being "unhandled" meanwhile.
    labeled.catch(() => undefined);
    return { size: rows.length, labeled };
  };

  const finish = async (chunk: Chunk): Promise<void> => {
    const { serialized, counts } = await chunk.labeled;
    merge(counters, counts);
    counters.rows += chunk.size;
    await sink.writeText(serialized);
    options.onProgress?.({ rows: counters.rows, bytesRead: source.bytesRead(), totalBytes: source.totalBytes, elapsedMs: Date.now() - started });
  };

  // Several chunks in flight: the main thread keeps parsing while the engine classifies.
  const inFlight: Chunk[] = [];
  let rows: InputRow[] = [];
  for await (const batch of source.batches(chunkSize)) {
    for (const row of batch) {
      rows.push(row);
      if (rows.length < chunkSize) continue;
      inFlight.push(start(rows));
      rows = [];
      if (inFlight.length >= MAX_IN_FLIGHT) await finish(inFlight.shift()!);
    }
  }
  if (rows.length > 0) inFlight.push(start(rows));
  for (const chunk of inFlight) await finish(chunk);

  if (counters.rows === 0) {
    const skipped = source.invalid.length > 0 ? ` (${source.invalid.length} malformed rows skipped)` : '';
    throw new FmcError('FMC_ERR_INPUT_EMPTY', `${source.name}: header only, no data rows${skipped}`);
  }
  return summarize({ counters, invalid: source.invalid, before, after: await engine.stats(), tierNames: engine.tierNames, durationMs: Date.now() - started });
}

function merge(counters: RunCounters, counts: ChunkCounts): void {
  for (const [field, values] of Object.entries(counts.labels)) {
    const bucket = (counters.labels[field] ??= {});
    for (const [value, n] of Object.entries(values)) bucket[value] = (bucket[value] ?? 0) + n;
  }
  for (const [p, n] of Object.entries(counts.providers)) counters.providers[p] = (counters.providers[p] ?? 0) + n;
}

/** Streams CSV/JSONL from `input` to `output` (the server's text/csv endpoint). */
export async function runClassification(options: {
  input: Readable;
  sourceName: string;
  output: Writable;
  format: OutputFormat;
  pipeline: Pipeline;
  textColumn?: string;
  idColumn?: string;
  skipInvalid?: boolean;
  inputFormat?: ReadOptions['format'];
}): Promise<RunSummary> {
  const source = await openTweetSource(
    { stream: options.input, name: options.sourceName },
    { format: options.inputFormat, textColumn: options.textColumn, idColumn: options.idColumn, skipInvalid: options.skipInvalid },
  );
  const output = { format: options.format, columns: outputColumns(source.columns) };
  const sink = openStreamSink({ stream: options.output, ...output });
  const summary = await classifyRows({ source, sink, engine: createChunkClassifier(options.pipeline, { output }) });
  await sink.commit();
  return summary;
}

export type { RunSummary, InvalidRow };
