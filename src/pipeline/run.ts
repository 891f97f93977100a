import type { Readable, Writable } from 'node:stream';
import { OUTPUT_COLUMNS } from '../labels.js';
import { createChunkClassifier, type ChunkClassifier, type LabeledChunk } from './chunk.js';
import { uniqueColumnNames } from './column-names.js';
import { addCounts, emptyCounts } from './counts.js';
import { DEFAULT_DIALECT, outputDialect, type CsvDialect, type DialectOverrides } from './dialect.js';
import { rowFormatter } from './format-rows.js';
import type { RecordCopier } from './record-copy.js';
import type { Pipeline } from './pipeline.js';
import { authorOf, openTweetSource, type InputRow, type InvalidRow, type ReadOptions, type TweetSource } from './read.js';
import { openStreamSink, type OutputFormat, type RowSink } from './write.js';
import { FmcError } from '../errors.js';
import { isOperatorAccount, parseOperatorAccounts } from '../clean/author.js';
import { summarize, type RunCounters, type RunSummary } from './summary.js';

export interface Progress {
  readonly rows: number;
  /** Rows so far by the tier that answered them (the run's live counts). */
  readonly providers: Readonly<Record<string, number>>;
  readonly bytesRead: number;
  readonly totalBytes: number | undefined;
  readonly elapsedMs: number;
}

export interface ClassifyRowsOptions {
  readonly source: TweetSource;
  readonly sink: RowSink;
  readonly engine: ChunkClassifier;
  /** The record copier the source was opened with (record-copy.ts): CSV rows then go out as read. */
  readonly copier?: RecordCopier | undefined;
  /** The output's format, columns (`outputColumns` of the source's) and CSV dialect (default: plain, formulas escaped). */
  readonly output: { readonly format: OutputFormat; readonly columns: readonly string[]; readonly dialect?: CsvDialect | undefined };
  /** Rows per classifier call; several chunks are in flight so reading overlaps slow tiers. */
  readonly chunkSize?: number;
  /** Items per LLM request: the smaller first chunks stay multiples of it (no part-filled request). */
  readonly batchSize?: number;
  readonly onProgress?: (progress: Progress) => void;
  /** When the command started (Date.now()): the summary's duration counts from there. */
  readonly startedAt?: number;
  /** Handles whose rows (the source's author column) are the operator's; default the built-in list. */
  readonly operatorAccounts?: ReadonlySet<string>;
  /**
   * Chunks labeled at once (default 3). The queue's engine (`--queue`) takes many: each is a
   * job some worker runs, and the output still goes out in order.
   */
  readonly maxInFlight?: number;
  /**
   * false: every chunk has `chunkSize` rows, none smaller at the start, so chunk n holds the
   * same rows on every run of the same input (the queue's chunks are keyed by their index).
   */
  readonly ramp?: boolean;
}

/**
 * Input columns, then the label columns. An input column that already has a label's name
 * (re-classifying a labeled file) is kept as `input_<name>` so neither value is lost.
 */
export function outputColumns(inputColumns: readonly string[]): string[] {
  const taken = new Set<string>(OUTPUT_COLUMNS);
  // Unique already (read.ts renames repeats); `input_<name>` may meet an input column of that name.
  const renamed = uniqueColumnNames(inputColumns.map((c) => (taken.has(c.trim().toLowerCase()) ? `input_${c}` : c))).names;
  return [...renamed, ...OUTPUT_COLUMNS];
}

/** The CSV dialect of a run's output: the input's mirrored, then what the user asked for. */
export function dialectFor(source: Pick<TweetSource, 'dialect'>, overrides?: DialectOverrides): CsvDialect {
  return outputDialect(source.dialect, overrides);
}

const MAX_IN_FLIGHT = 3;

interface Chunk {
  readonly rows: readonly InputRow[];
  readonly labeled: Promise<LabeledChunk>;
}

/** read -> clean -> dedupe -> classify -> write, in input order, one output row per input row. */
export async function classifyRows(options: ClassifyRowsOptions): Promise<RunSummary> {
  const { source, sink, engine } = options;
  const dialect = options.output.dialect ?? DEFAULT_DIALECT;
  const format = rowFormatter({ ...options.output, dialect, copier: options.copier });
  const chunkSize = Math.max(1, options.chunkSize ?? 1000);
  const started = Date.now();
  const before = await engine.stats();
  const counters: RunCounters = emptyCounts();

  const accounts = options.operatorAccounts ?? parseOperatorAccounts(undefined);
  const authorAt = source.authorIndex;
  /** 1 per row by one of the operator's accounts; undefined when none is (or no author column). */
  const operatorRows = (rows: readonly InputRow[]): Uint8Array | undefined => {
    if (authorAt < 0) return undefined;
    const flags = Uint8Array.from(rows, (r) => (isOperatorAccount(authorOf(r, authorAt), accounts) ? 1 : 0));
    return flags.includes(1) ? flags : undefined;
  };

  const start = (rows: InputRow[]): Chunk => {
    const labeled = engine.labelTexts(rows.map((r) => r.text), undefined, operatorRows(rows));
    // Awaited later, in order; this keeps an early failure from being "unhandled" meanwhile.
    labeled.catch(() => undefined);
    return { rows, labeled };
  };

  const finish = async (chunk: Chunk): Promise<void> => {
    const labeled = await chunk.labeled;
    addCounts(counters, labeled.counts);
    const out = format(chunk.rows, labeled);
    await (Array.isArray(out) ? sink.writeRows(out) : sink.writeText(out));
    options.onProgress?.({ rows: counters.rows, providers: counters.providers, bytesRead: source.bytesRead(), totalBytes: source.totalBytes, elapsedMs: Date.now() - started });
  };

  // Several chunks in flight: the main thread keeps parsing while the engine classifies.
  // The first chunks are smaller (chunkSize/8, /4, /2, in whole LLM batches): the engine
  // starts on rows sooner instead of idling while this thread parses a whole chunk with
  // code not yet optimized.
  const batch = Math.max(1, options.batchSize ?? 1);
  const ramp = (rows: number): number => Math.min(chunkSize, Math.ceil(Math.max(1, rows) / batch) * batch);
  const maxInFlight = Math.max(1, options.maxInFlight ?? MAX_IN_FLIGHT);
  const inFlight: Chunk[] = [];
  let rows: InputRow[] = [];
  let size = options.ramp === false ? chunkSize : ramp(chunkSize >> 3);
  for await (const parsed of source.batches(chunkSize)) {
    for (const row of parsed) {
      rows.push(row);
      if (rows.length < size) continue;
      inFlight.push(start(rows));
      rows = [];
      size = ramp(size * 2);
      if (inFlight.length >= maxInFlight) await finish(inFlight.shift()!);
    }
  }
  if (rows.length > 0) inFlight.push(start(rows));
  for (const chunk of inFlight) await finish(chunk);

  if (counters.rows === 0) {
    const skipped = source.invalid.length > 0 ? ` (${source.invalid.length} malformed rows skipped)` : '';
    throw new FmcError('FMC_ERR_INPUT_EMPTY', `${source.name}: header only, no data rows${skipped}`);
  }
  return summarize({ counters, invalid: source.invalid, before, after: await engine.stats(), tierNames: engine.tierNames, durationMs: Date.now() - started, startupMs: started - (options.startedAt ?? started) });
}

export type { RunSummary, InvalidRow };
