import { loadConfig } from '../config.js';
import { TRAINED_FIELDS } from '../labels.js';
import { trainToDir } from '../model/train-dir.js';
import type { TrainReport } from '../model/train.js';
import { processIO, type CommandIO } from './classify.js';

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

function formatTrainReport(out: string, report: TrainReport): string {
  const lines = [
    `wrote ${out}: ${report.rows} labeled rows, vocabulary ${report.vocabSize}, ${report.features} features, seed ${report.seed}, ${report.seconds.toFixed(1)} s`,
  ];
  if (report.cv) {
    lines.push(`${report.cv.folds}-fold cross-validated accuracy on the training rows:`, `  ${'field'.padEnd(10)} ${'model'.padStart(7)} ${'rules'.padStart(7)} ${'hybrid'.padStart(7)}`);
    for (const f of TRAINED_FIELDS) lines.push(`  ${f.padEnd(10)} ${pct(report.cv.modelJoint[f]).padStart(7)} ${pct(report.cv.rules[f]).padStart(7)} ${pct(report.cv.hybrid[f]).padStart(7)}`);
    // The rules' lexicon was written from these same rows, so their figure here is optimistic.
    lines.push('  (rules were written from these rows: measure on held-out data with fmc eval)');
  }
  return lines.join('\n') + '\n';
}

/** `fmc train`: labeled CSV(s) -> a model set of Transformers.js folders in `options.out`. */
export async function trainCommand(files: string[], options: TrainCommandOptions, io: CommandIO = processIO()): Promise<number> {
  const report = await trainToDir(files, options.out, {
    seed: options.seed,
    unlabeled: options.unlabeled,
    hybrid: options.hybrid,
    textColumn: options.textColumn,
    authorColumn: options.authorColumn,
    operatorAccounts: loadConfig(io.env).operatorAccounts,
    note: (line) => io.stderr.write(`fmc train: ${line}\n`),
  });
  io.stdout.write(options.json ? JSON.stringify({ out: options.out, ...report }, null, 2) + '\n' : formatTrainReport(options.out, report));
  return 0;
}
