// `npm run bench cv` (or `node dist/test/bench/cross-validate.js [--errors field] [--dev]`):
// the decision loop for rules, features and the hybrid, on train + extra only. The text
// model's out-of-fold probabilities (5 folds, the trainer's own) do not depend on the rules,
// so they are computed once and kept in a cache file keyed by the data and the model code;
// after that a change to the rules or the combiner is measured in seconds: rules alone,
// model alone and hybrid, each cross-validated, and the hybrid's errors listed per field for
// reading. `--dev` also scores dev.csv (the full model's probabilities, cached the same way):
// to confirm a decision, never to make one.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isOperatorAccount, parseOperatorAccounts } from '../../src/clean/author.js';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { readLabeledFile } from '../../src/eval/read-labeled.js';
import { FIELD_VALUES, TRAINED_FIELDS, labelStrings, type TrainedField } from '../../src/labels.js';
import { fitIsotonic, rawScore } from '../../src/model/calibrate.js';
import { combineProbabilities, fitCombiner, loadCombiner } from '../../src/model/combiner.js';
import { hybridAnswer } from '../../src/model/model-answer.js';
import { allowedCombinations, decodeJointly, deriveForbiddenPairs, type FieldProbabilities } from '../../src/model/joint.js';
import { assignFolds } from '../../src/model/random.js';
import { RULE_SIGNALS, RULES_VERSION, viewByRules } from '../../src/model/rule-view.js';
import { softmaxRows } from '../../src/model/softmax-regression.js';
import { lastRowPerText, readTexts } from '../../src/model/train-dir.js';
import { DEFAULT_HYPER, fieldLogits, trainModels, type LabeledRow, type TrainHyper } from '../../src/model/train.js';
import type { CleanTweet } from '../../src/tiers/tier.js';
import { fixture } from '../helpers.js';

type Scores = Record<TrainedField, number>;
type Gold = Readonly<Record<TrainedField, string>>;

/** Variants measured by this script without editing train.ts: CV_L2 (combiner), CV_FIELD_L2 (every field model). */
const HYPER: TrainHyper = process.env.CV_FIELD_L2
  ? { ...DEFAULT_HYPER, fields: Object.fromEntries(TRAINED_FIELDS.map((f) => [f, { ...DEFAULT_HYPER.fields[f], l2: Number(process.env.CV_FIELD_L2) }])) as TrainHyper['fields'] }
  : DEFAULT_HYPER;

const here = dirname(fileURLToPath(import.meta.url));
const CACHE_DIR = join(tmpdir(), 'fmc-cv-cache');

/** The compiled files the text model's probabilities depend on (not the rules, not the combiner). */
function modelCodeDigest(): string {
  const h = createHash('sha256');
  for (const dir of [join(here, '..', '..', 'src', 'model'), join(here, '..', '..', 'src', 'clean')]) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.js')).sort()) {
      if (/^(combiner|rule-view|decide|calibrate|default-model|write-model|export-onnx|local-model|model-folder|manifest|train-dir|hub-labels)\.js$/.test(name)) continue;
      h.update(name).update(readFileSync(join(dir, name)));
    }
  }
  h.update(JSON.stringify(HYPER));
  return h.digest('hex').slice(0, 16);
}

async function readRows(name: string): Promise<LabeledRow[]> {
  const accounts = parseOperatorAccounts(undefined);
  return (await readLabeledFile(fixture(name))).map((r) => ({ text: r.text, labels: r.labels, ...(isOperatorAccount(r.author, accounts) ? { fromOperator: true } : {}) }));
}

interface ModelProbabilities {
  oof: number[][][];
  dev: number[][][];
}

const toPlain = (p: FieldProbabilities): number[][] => TRAINED_FIELDS.map((f) => Array.from(p[f]));
const fromPlain = (p: number[][]): FieldProbabilities => Object.fromEntries(TRAINED_FIELDS.map((f, d) => [f, Float64Array.from(p[d]!)])) as Record<TrainedField, Float64Array>;

