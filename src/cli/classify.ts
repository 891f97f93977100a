import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { loadConfig, type Config } from '../config.js';
import { createLogger } from '../log.js';
import { createPipeline, type PipelineOptions } from '../pipeline/pipeline.js';
import { openTweetSource, type ReadOptions } from '../pipeline/read.js';
import { startEngineWorker } from '../pipeline/worker-client.js';
import { classifyRows, outputColumns } from '../pipeline/run.js';
import { checkOutputTarget, openOutputFile, writeToStream, type OutputFile } from '../pipeline/output-file.js';
import { defaultOutputPath, formatFor, openFileSink, openStreamSink, type OutputFormat, type RowSink } from '../pipeline/write.js';
import { FmcError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { colorsFor } from './colors.js';
import { catchInterrupts, isInterrupt } from './interrupt.js';
import { acquireLock, type Lock } from './lock.js';
import { checkDistinctPaths, type RunPath } from './path-guard.js';
import { createProgress } from './progress.js';
import { formatSummary } from './summary-format.js';

export interface ClassifyOptions {
  output?: string;
  format?: OutputFormat;
  inputFormat?: 'csv' | 'jsonl';
  textColumn?: string;
  idColumn?: string;
  provider: string;
  concurrency: number;
  batchSize: number;
  /** false with --no-cache. */
  cache: string | boolean;
  skipInvalid?: boolean;
  encoding?: 'utf-8' | 'windows-1252';
  maxRecordSize?: number;
  hashtags: boolean;
  quiet?: boolean;
  summaryJson?: string;
  logLevel?: string;
  lock?: string;
  modelDir?: string;
  allowRemote?: boolean;
  hubModel?: string;
  timeout?: number;
  maxWait?: number;
  rpm?: number;
  /** --examples: labeled CSVs added to the LLM tiers' example pool. */
  examples?: string[];
  escalateBelow?: number;
  dryRun?: boolean;
}

export interface CommandIO {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
}

export const processIO = (): CommandIO => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });

/** Flags override the environment; the result is what every tier factory receives. */
export function tierConfigFrom(config: Config, options: Partial<ClassifyOptions>): Config['tiers'] {
  return {
    ...config.tiers,
    modelDir: options.modelDir ?? config.tiers.modelDir,
    allowRemote: options.allowRemote ?? config.tiers.allowRemote,
    hubModel: options.hubModel ?? config.tiers.hubModel,
    timeoutMs: options.timeout ?? config.tiers.timeoutMs,
    maxWaitMs: options.maxWait ?? config.tiers.maxWaitMs,
    rpm: options.rpm ?? config.tiers.rpm,
    exampleFiles: options.examples ?? config.tiers.exampleFiles,
  };
}

export function cachePathFrom(config: Config, cache: string | boolean): string | undefined {
  if (cache === false) return undefined;
  return typeof cache === 'string' ? cache : config.cachePath;
}

type ChainOptions = Pick<ClassifyOptions, 'provider' | 'concurrency' | 'batchSize' | 'cache' | 'escalateBelow'> & Partial<ClassifyOptions>;

/** The pipeline every command runs (classify, eval, serve), from its flags over the environment. */
export function pipelineOptionsFrom(config: Config, options: ChainOptions): PipelineOptions {
  // Checked here: a missing file found while building the chain would only take the LLM tiers out of `auto`.
  for (const file of options.examples ?? []) {
    if (!existsSync(file)) throw new FmcError('FMC_ERR_INPUT_MISSING', `--examples ${file}: no such file; give a labeled CSV (e.g. from fmc corrections export)`);
  }
  return {
    provider: options.provider,
    tiers: tierConfigFrom(config, options),
    cachePath: cachePathFrom(config, options.cache),
    concurrency: options.concurrency,
    batchSize: options.batchSize,
    escalateBelow: options.escalateBelow,
    operatorAccounts: config.operatorAccounts,
  };
}

