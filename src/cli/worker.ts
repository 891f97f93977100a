import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { createPipeline } from '../pipeline/pipeline.js';
import { describeChain } from '../queue/batch.js';
import { openQueue } from '../queue/boss.js';
import { describeDatabase } from '../store/database-url.js';
import { queueSettingsFrom } from '../queue/settings.js';
import { chainOf, newWorkerId, runWorker } from '../queue/worker-loop.js';
import { pipelineOptionsFrom, type ChainFlags } from './chain-options.js';
import { queueDatabaseUrl } from './classify-queue.js';
import { processIO, type CommandIO } from './command-io.js';
import { count } from './format.js';
import { announceStartup, modelToBuild } from './startup.js';

export interface WorkerOptions extends ChainFlags {
  quiet?: boolean;
}

/**
 * `fmc worker`: labels chunks of `fmc classify --queue` batches with the same engine as a
 * local run (cleaner, tier chain, cache, pacing), until SIGTERM or SIGINT: the chunk in hand
 * is finished and stored, then it exits 0. A second signal kills it at once (its chunk, not
 * completed, is retried elsewhere after its expiry).
 */
export async function worker(options: WorkerOptions, io: CommandIO = processIO()): Promise<number> {
  const config = loadConfig(io.env);
  const logger = createLogger(options.logLevel ?? config.logLevel);
  const url = queueDatabaseUrl(options.databaseUrl, io.env, 'fmc worker');
  const settings = queueSettingsFrom(io.env);
  const say = (line: string): void => void (options.quiet || io.stderr.write(`fmc worker: ${line}\n`));
  const conn = await openQueue(url, settings, logger);
  try {
    const pipelineOptions = { ...pipelineOptionsFrom(config, options), keepHashtags: options.hashtags ?? true };
    const notice = announceStartup(io.stderr, await modelToBuild(options.provider, pipelineOptions.tiers), { quiet: options.quiet });
    const pipeline = await createPipeline({ ...pipelineOptions, logger }).finally(() => notice.done());
    const stop = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      say(`${signal}: finishing the chunk in hand, then exiting (again to stop at once)`);
      stop.abort();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      const id = newWorkerId();
      say(`${id} on ${describeDatabase(url)}, chain ${describeChain(chainOf(pipeline))}; waiting for chunks`);
      const report = await runWorker({
        conn,
        pipeline,
        settings,
        logger,
        id,
        stop: stop.signal,
        onChunk: ({ batch, chunk, rows, ms }) => say(`chunk ${chunk} of batch ${batch.slice(0, 12)}: ${count(rows, 'row')} in ${(ms / 1000).toFixed(2)} s`),
        onRefusal: (message) => say(message),
      });
      say(`stopped after ${count(report.chunks, 'chunk')} (${count(report.rows, 'row')})`);
      return 0;
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await pipeline.close();
    }
  } finally {
    await conn.close();
  }
}