/** Out-of-fold probabilities on `rows` and the full model's on `dev`, from the cache when the data and code match. */
async function modelProbabilities(rows: readonly LabeledRow[], dev: readonly LabeledRow[], seed: number): Promise<{ oof: FieldProbabilities[]; dev: FieldProbabilities[] }> {
  const unlabeled = await readTexts(fixture('tweets.csv'));
  const key = createHash('sha256')
    .update(modelCodeDigest())
    .update(JSON.stringify([seed, rows.map((r) => [r.text, r.labels]), dev.map((r) => r.text), unlabeled]))
    .digest('hex')
    .slice(0, 16);
  const path = join(CACHE_DIR, `probs-${key}.json`);
  if (!existsSync(path)) {
    process.stderr.write(`cv: training the text model (5 folds + full fit), cache ${path}\n`);
    const trained = await trainModels({ rows, unlabeled, seed, hyper: HYPER, onProgress: (s) => process.stderr.write(`  ${s.stage} ${s.done}/${s.total}\n`) });
    const tweets = dev.map((r) => cleanTweet(r.text));
    const probs = Object.fromEntries(TRAINED_FIELDS.map((f) => [f, softmaxRows(fieldLogits(trained.corpus, trained.models[f], tweets), FIELD_VALUES[f].length)])) as Record<TrainedField, Float64Array>;
    const devProbs = dev.map((_, i) => TRAINED_FIELDS.map((f) => {
      const c = FIELD_VALUES[f].length;
      return Array.from(probs[f].subarray(i * c, (i + 1) * c));
    }));
    const saved: ModelProbabilities = { oof: trained.oof!.map(toPlain), dev: devProbs };
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(path, JSON.stringify(saved));
  }
  const saved = JSON.parse(readFileSync(path, 'utf8')) as ModelProbabilities;
  return { oof: saved.oof.map(fromPlain), dev: saved.dev.map(fromPlain) };
}

const zero = (): Scores => ({ is_claim: 0, sentiment: 0, topic: 0, incident: 0, urgency: 0 });
const line = (s: Scores, n: number): string => TRAINED_FIELDS.map((f) => (s[f] / n).toFixed(3)).join(' ');
const tweetOf = (r: LabeledRow): CleanTweet => (r.fromOperator ? { ...cleanTweet(r.text), fromOperator: true } : cleanTweet(r.text));

function argmaxStrings(p: FieldProbabilities): Record<TrainedField, string> {
  return Object.fromEntries(TRAINED_FIELDS.map((f) => {
    const q = Array.from(p[f]);
    return [f, FIELD_VALUES[f][q.indexOf(Math.max(...q))]!];
  })) as Record<TrainedField, string>;
}

interface Outcome {
  readonly rules: Record<TrainedField, string>;
  readonly model: Record<TrainedField, string>;
  readonly hybrid: Record<TrainedField, string>;
  readonly confidence: number;
}

function score(gold: readonly Gold[], outcomes: readonly Outcome[]): { rules: string; model: string; hybrid: string; ece: number } {
  const hits = { rules: zero(), model: zero(), hybrid: zero() };
  let ece = 0;
  const bins = Array.from({ length: 10 }, () => ({ n: 0, conf: 0, right: 0 }));
  gold.forEach((g, i) => {
    const o = outcomes[i]!;
    for (const f of TRAINED_FIELDS) for (const k of ['rules', 'model', 'hybrid'] as const) if (o[k][f] === g[f]) hits[k][f]++;
    const bin = bins[Math.min(9, Math.floor(o.confidence * 10))]!;
    bin.n++;
    bin.conf += o.confidence;
    bin.right += TRAINED_FIELDS.every((f) => o.hybrid[f] === g[f]) ? 1 : 0;
  });
  for (const b of bins) if (b.n > 0) ece += (b.n / gold.length) * Math.abs(b.conf / b.n - b.right / b.n);
  return { rules: line(hits.rules, gold.length), model: line(hits.model, gold.length), hybrid: line(hits.hybrid, gold.length), ece };
}

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