/** `fmc classify`: returns the exit code; throws FmcError for anything the user must fix. */
export async function classify(input: string, options: ClassifyOptions, io: CommandIO = processIO()): Promise<number> {
  const config = loadConfig(io.env);
  const logger = createLogger(options.logLevel ?? config.logLevel);
  const interrupts = catchInterrupts();
  let lock: Lock | undefined;
  let outputFile: OutputFile | undefined;
  let sink: RowSink | undefined;
  try {
    const readOptions: ReadOptions = {
      format: options.inputFormat,
      textColumn: options.textColumn,
      idColumn: options.idColumn,
      skipInvalid: options.skipInvalid,
      encoding: options.encoding,
      maxRecordSize: options.maxRecordSize,
    };
    const outputPath = options.output ?? defaultOutputPath(input, options.format ?? 'csv');
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
    const source = await interrupts.race(
      openTweetSource(input === '-' ? { stream: io.stdin, name: 'stdin' } : { path: input }, { ...readOptions, keepRawRecords: format === 'csv' && !options.dryRun }),
    );
    const columns = outputColumns(source.columns);
    if (!options.dryRun) {
      sink = toStdout
        ? openStreamSink({ stream: io.stdout, format, columns, name: 'stdout' })
        : await openFileSink({ path: outputPath, format, columns, file: outputFile });
    }

    const pipelineOptions = { ...pipelineOptionsFrom(config, options), keepHashtags: options.hashtags };
    if (options.dryRun) {
      const pipeline = await createPipeline({ ...pipelineOptions, logger });
      try {
        await interrupts.race(dryRun(source.rows, pipeline, io.stderr));
        return 0;
      } finally {
        await pipeline.close();
      }
    }

    const starting = startEngineWorker({ pipeline: pipelineOptions, logLevel: options.logLevel ?? config.logLevel });
    const engine = await interrupts.race(starting).catch((err: unknown) => {
      // Stopped while the engine loads: its thread would keep the process alive.
      void starting.then((late) => late.close(), () => undefined);
      throw err;
    });
    try {
      const progress = !options.quiet && io.stderr.isTTY ? createProgress(io.stderr) : undefined;
      // On a signal this rejects at once; the run still going fails on its own once the
      // engine is closed and the sink aborted below.
      const summary = await interrupts.race(classifyRows({ source, sink: sink!, engine, output: { format, columns }, batchSize: options.batchSize, onProgress: progress?.update }));
      progress?.done();
      await sink!.commit();
      sink = undefined;
      outputFile = undefined;
      if (options.summaryJson) await writeSummaryJson(options.summaryJson, JSON.stringify(summary, null, 2) + '\n', io.stdout, toStdout ? 'stdout' : outputPath);
      if (!options.quiet) io.stderr.write(formatSummary(summary, colorsFor(io.stderr, io.env)) + '\n');
      logger.info({ summary }, 'classify done');
      return 0;
    } finally {
      await engine.close();
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

async function dryRun(rows: AsyncIterable<{ text: string }>, pipeline: Awaited<ReturnType<typeof createPipeline>>, out: NodeJS.WriteStream): Promise<void> {
  let total = 0;
  let cached = 0;
  const requests: Record<string, number> = {};
  let chunk: { id: string; text: string }[] = [];
  const flush = (): void => {
    const plan = pipeline.classifier.plan(chunk.map(pipeline.toItem));
    cached += plan.cached;
    for (const [tier, n] of Object.entries(plan.requests)) requests[tier] = (requests[tier] ?? 0) + n;
    chunk = [];
  };
  for await (const row of rows) {
    chunk.push({ id: String(total++), text: row.text });
    if (chunk.length >= 2000) flush();
  }
  flush();
  out.write(`dry run: ${total} rows, ${cached} cached, ${total - cached} to classify\n`);
  for (const [tier, n] of Object.entries(requests)) out.write(`  ${tier}: ${n} requests\n`);
}
