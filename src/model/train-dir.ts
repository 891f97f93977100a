// `fmc train <labeled.csv...> --out <dir>` as one function: read and validate the labeled
// files (unknown label values are listed with file:line), optionally read unlabeled tweets
// for the vocabulary, train, write the model set.

import { readLabeledFile } from '../eval/read-labeled.js';
import { FmcError } from '../errors.js';
import { openTweetSource } from '../pipeline/read.js';
import { trainModels, type TrainHyper, type TrainReport, type TrainStep } from './train.js';
import { assertReplaceable } from './model-folder.js';
import { writeModelFolders } from './write-model.js';

export interface TrainToDirOptions {
  readonly seed?: number;
  /** CSV/JSONL files of unlabeled tweets that widen the vocabulary (e.g. fixtures/tweets.csv). */
  readonly unlabeled?: readonly string[];
  /** Fit the model + rules combiner (the offline hybrid). Default true. */
  readonly hybrid?: boolean;
  readonly hyper?: TrainHyper;
  readonly textColumn?: string;
  readonly onProgress?: (step: TrainStep) => void;
}

/** Texts of an unlabeled file, through the same reader as `fmc classify`. */
export async function readTexts(path: string, textColumn?: string): Promise<string[]> {
  const source = await openTweetSource({ path }, { textColumn });
  const texts: string[] = [];
  for await (const row of source.rows) texts.push(row.text);
  return texts;
}

/**
 * Trains on every labeled file (rows concatenated in argument order) and writes the model
 * set to `outDir`. Throws FMC_ERR_LABELS listing every unknown value with file:line.
 */
export async function trainToDir(csvPaths: readonly string[], outDir: string, options: TrainToDirOptions = {}): Promise<TrainReport> {
  if (csvPaths.length === 0) throw new FmcError('FMC_ERR_USAGE', 'no labeled CSV file given: training needs at least one');
  // Before half a minute of training, not after.
  assertReplaceable(outDir);
  const rows = [];
  for (const path of csvPaths) rows.push(...(await readLabeledFile(path, { textColumn: options.textColumn })));
  const unlabeled: string[] = [];
  for (const path of options.unlabeled ?? []) unlabeled.push(...(await readTexts(path, options.textColumn)));
  const trained = await trainModels({
    rows: rows.map((r) => ({ text: r.text, labels: r.labels })),
    unlabeled,
    seed: options.seed,
    hyper: options.hyper,
    hybrid: options.hybrid,
    onProgress: options.onProgress,
  });
  writeModelFolders(outDir, trained);
  options.onProgress?.({ stage: 'done', done: 1, total: 1 });
  return trained.report;
}
