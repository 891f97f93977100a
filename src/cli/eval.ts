import { loadConfig } from '../config.js';
import { evaluate, formatReport } from '../eval/metrics.js';
import { readLabeledFile } from '../eval/read-labeled.js';
import { labelStrings } from '../labels.js';
import { createLogger } from '../log.js';
import { createPipeline } from '../pipeline/pipeline.js';
import type { LabelResult } from '../labels.js';
import { pipelineOptionsFrom, processIO, type ClassifyOptions, type CommandIO } from './classify.js';
import { createStepBar } from './progress.js';
import { announceStartup, modelToBuild } from './startup.js';

export type EvalOptions = Pick<ClassifyOptions, 'provider' | 'concurrency' | 'batchSize' | 'cache' | 'textColumn' | 'logLevel' | 'modelDir' | 'allowRemote' | 'hubModel' | 'timeout' | 'maxWait' | 'rpm' | 'escalateBelow'> & {
  json?: boolean;
};

/** `fmc eval`: classify a labeled file and compare with its human labels. */
export async function evalCommand(path: string, options: EvalOptions, io: CommandIO = processIO()): Promise<number> {
  const config = loadConfig(io.env);
  const logger = createLogger(options.logLevel ?? config.logLevel);
  const rows = await readLabeledFile(path, { textColumn: options.textColumn });
  const chain = pipelineOptionsFrom(config, options);
  const notice = announceStartup(io.stderr, await modelToBuild(options.provider, chain.tiers));
  const pipeline = await createPipeline({ ...chain, logger }).finally(() => notice.done());
  try {
    const results = await classifyWithProgress(pipeline, rows, io.stderr);
    const reports = evaluate(
      rows.map((r) => r.labels),
      results.map((r) => labelStrings(r)),
    );
    const providers: Record<string, number> = {};
    for (const r of results) providers[r.provider] = (providers[r.provider] ?? 0) + 1;
    const chain = pipeline.tiers.map((t) => t.name).join(' -> ');
    if (options.json) io.stdout.write(JSON.stringify({ file: path, provider: options.provider, chain, providers, fields: reports }, null, 2) + '\n');
    else io.stdout.write(formatReport(reports, `${options.provider} (${chain}; rows by provider: ${JSON.stringify(providers)})`) + '\n');
    return 0;
  } finally {
    await pipeline.close();
  }
}

/** Rows per classify call when a bar is shown: small enough for the bar to move on LLM tiers. */
const PROGRESS_CHUNK = 100;

/** The pipeline over every row; on a terminal in chunks, with a bar on stderr. */
async function classifyWithProgress(pipeline: Awaited<ReturnType<typeof createPipeline>>, rows: readonly { text: string }[], stderr: NodeJS.WriteStream): Promise<LabelResult[]> {
  const items = rows.map((r, i) => ({ id: String(i), text: r.text }));
  if (!stderr.isTTY) return pipeline.classifyTexts(items);
  const bar = createStepBar(stderr, 'classifying', items.length, 'rows');
  try {
    const results: LabelResult[] = [];
    for (let i = 0; i < items.length; i += PROGRESS_CHUNK) {
      results.push(...(await pipeline.classifyTexts(items.slice(i, i + PROGRESS_CHUNK))));
      bar.update(results.length);
    }
    return results;
  } finally {
    bar.stop();
  }
}
