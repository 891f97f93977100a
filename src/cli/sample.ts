import { stringify } from 'csv-stringify/sync';
import { cleanTweet } from '../clean/clean-tweet.js';
import { atPosition, FmcError } from '../errors.js';
import { FIELD_VALUES, labelStrings, TRAINED_FIELDS, type TrainedField } from '../labels.js';
import { openTweetSource } from '../pipeline/read.js';
import { reasonFor, selectSample, STRATEGIES, type Candidate, type Strategy } from '../sample/select.js';
import { createRulesTier } from '../tiers/rules.js';
import { checkOutputTarget } from '../pipeline/output-file.js';
import { writeFileAtomic } from './atomic-write.js';
import { checkDistinctPaths } from './path-guard.js';
import { processIO, type CommandIO } from './command-io.js';

export interface SampleOptions {
  count: number;
  strategy?: string;
  output?: string;
  seed?: number;
  textColumn?: string;
}

/** Columns added after the input's: why the row was picked, then one empty gold cell per field `fmc train` learns. */
export const REVIEW_COLUMNS = ['review_reason', ...TRAINED_FIELDS.map((f) => `gold_${f}`)] as const;

interface ClassifiedRow {
  readonly values: readonly unknown[];
  readonly text: string;
  readonly candidate: Candidate;
}

/** The rows of a file written by `fmc classify`: its text, the labels a review can correct for training, its confidence. */
async function readClassified(path: string, textColumn: string | undefined): Promise<{ columns: readonly string[]; rows: ClassifiedRow[] }> {
  const source = await openTweetSource({ path }, { textColumn });
  const lower = source.columns.map((c) => c.trim().toLowerCase());
  const needed = [...TRAINED_FIELDS, 'confidence'];
  const missing = needed.filter((c) => !lower.includes(c));
  if (missing.length > 0) {
    throw new FmcError('FMC_ERR_LABELS', `${atPosition(path, 1)}: no ${missing.join(', ')} column${missing.length > 1 ? 's' : ''}; fmc sample reads a file labeled by fmc classify (run \`fmc classify ${path} -o labeled.csv\` first)`);
  }
  const at = Object.fromEntries(needed.map((c) => [c, lower.indexOf(c)])) as Record<string, number>;
  const rows: ClassifiedRow[] = [];
  for await (const row of source.rows) {
    const predicted = {} as Record<TrainedField, string>;
    for (const field of TRAINED_FIELDS) {
      const value = String(row.values[at[field]!] ?? '').trim().toLowerCase();
      if (!FIELD_VALUES[field].includes(value)) {
        throw new FmcError('FMC_ERR_LABELS', `${atPosition(path, row.line, at[field]! + 1)}: ${field} "${value.slice(0, 40)}" is not one of ${FIELD_VALUES[field].join(', ')}`);
      }
      predicted[field] = value;
    }
    const confidence = Number(row.values[at.confidence!]);
    if (String(row.values[at.confidence!] ?? '').trim() === '' || !(confidence >= 0 && confidence <= 1)) {
      throw new FmcError('FMC_ERR_LABELS', `${atPosition(path, row.line, at.confidence! + 1)}: confidence "${String(row.values[at.confidence!]).slice(0, 20)}" is not a number between 0 and 1`);
    }
    rows.push({ values: row.values, text: row.text, candidate: { key: cleanTweet(row.text).text, predicted, confidence } });
  }
  if (rows.length === 0) throw new FmcError('FMC_ERR_INPUT_EMPTY', `${path}: header only, no rows to sample`);
  return { columns: source.columns, rows };
}

/** The rules' labels for every row: what the disagreement strategy compares with. */
async function withRulesOpinion(rows: readonly ClassifiedRow[]): Promise<ClassifiedRow[]> {
  const rules = createRulesTier();
  const answers = await rules.classify(rows.map((r, i) => ({ id: String(i), tweet: cleanTweet(r.text) })), new AbortController().signal);
  return rows.map((r, i) => {
    const theirs = labelStrings(answers.get(String(i))!);
    const disagreeing = TRAINED_FIELDS.filter((f) => theirs[f] !== r.candidate.predicted[f]);
    return { ...r, candidate: { ...r.candidate, disagreeing } };
  });
}

const cell = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/**
 * `fmc sample <classified> -n N --strategy … -o review.csv`: the N rows most worth a human
 * look, one per distinct text, with the predicted labels as suggestions and empty gold_*
 * columns; `fmc train` reads the filled file back (gold cells win).
 */
export async function sample(input: string, options: SampleOptions, io: CommandIO = processIO()): Promise<number> {
  const strategy = (options.strategy ?? 'uncertain') as Strategy;
  if (!STRATEGIES.includes(strategy)) throw new FmcError('FMC_ERR_USAGE', `--strategy ${strategy}: choose one of ${STRATEGIES.join(', ')}`);
  if (!Number.isInteger(options.count) || options.count < 1) throw new FmcError('FMC_ERR_USAGE', `-n ${options.count}: ask for at least 1 row to review`);
  if (!options.output) throw new FmcError('FMC_ERR_USAGE', 'sample needs -o <review.csv> (or -o - for stdout)');
  // Before a row is read: never over the input, through symlinks and hard links too.
  checkDistinctPaths([
    { flag: 'input', path: input, writes: false },
    { flag: '-o', path: options.output, writes: true },
  ]);
  if (options.output !== '-') await checkOutputTarget(options.output);
  const read = await readClassified(input, options.textColumn);
  const rows = strategy === 'disagreement' ? await withRulesOpinion(read.rows) : read.rows;
  const picked = selectSample(rows.map((r) => r.candidate), { n: options.count, strategy, seed: options.seed });
  const csv = stringify([
    [...read.columns, ...REVIEW_COLUMNS],
    ...picked.map((i) => [...read.columns.map((_, c) => cell(rows[i]!.values[c])), reasonFor(rows[i]!.candidate, strategy), ...TRAINED_FIELDS.map(() => '')]),
  ]);
  if (options.output === '-') io.stdout.write(csv);
  else {
    await writeFileAtomic(options.output, csv, '-o');
    io.stderr.write(`wrote ${picked.length} rows to review (${strategy}, of ${rows.length} rows) to ${options.output}; fill the gold_* columns, then: fmc train <labeled.csv> ${options.output} --out <dir>\n`);
  }
  return 0;
}