export async function crossValidate(options: { dev?: boolean; errors?: string; seed?: number } = {}): Promise<Record<string, string>> {
  const seed = options.seed ?? 1;
  const { rows } = lastRowPerText([...(await readRows('train.csv')), ...(await readRows('extra.csv'))]);
  const dev = await readRows('dev.csv');
  const probs = await modelProbabilities(rows, dev, seed);
  const gold = rows.map((r) => r.labels);
  const tweets = rows.map(tweetOf);
  const views = tweets.map((t) => viewByRules(t));
  const combinations = allowedCombinations(deriveForbiddenPairs(gold));
  const training = { signals: RULE_SIGNALS, rulesVersion: RULES_VERSION, l2: Number(process.env.CV_L2 ?? HYPER.combinerL2) };
  const folds = assignFolds(gold.map((g) => g.topic), HYPER.folds, seed);
  const outcomes: Outcome[] = new Array(rows.length);
  const oofScore: number[] = [];
  const oofRight: number[] = [];
  for (let fold = 0; fold < HYPER.folds; fold++) {
    const pick = <T>(xs: readonly T[]): T[] => xs.filter((_, i) => folds[i] !== fold);
    const combiner = loadCombiner(fitCombiner({ ...training, model: pick(probs.oof), views: pick(views), tweets: pick(tweets), gold: pick(gold) }), RULE_SIGNALS);
    rows.forEach((_, i) => {
      if (folds[i] !== fold) return;
      const answer = hybridAnswer(combiner, combinations, probs.oof[i]!, views[i]!, tweets[i]!);
      const combined = combineProbabilities(combiner, probs.oof[i]!, views[i]!, tweets[i]!);
      oofScore.push(rawScore(combined, decodeJointly(combined, combinations)));
      oofRight.push(TRAINED_FIELDS.every((f) => labelStrings(answer)[f] === gold[i]![f]) ? 1 : 0);
      outcomes[i] = { rules: labelStrings(views[i]!.labels), model: argmaxStrings(probs.oof[i]!), hybrid: labelStrings(answer), confidence: answer.confidence };
    });
  }
  const cv = score(gold, outcomes);
  const out: Record<string, string> = {
    'train + extra rows': String(rows.length),
    'CV rules alone': cv.rules,
    'CV model alone (argmax)': cv.model,
    'CV hybrid': cv.hybrid,
  };
  if (options.errors) {
    const field = options.errors as TrainedField;
    const lines = rows
      .map((r, i) => ({ r, o: outcomes[i]! }))
      .filter(({ r, o }) => o.hybrid[field] !== r.labels[field])
      .map(({ r, o }) => `${r.labels[field]} <- hyb ${o.hybrid[field]} | rules ${o.rules[field]} model ${o.model[field]} | gold ${TRAINED_FIELDS.map((f) => r.labels[f]).join('/')} | ${r.fromOperator ? '[op] ' : ''}${r.text}`)
      .sort();
    const file = join(CACHE_DIR, `errors-${field}.txt`);
    writeFileSync(file, lines.join('\n') + '\n');
    out[`errors (${field})`] = `${lines.length} in ${file}`;
  }
  if (options.dev) {
    // The shipped setting: the combiner fitted on every out-of-fold row, calibrated on the CV's.
    const combiner = loadCombiner({ ...fitCombiner({ ...training, model: probs.oof, views, tweets, gold }), calibration: fitIsotonic(oofScore, oofRight) }, RULE_SIGNALS);
    const devTweets = dev.map(tweetOf);
    const devOutcomes = dev.map((_, i) => {
      const view = viewByRules(devTweets[i]!);
      const answer = hybridAnswer(combiner, combinations, probs.dev[i]!, view, devTweets[i]!);
      return { rules: labelStrings(view.labels), model: argmaxStrings(probs.dev[i]!), hybrid: labelStrings(answer), confidence: answer.confidence };
    });
    const d = score(dev.map((r) => r.labels), devOutcomes);
    out['dev rules alone'] = d.rules;
    out['dev model alone (argmax)'] = d.model;
    out['dev hybrid'] = d.hybrid;
    out['dev hybrid ECE'] = d.ece.toFixed(3);
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await crossValidate({ dev: args.includes('--dev'), errors: flag('--errors'), seed: Number(flag('--seed') ?? 1) });
  process.stdout.write(`fields: ${TRAINED_FIELDS.join(' ')}\n`);
  for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(28)} ${v}\n`);
}
