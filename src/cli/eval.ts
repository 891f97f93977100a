import { loadConfig } from '../config.js';
import { evaluate, formatReport } from '../eval/metrics.js';
import { readLabeledFile } from '../eval/read-labeled.js';
import { labelStrings } from '../labels.js';
import { createLogger } from '../log.js';
import { createPipeline } from '../pipeline/pipeline.js';
import type { ClassifyOptions } from './classify.js';
import { pipelineOptionsFrom } from './chain-options.js';
import { processIO, type CommandIO } from './command-io.js';

export type EvalOptions = Pick<ClassifyOptions, 'provider' | 'concurrency' | 'batchSize' | 'cache' | 'textColumn' | 'logLevel' | 'modelDir' | 'allowRemote' | 'hubModel' | 'timeout' | 'maxWait' | 'rpm' | 'escalateBelow'> & {
  json?: boolean;
};

/** `fmc eval`: classify a labeled file and compare with its human labels. */
export async function evalCommand(path: string, options: EvalOptions, io: CommandIO = processIO()): Promise<number> {
  const config = loadConfig(io.env);
  const logger = createLogger(options.logLevel ?? config.logLevel);
  const rows = await readLabeledFile(path, { textColumn: options.textColumn });
  const pipeline = await createPipeline({ ...pipelineOptionsFrom(config, options), logger });
  try {
    const results = await pipeline.classifyTexts(rows.map((r, i) => ({ id: String(i), text: r.text })));
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
