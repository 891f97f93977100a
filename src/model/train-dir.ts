// `fmc train <labeled.csv...> --out <dir>` as one function: read and validate the labeled
// files (unknown label values are listed with file:line), optionally read unlabeled tweets
// for the vocabulary, train, write the model set.

import { isOperatorAccount, parseOperatorAccounts } from '../clean/author.js';
import { cleanTweet } from '../clean/clean-tweet.js';
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
  /** Column naming each row's author (default: sniffed, clean/author.ts). */
  readonly authorColumn?: string;
  /** Handles of the operator's accounts; default the built-in list. */
  readonly operatorAccounts?: ReadonlySet<string>;
  readonly onProgress?: (step: TrainStep) => void;
  /** One-line notes for the user (rows replaced by later files, unreviewed rows left out). */
  readonly note?: (line: string) => void;
}

/**
 * One row per text, the last one given: a correction or a reviewed row listed after the
 * original file replaces its label instead of training on both. Texts are compared as the
 * model sees them (cleaned), so a re-exported text with other spacing still matches.
 */
export function lastRowPerText<T extends { readonly text: string }>(rows: readonly T[]): { rows: T[]; replaced: number } {
  const byText = new Map<string, T>();
  for (const row of rows) {
    const key = cleanTweet(row.text).text;
    // Deleted first so the row takes the later position: the order is that of the last mention.
    byText.delete(key);
    byText.set(key, row);
  }
  return { rows: [...byText.values()], replaced: rows.length - byText.size };
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
  const read = [];
  let empty: FmcError | undefined;
  for (const path of csvPaths) {
    const onUnreviewed = (n: number): void => options.note?.(`${path}: ${n} rows without any gold_* value left out (not reviewed)`);
    try {
      read.push(...(await readLabeledFile(path, { textColumn: options.textColumn, authorColumn: options.authorColumn, onUnreviewed })));
    } catch (err) {
      // A week without corrections exports a header only, a review file may be unfilled yet:
      // beside other files that is nothing to learn from, not a reason to stop the retraining.
      if (!(err instanceof FmcError && err.code === 'FMC_ERR_INPUT_EMPTY') || csvPaths.length === 1) throw err;
      options.note?.(`${err.message}: skipped`);
      empty ??= err;
    }
  }
  if (read.length === 0 && empty) throw empty;
  const { rows, replaced } = lastRowPerText(read);
  if (replaced > 0) options.note?.(`${replaced} rows repeat a text given earlier: the later label wins`);
  const accounts = options.operatorAccounts ?? parseOperatorAccounts(undefined);
  const unlabeled: string[] = [];
  for (const path of options.unlabeled ?? []) unlabeled.push(...(await readTexts(path, options.textColumn)));
  const trained = await trainModels({
    rows: rows.map((r) => ({ text: r.text, labels: r.labels, ...(isOperatorAccount(r.author, accounts) ? { fromOperator: true } : {}) })),
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
