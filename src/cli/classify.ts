import { loadConfig } from '../config.js';
import { pipelineOptionsFrom, type ChainFlags } from './chain-options.js';
import { processIO, type CommandIO } from './command-io.js';
import { createLogger } from '../log.js';
import { createPipeline } from '../pipeline/pipeline.js';
import { openTweetSource, type ReadOptions } from '../pipeline/read.js';
import { startEngineWorker } from '../pipeline/worker-client.js';
import { classifyRows, outputColumns } from '../pipeline/run.js';
import { defaultOutputPath, formatFor, openFileSink, openStreamSink, type OutputFormat, type RowSink } from '../pipeline/write.js';
import { writeFileAtomic } from './atomic-write.js';
import { colorsFor } from './colors.js';
import { catchInterrupts, isInterrupt } from './interrupt.js';
import { acquireLock, type Lock } from './lock.js';
import { createProgress } from './progress.js';
import { formatSummary } from './summary-format.js';

export interface ClassifyOptions extends ChainFlags {
  output?: string;
  format?: OutputFormat;
  inputFormat?: 'csv' | 'jsonl';
  textColumn?: string;
  idColumn?: string;
  skipInvalid?: boolean;
  encoding?: 'utf-8' | 'windows-1252';
  maxRecordSize?: number;
  hashtags: boolean;
  quiet?: boolean;
  summaryJson?: string;
  lock?: string;
  dryRun?: boolean;
}

// Shared by every command: kept importable from here for code written against it.
export { processIO, type CommandIO } from './command-io.js';
export { cachePathFrom, pipelineOptionsFrom, tierConfigFrom } from './chain-options.js';

/** `fmc classify`: returns the exit code; throws FmcError for anything the user must fix. */
export async function classify(input: string, options: ClassifyOptions, io: CommandIO = processIO()): Promise<number> {
  const config = loadConfig(io.env);
  const logger = createLogger(options.logLevel ?? config.logLevel);
  const interrupts = catchInterrupts();
  let lock: Lock | undefined;
  let sink: RowSink | undefined;
  try {
    lock = options.lock ? acquireLock(options.lock) : undefined;
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
    // Input problems surface before any model is loaded or any tier probed.
    const source = await interrupts.race(
      openTweetSource(input === '-' ? { stream: io.stdin, name: 'stdin' } : { path: input }, { ...readOptions, keepRawRecords: format === 'csv' && !options.dryRun }),
    );
    const columns = outputColumns(source.columns);
    if (!options.dryRun) {
      sink =
        outputPath === '-'
          ? openStreamSink({ stream: io.stdout, format, columns })
          : await openFileSink({ path: outputPath, format, columns, inputPath: input });
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
      if (options.summaryJson) await writeFileAtomic(options.summaryJson, JSON.stringify(summary, null, 2) + '\n');
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
    await sink?.abort();
    lock?.release();
    interrupts.dispose();
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
