import { existsSync } from 'node:fs';
import { loadConfig } from '../config.js';
import { cachePathFrom, pipelineOptionsFrom, type ChainFlags } from './chain-options.js';
import type { Writable } from 'node:stream';
import { processIO, type CommandIO } from './command-io.js';
import { createLogger } from '../log.js';
import { createPipeline, type TextItem } from '../pipeline/pipeline.js';
import { authorOf, openTweetSource, type InputRow, type ReadOptions } from '../pipeline/read.js';
import { createRecordCopier } from '../pipeline/record-copy.js';
import { startEngineWorker } from '../pipeline/worker-client.js';
import { classifyRows, dialectFor, outputColumns } from '../pipeline/run.js';
import { describeRenames } from '../pipeline/column-names.js';
import { checkOutputTarget, openOutputFile, writeToStream, type OutputFile } from '../pipeline/output-file.js';
import { defaultOutputPath, formatFor, openFileSink, openStreamSink, type OutputFormat, type RowSink } from '../pipeline/write.js';
import { FmcError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { colorsFor } from './colors.js';
import { catchInterrupts, isInterrupt } from './interrupt.js';
import { acquireLock, type Lock } from './lock.js';
import { count, num } from './format.js';
import { checkDistinctPaths, type RunPath } from './path-guard.js';
import { createClassifyProgress, type ClassifyProgress } from './progress.js';
import { announceStartup, modelToBuild } from './startup.js';
import { formatSummary } from './summary-format.js';
import type { QueueSummary } from './classify-queue.js';

export interface ClassifyOptions extends ChainFlags {
  output?: string;
  format?: OutputFormat;
  inputFormat?: 'csv' | 'jsonl' | 'xlsx';
  /** XLSX input: sheet name or 1-based number. */
  sheet?: string;
  /** CSV output dialect; undefined = mirror the input's. */
  delimiter?: string;
  bom?: boolean;
  crlf?: boolean;
  /** false with --no-escape-formulas. */
  escapeFormulas?: boolean;
  textColumn?: string;
  idColumn?: string;
  /** Column naming each row's author (default: sniffed); the operator's accounts are a signal. */
  authorColumn?: string;
  skipInvalid?: boolean;
  encoding?: 'utf-8' | 'windows-1252';
  maxRecordSize?: number;
  hashtags: boolean;
  quiet?: boolean;
  summaryJson?: string;
  lock?: string;
  dryRun?: boolean;
  /** Also write the HTML report of the output file (fmc report's defaults) at the end of the run. */
  report?: string;
  /** Spread the rows over `fmc worker` processes through the PostgreSQL queue (this process coordinates). */
  queue?: boolean;
  /** Remove the input's queued batch (jobs and stored results) instead of classifying. */
  cancel?: boolean;
  /** --queue: rows per chunk job. */
  chunkRows?: number;
}

// Shared by every command: kept importable from here for code written against it.
export { processIO, type CommandIO } from './command-io.js';
export { cachePathFrom, pipelineOptionsFrom, tierConfigFrom } from './chain-options.js';

/** `fmc classify`: returns the exit code; throws FmcError for anything the user must fix. */
export async function classify(input: string, options: ClassifyOptions, io: CommandIO = processIO()): Promise<number> {
  const startedAt = Date.now();
  const config = loadConfig(io.env);
  const logger = createLogger(options.logLevel ?? config.logLevel);
  if ((options.queue || options.cancel) && input === '-') {
    throw new FmcError('FMC_ERR_USAGE', "--queue reads a file, not stdin: its chunks are keyed by the file's digest so a rerun resumes; save the input to a file first");
  }
  if (options.cancel) {
    const { cancelQueued, queueDatabaseUrl } = await import('./classify-queue.js');
    return cancelQueued(input, queueDatabaseUrl(options.databaseUrl, io.env, '--cancel'), io.env, logger, io.stderr);
  }
  if (options.queue && options.dryRun) throw new FmcError('FMC_ERR_USAGE', '--queue and --dry-run do not go together: --dry-run plans a local run');
  const interrupts = catchInterrupts();
  let lock: Lock | undefined;
  let outputFile: OutputFile | undefined;
  let sink: RowSink | undefined;
  try {
    const readOptions: ReadOptions = {
      format: options.inputFormat,
      sheet: options.sheet,
      textColumn: options.textColumn,
      idColumn: options.idColumn,
      authorColumn: options.authorColumn,
      skipInvalid: options.skipInvalid,
      encoding: options.encoding,
      maxRecordSize: options.maxRecordSize,
    };
    // A workbook comes back as a workbook unless asked otherwise.
    const xlsxIn = options.inputFormat === 'xlsx' || (options.inputFormat === undefined && /\.xlsx$/i.test(input));
    const outputPath = options.output ?? defaultOutputPath(input, options.format ?? (xlsxIn ? 'xlsx' : 'csv'));
    if (options.report && (outputPath === '-' || options.dryRun)) throw new FmcError('FMC_ERR_USAGE', '--report reads the output file: pass -o <file> (not stdout, not --dry-run)');
    const format = formatFor(outputPath, options.format);
    const toStdout = outputPath === '-';
    // Every path is checked before the lock is taken or a byte read: none may be another
    // (a summary over the input, a lock on the output), and each output must be writable.
    checkDistinctPaths(runPaths(input, outputPath, options, cachePathFrom(config, options.cache)), {
      stdinFd: io.stdin === process.stdin ? 0 : undefined,
      stdoutFd: io.stdout === process.stdout ? 1 : undefined,
    });
    const outputTarget = options.dryRun || toStdout ? undefined : await checkOutputTarget(outputPath);
    if (options.summaryJson && options.summaryJson !== '-' && !options.dryRun) await checkOutputTarget(options.summaryJson, '--summary-json');
    lock = options.lock ? acquireLock(options.lock) : undefined;
    if (outputTarget) {
      const opening = openOutputFile(outputTarget);
      outputFile = await interrupts.race(opening).catch((err: unknown) => {
        // Stopped while a FIFO waits for its reader: drop what opens late.
        void opening.then((late) => late.abort(), () => undefined);
        throw err;
      });
    }
    // Input problems surface before any model is loaded or any tier probed.
    // A CSV output can take the input's records as read; a dry run writes nothing.
    const copier = format === 'csv' && !options.dryRun ? createRecordCopier() : undefined;
    const source = await interrupts.race(openTweetSource(input === '-' ? { stream: io.stdin, name: 'stdin' } : { path: input }, { ...readOptions, copier }));
    if (source.renamedColumns.length > 0) io.stderr.write(`fmc: warning: ${source.name}: header names must be unique: ${describeRenames(source.renamedColumns)}\n`);
    const columns = outputColumns(source.columns);
    const dialect = dialectFor(source, { delimiter: options.delimiter, bom: options.bom, crlf: options.crlf, escapeFormulas: options.escapeFormulas });
    if (!options.dryRun) {
      sink = toStdout
        ? openStreamSink({ stream: io.stdout, format, columns, dialect, name: 'stdout' })
        : await openFileSink({ path: outputPath, format, columns, dialect, file: outputFile });
    }

    const pipelineOptions = { ...pipelineOptionsFrom(config, options), keepHashtags: options.hashtags };
    const notice = announceStartup(io.stderr, await modelToBuild(options.provider, pipelineOptions.tiers), { quiet: options.quiet });
    if (options.dryRun) {
      const pipeline = await createPipeline({ ...pipelineOptions, logger }).finally(() => notice.done());
      try {
        await interrupts.race(dryRun(source.rows, source.authorIndex, pipeline, io.stderr));
        return 0;
      } finally {
        await pipeline.close();
      }
    }

    const queued = options.queue ? await import('./classify-queue.js') : undefined;
    const starting = queued
      ? queued.startCoordinator({
          input,
          readOptions,
          pipelineOptions,
          chunkRows: options.chunkRows ?? queued.DEFAULT_CHUNK_ROWS,
          url: queued.queueDatabaseUrl(options.databaseUrl, io.env, '--queue'),
          env: io.env,
          logger,
          stderr: io.stderr,
          quiet: options.quiet ?? false,
        })
      : startEngineWorker({ pipeline: pipelineOptions, logLevel: options.logLevel ?? config.logLevel }).then((engine) => ({ engine, coordinator: undefined }));
    const started = await interrupts
      .race(starting.then((c) => ('batch' in c ? { engine: c.engine, coordinator: c } : c)))
      .catch((err: unknown) => {
        // Stopped while the engine loads: its thread would keep the process alive.
        void starting.then((late) => ('batch' in late ? late.close() : late.engine.close()), () => undefined);
        throw err;
      })
      .finally(() => notice.done());
    const { engine, coordinator } = started;
    let progress: ClassifyProgress | undefined;
    let polling: NodeJS.Timeout | undefined;
    let stopQueueProgress: (() => void) | undefined;
    try {
      if (coordinator && !options.quiet && io.stderr.isTTY) {
        stopQueueProgress = coordinator.showProgress(io.stderr, source.totalBytes, () => source.bytesRead());
      } else if (!options.quiet && io.stderr.isTTY) {
        const shown = (progress = createClassifyProgress(io.stderr, source.totalBytes));
        // The cache counters live on the engine thread: asked for once a second, not per chunk.
        polling = setInterval(() => {
          engine.stats().then((s) => shown.cache({ hits: s.counts.cacheHits, misses: s.counts.cacheMisses }), () => undefined);
        }, 1000);
      }
      // On a signal this rejects at once; the run still going fails on its own once the
      // engine is closed and the sink aborted below.
      const summary = await interrupts.race(
        classifyRows({
          source,
          sink: sink!,
          engine,
          copier,
          output: { format, columns, dialect },
          batchSize: options.batchSize,
          onProgress: progress?.update,
          startedAt,
          operatorAccounts: pipelineOptions.operatorAccounts,
          ...(coordinator && { chunkSize: coordinator.chunkRows, maxInFlight: coordinator.maxInFlight, ramp: false }),
        }),
      );
      clearInterval(polling);
      progress?.stop();
      progress = undefined;
      stopQueueProgress?.();
      stopQueueProgress = undefined;
      const queueSummary = await coordinator?.summary(startedAt);
      await sink!.commit();
      sink = undefined;
      outputFile = undefined;
      // The output is in place: the batch's jobs and stored labels are no longer needed.
      await coordinator?.finish();
      const fullSummary: typeof summary & { queue?: QueueSummary } = queueSummary ? { ...summary, queue: { ...queueSummary, wallMs: Date.now() - startedAt } } : summary;
      if (options.summaryJson) await writeSummaryJson(options.summaryJson, JSON.stringify(fullSummary, null, 2) + '\n', io.stdout, toStdout ? 'stdout' : outputPath);
      if (options.report) await (await import('../report/build.js')).writeReportHtml([outputPath], options.report, { escalateBelow: options.escalateBelow });
      if (!options.quiet) io.stderr.write(formatSummary(summary, colorsFor(io.stderr, io.env)) + '\n');
      if (!options.quiet && queueSummary) io.stderr.write(formatQueueSummary(fullSummary.queue!) + '\n');
      logger.info({ summary }, 'classify done');
      return 0;
    } finally {
      clearInterval(polling);
      // Restores the cursor and clears the line before the error message is printed.
      progress?.stop();
      stopQueueProgress?.();
      // The queue's batch stays (jobs, stored chunks): the same command resumes it.
      await (coordinator ?? engine).close();
    }
  } catch (err) {
    // Stopped mid-read: stdin would keep the process alive.
    if (isInterrupt(err) && input === '-') io.stdin.destroy();
    throw err;
  } finally {
    await (sink ?? outputFile)?.abort();
    lock?.release();
    interrupts.dispose();
  }
}

/** The paths a run reads and writes, for checkDistinctPaths. */
function runPaths(input: string, output: string, options: ClassifyOptions, cachePath: string | undefined): RunPath[] {
  const paths: RunPath[] = [{ flag: 'input', path: input, writes: false }];
  if (!options.dryRun) paths.push({ flag: '-o', path: output, writes: true });
  if (options.summaryJson && !options.dryRun) paths.push({ flag: '--summary-json', path: options.summaryJson, writes: true });
  if (options.lock) paths.push({ flag: '--lock', path: options.lock, writes: true });
  if (cachePath) paths.push({ flag: '--cache', path: cachePath, writes: true });
  return paths;
}

/** `--summary-json`: a file (written atomically), a device, or `-` for stdout. */
async function writeSummaryJson(path: string, json: string, stdout: Writable, output: string): Promise<void> {
  try {
    if (path === '-') await writeToStream(stdout, json, 'stdout');
    else await writeFileAtomic(path, json, '--summary-json');
  } catch (err) {
    if (!(err instanceof FmcError)) throw err;
    throw new FmcError(err.code, `--summary-json ${err.message}; the labeled rows in ${output} are complete`, { cause: err });
  }
}

/** The plan of a run: the same items the run would send (text and author), looked up in the cache, nothing classified. */
async function dryRun(rows: AsyncIterable<InputRow>, authorAt: number, pipeline: Awaited<ReturnType<typeof createPipeline>>, out: NodeJS.WriteStream): Promise<void> {
  let total = 0;
  let cached = 0;
  const requests: Record<string, number> = {};
  let chunk: TextItem[] = [];
  const flush = async (): Promise<void> => {
    const plan = await pipeline.classifier.plan(chunk.map(pipeline.toItem));
    cached += plan.cached;
    for (const [tier, n] of Object.entries(plan.requests)) requests[tier] = (requests[tier] ?? 0) + n;
    chunk = [];
  };
  for await (const row of rows) {
    const author = authorOf(row, authorAt);
    chunk.push({ id: String(total++), text: row.text, ...(author !== undefined && { author }) });
    if (chunk.length >= 2000) await flush();
  }
  await flush();
  out.write(`dry run: ${count(total, 'row')}, ${num(cached)} cached, ${num(total - cached)} to classify\n`);
  for (const [tier, n] of Object.entries(requests)) out.write(`  ${tier}: ${count(n, 'request')}\n`);
}

/** The queue's lines under the summary: who labeled what, retried chunks, wall time. */
function formatQueueSummary(q: QueueSummary): string {
  const total = Object.values(q.workers).reduce((a, b) => a + b, 0);
  const shares = Object.entries(q.workers).map(([w, n]) => `  ${w}: ${num(n)} rows (${Math.round((100 * n) / Math.max(1, total))}%)`);
  return [`queue: ${count(q.chunks, 'chunk')} by ${count(Object.keys(q.workers).length, 'worker')}, ${num(q.retriedChunks)} retried, wall time ${(q.wallMs / 1000).toFixed(1)} s`, ...shares].join('\n');
}
