import type { Readable, Writable } from 'node:stream';
import { OUTPUT_COLUMNS } from '../labels.js';
import { createChunkClassifier, type ChunkClassifier, type LabeledChunk } from './chunk.js';
import { addCounts, emptyCounts } from './counts.js';
import { rowFormatter } from './format-rows.js';
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
  /** The output's format and columns (`outputColumns` of the source's). */
  readonly output: { readonly format: OutputFormat; readonly columns: readonly string[] };
  /** Rows per classifier call; several chunks are in flight so reading overlaps slow tiers. */
  readonly chunkSize?: number;
  /** Items per LLM request: the smaller first chunks stay multiples of it (no part-filled request). */
  readonly batchSize?: number;
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
  readonly rows: readonly InputRow[];
  readonly labeled: Promise<LabeledChunk>;
}

/** read -> clean -> dedupe -> classify -> write, in input order, one output row per input row. */
export async function classifyRows(options: ClassifyRowsOptions): Promise<RunSummary> {
  const { source, sink, engine } = options;
  const format = rowFormatter(options.output.format, options.output.columns, source.raw);
  const chunkSize = Math.max(1, options.chunkSize ?? 1000);
  const started = Date.now();
  const before = await engine.stats();
  const counters: RunCounters = emptyCounts();

  const start = (rows: InputRow[]): Chunk => {
    const labeled = engine.labelTexts(rows.map((r) => r.text));
    // Awaited later, in order; this keeps an early failure from being "unhandled" meanwhile.
    labeled.catch(() => undefined);
    return { rows, labeled };
  };

  const finish = async (chunk: Chunk): Promise<void> => {
    const labeled = await chunk.labeled;
    addCounts(counters, labeled.counts);
    await sink.writeText(format(chunk.rows, labeled));
    // Later rows start after this chunk's last record: its bytes are no longer needed.
    source.raw?.release(chunk.rows[chunk.rows.length - 1]!.end);
    options.onProgress?.({ rows: counters.rows, bytesRead: source.bytesRead(), totalBytes: source.totalBytes, elapsedMs: Date.now() - started });
  };

  // Several chunks in flight: the main thread keeps parsing while the engine classifies.
  // The first chunks are smaller (chunkSize/8, /4, /2, in whole LLM batches): the engine
  // starts on rows sooner instead of idling while this thread parses a whole chunk with
  // code not yet optimized.
  const batch = Math.max(1, options.batchSize ?? 1);
  const ramp = (rows: number): number => Math.min(chunkSize, Math.ceil(Math.max(1, rows) / batch) * batch);
  const inFlight: Chunk[] = [];
  let rows: InputRow[] = [];
  let size = ramp(chunkSize >> 3);
  for await (const parsed of source.batches(chunkSize)) {
    for (const row of parsed) {
      rows.push(row);
      if (rows.length < size) continue;
      inFlight.push(start(rows));
      rows = [];
      size = ramp(size * 2);
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
    {
      format: options.inputFormat,
      textColumn: options.textColumn,
      idColumn: options.idColumn,
      skipInvalid: options.skipInvalid,
      keepRawRecords: options.format === 'csv',
    },
  );
  const output = { format: options.format, columns: outputColumns(source.columns) };
  const sink = openStreamSink({ stream: options.output, ...output });
  const summary = await classifyRows({ source, sink, engine: createChunkClassifier(options.pipeline), output });
  await sink.commit();
  return summary;
}

export type { RunSummary, InvalidRow };
