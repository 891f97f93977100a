import { loadConfig } from '../config.js';
import { coverageTable, expectedCalibrationError, thresholdForAccuracy, type ScoredOutcome } from '../eval/calibration.js';
import { evaluate, type FieldReport, type LabelRow } from '../eval/metrics.js';
import { readLabeledFile } from '../eval/read-labeled.js';
import { formatEvalReport } from '../eval/report-text.js';
import { labelStrings, TRAINED_FIELDS, type LabelResult, type TrainedField } from '../labels.js';
import { createLogger } from '../log.js';
import { trainedTextKey } from '../model/trained-texts.js';
import { createPipeline, type Pipeline } from '../pipeline/pipeline.js';
import type { ClassifyOptions } from './classify-command.js';
import { pipelineOptionsFrom } from './chain-options.js';
import { processIO, type CommandIO } from './command-io.js';
import { createStepBar } from './progress.js';
import { announceStartup, modelToBuild } from './startup.js';

export type EvalOptions = Pick<ClassifyOptions, 'provider' | 'concurrency' | 'batchSize' | 'cache' | 'textColumn' | 'logLevel' | 'modelDir' | 'allowRemote' | 'hubModel' | 'timeout' | 'maxWait' | 'rpm' | 'escalateBelow'> & {
  json?: boolean;
  authorColumn?: string;
  /** All-five accuracy the suggested --escalate-below threshold must reach (default 0.95). */
  targetAccuracy?: number;
};

export const DEFAULT_TARGET_ACCURACY = 0.95;

/** Each row's confidence and which of its fields match gold. */
function outcomesOf(gold: readonly LabelRow[], results: readonly LabelResult[]): ScoredOutcome[] {
  return results.map((r, i) => {
    const predicted = labelStrings(r);
    const correct = Object.fromEntries(TRAINED_FIELDS.map((f) => [f, predicted[f] === gold[i]![f]])) as Record<TrainedField, boolean>;
    return { confidence: r.confidence, correct };
  });
}

/** How many evaluated texts a tier's model was trained on (0 when no tier says). */
function overlapWithTraining(pipeline: Pipeline, texts: readonly string[]): number {
  const trained = pipeline.tiers.map((t) => t.trainedTexts).filter((s) => s !== undefined);
  if (trained.length === 0) return 0;
  return texts.filter((text) => {
    const key = trainedTextKey(text);
    return trained.some((s) => s.has(key));
  }).length;
}

const perClassOf = (reports: readonly FieldReport[]) => Object.fromEntries(reports.map((r) => [r.field, r.perClass]));

/** `fmc eval`: classify a labeled file and compare with its human labels. */
export async function evalCommand(path: string, options: EvalOptions, io: CommandIO = processIO()): Promise<number> {
  const config = loadConfig(io.env);
  const logger = createLogger(options.logLevel ?? config.logLevel);
  const target = options.targetAccuracy ?? DEFAULT_TARGET_ACCURACY;
  const rows = await readLabeledFile(path, { textColumn: options.textColumn, authorColumn: options.authorColumn });
  const chainOptions = pipelineOptionsFrom(config, options);
  const notice = announceStartup(io.stderr, await modelToBuild(options.provider, chainOptions.tiers));
  const pipeline = await createPipeline({ ...chainOptions, logger }).finally(() => notice.done());
  try {
    const overlap = overlapWithTraining(pipeline, rows.map((r) => r.text));
    if (overlap > 0) io.stderr.write(`fmc eval: warning: ${overlap} of ${rows.length} rows of ${path} are among the model's training texts; these figures are optimistic\n`);
    const results = await classifyWithProgress(pipeline, rows, io.stderr);
    const gold = rows.map((r) => r.labels);
    const reports = evaluate(
      gold,
      results.map((r) => labelStrings(r)),
    );
    const outcomes = outcomesOf(gold, results);
    const coverage = coverageTable(outcomes);
    const ece = expectedCalibrationError(outcomes);
    const choice = thresholdForAccuracy(outcomes, target);
    const providers: Record<string, number> = {};
    for (const r of results) providers[r.provider] = (providers[r.provider] ?? 0) + 1;
    const chain = pipeline.tiers.map((t) => t.name).join(' -> ');
    if (options.json) {
      const report = {
        file: path,
        provider: options.provider,
        chain,
        providers,
        trainingOverlap: overlap,
        fields: reports,
        perClass: perClassOf(reports),
        calibration: coverage,
        ece,
        targetAccuracy: { target, ...(choice ?? { threshold: null, coverage: 0, accuracy: null }) },
      };
      io.stdout.write(JSON.stringify(report, null, 2) + '\n');
    } else {
      const header = `provider: ${options.provider} (${chain}; rows by provider: ${JSON.stringify(providers)})   rows: ${rows.length}`;
      io.stdout.write(formatEvalReport({ header, reports, coverage, ece, target, choice }) + '\n');
    }
    return 0;
  } finally {
    await pipeline.close();
  }
}

/** Rows per classify call when a bar is shown: small enough for the bar to move on LLM tiers. */
const PROGRESS_CHUNK = 100;

/** The pipeline over every row; on a terminal in chunks, with a bar on stderr. */
async function classifyWithProgress(pipeline: Pipeline, rows: readonly { text: string; author?: string | undefined }[], stderr: NodeJS.WriteStream): Promise<LabelResult[]> {
  const items = rows.map((r, i) => ({ id: String(i), text: r.text, author: r.author }));
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
