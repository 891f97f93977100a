import { loadConfig } from '../config.js';
import { TRAINED_FIELDS } from '../labels.js';
import { trainToDir } from '../model/train-dir.js';
import type { TrainReport } from '../model/train.js';
import { processIO, type CommandIO } from './command-io.js';
import { count, duration, num, plainTable } from './format.js';
import { createTrainProgress } from './progress.js';

export interface TrainCommandOptions {
  out: string;
  seed?: number;
  unlabeled?: string[];
  /** false with --no-hybrid. */
  hybrid: boolean;
  textColumn?: string;
  authorColumn?: string;
  json?: boolean;
}

const pct = (x: number): string => x.toFixed(3);

export function formatTrainReport(out: string, report: TrainReport): string {
  const lines = [
    `wrote ${out}: ${count(report.rows, 'labeled row')}, vocabulary ${num(report.vocabSize)}, ${count(report.features, 'feature')}, seed ${report.seed}, ${duration(report.seconds * 1000)}`,
  ];
  if (report.cv) {
    const cv = report.cv;
    lines.push(`${cv.folds}-fold cross-validated accuracy on the training rows:`);
    lines.push(plainTable([['field', 'model', 'rules', 'hybrid'], ...TRAINED_FIELDS.map((f) => [f, pct(cv.modelJoint[f]), pct(cv.rules[f]), pct(cv.hybrid[f])])], { indent: 2 }));
    // The rules' lexicon was written from these same rows, so their figure here is optimistic.
    lines.push('  (rules were written from these rows: measure on held-out data with fmc eval)');
  }
  return lines.join('\n') + '\n';
}

/** `fmc train`: labeled CSV(s) -> a model set of Transformers.js folders in `options.out`. */
export async function trainCommand(files: string[], options: TrainCommandOptions, io: CommandIO = processIO()): Promise<number> {
  // On a terminal only: stdout may be the --json report, and logs must not fill with frames.
  const progress = io.stderr.isTTY ? createTrainProgress(io.stderr) : undefined;
  let report: TrainReport;
  try {
    report = await trainToDir(files, options.out, {
      seed: options.seed,
      unlabeled: options.unlabeled,
      hybrid: options.hybrid,
      textColumn: options.textColumn,
      authorColumn: options.authorColumn,
      operatorAccounts: loadConfig(io.env).operatorAccounts,
      onProgress: progress?.step,
      note: (line) => io.stderr.write(`fmc train: ${line}\n`),
    });
  } finally {
    progress?.stop();
  }
  io.stdout.write(options.json ? JSON.stringify({ out: options.out, ...report }, null, 2) + '\n' : formatTrainReport(options.out, report));
  return 0;
}
