// `npm run bench accuracy`: what the offline tier gets right on fixtures/dev.csv, which it
// never trains on. The learning curve trains in-process on growing random subsets of
// train.csv + extra.csv and scores the model alone and the model + rules hybrid on dev; the
// provider table runs `fmc eval` as users do, with the built-in model trained on first use.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { isOperatorAccount, parseOperatorAccounts } from '../../src/clean/author.js';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { readLabeledFile } from '../../src/eval/read-labeled.js';
import { FIELD_VALUES, TRAINED_FIELDS, labelStrings, type TrainedField } from '../../src/labels.js';
import { loadCombiner } from '../../src/model/combiner.js';
import { hybridAnswer, modelAnswer, rowOf } from '../../src/model/model-answer.js';
import { allowedCombinations } from '../../src/model/joint.js';
import { seededRandom } from '../../src/model/random.js';
import { RULE_SIGNALS, viewByRules } from '../../src/model/rule-view.js';
import { softmaxRows } from '../../src/model/softmax-regression.js';
import { readTexts } from '../../src/model/train-dir.js';
import { fieldLogits, trainModels, type LabeledRow } from '../../src/model/train.js';
import { fixture, repoRoot } from '../helpers.js';

type Scores = Record<TrainedField, number>;

const SIZES = [300, 600, 1200, 2400] as const;

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Trains on `rows` and scores the model alone and the hybrid on `dev`, all in this process. */
async function scoreOnDev(rows: readonly LabeledRow[], unlabeled: readonly string[], dev: readonly LabeledRow[]): Promise<{ model: Scores; hybrid: Scores; seconds: number }> {
  const trained = await trainModels({ rows, unlabeled });
  const tweets = dev.map((r) => (r.fromOperator ? { ...cleanTweet(r.text), fromOperator: true } : cleanTweet(r.text)));
  const probs = Object.fromEntries(TRAINED_FIELDS.map((f) => [f, softmaxRows(fieldLogits(trained.corpus, trained.models[f], tweets), FIELD_VALUES[f].length)])) as Record<TrainedField, Float64Array>;
  const combinations = allowedCombinations(trained.forbidden);
  const combiner = loadCombiner(trained.combiner!, RULE_SIGNALS);
  const hits = { model: zero(), hybrid: zero() };
  dev.forEach((row, i) => {
    const p = rowOf(probs, i);
    const model = labelStrings(modelAnswer(p, combinations));
    const hybrid = labelStrings(hybridAnswer(combiner, combinations, p, viewByRules(tweets[i]!), tweets[i]!));
    for (const f of TRAINED_FIELDS) {
      if (model[f] === row.labels[f]) hits.model[f]++;
      if (hybrid[f] === row.labels[f]) hits.hybrid[f]++;
    }
  });
  const rate = (h: Scores): Scores => Object.fromEntries(TRAINED_FIELDS.map((f) => [f, h[f] / dev.length])) as Scores;
  return { model: rate(hits.model), hybrid: rate(hits.hybrid), seconds: trained.report.seconds };
}

function zero(): Scores {
  return { is_claim: 0, sentiment: 0, topic: 0, incident: 0, urgency: 0 };
}

const fields = (s: Scores): string => TRAINED_FIELDS.map((f) => s[f].toFixed(3)).join(' / ');

/**
 * Labeled rows -> dev accuracy per field (is_claim / sentiment / topic / incident / urgency).
 * The last point, every labeled row, is the built-in model: `benchProviders` measures it.
 */
export async function benchLearningCurve(): Promise<Record<string, string>> {
  const accounts = parseOperatorAccounts(undefined);
  const read = async (name: string): Promise<LabeledRow[]> =>
    (await readLabeledFile(fixture(name))).map((r) => ({ text: r.text, labels: r.labels, fromOperator: isOperatorAccount(r.author, accounts) }));
  const labeled = [...(await read('train.csv')), ...(await read('extra.csv'))];
  const dev = await read('dev.csv');
  const unlabeled = await readTexts(fixture('tweets.csv'));
  // One shuffle, nested subsets: each point adds rows to the one before.
  const pool = shuffled(labeled, 1);
  const out: Record<string, string> = {};
  for (const size of SIZES) {
    const r = await scoreOnDev(pool.slice(0, size), unlabeled, dev);
    out[`${size} labels: hybrid`] = fields(r.hybrid);
    out[`${size} labels: model alone`] = fields(r.model);
    out[`${size} labels: training s`] = r.seconds.toFixed(1);
  }
  return out;
}

interface EvalJson {
  fields: { field: TrainedField; accuracy: number }[];
  ece: number;
}

/** `fmc eval fixtures/dev.csv` per provider, the built-in model trained into `dir` on first use. */
export function benchProviders(dir: string): Record<string, string | number> {
  const env = { ...process.env, XDG_CACHE_HOME: join(dir, 'xdg'), FMC_CACHE: join(dir, 'eval-cache.sqlite'), GEMINI_API_KEY: '', OLLAMA_HOST: 'http://127.0.0.1:9' };
  const run = (args: string[]): { json: EvalJson; seconds: number } => {
    const start = performance.now();
    const child = spawnSync(process.execPath, [join(repoRoot, 'bin', 'fmc.js'), 'eval', fixture('dev.csv'), '--no-cache', '--json', ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (child.status !== 0) throw new Error(`fmc eval ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
    return { json: JSON.parse(child.stdout) as EvalJson, seconds: (performance.now() - start) / 1000 };
  };
  const out: Record<string, string | number> = {};
  // auto first: it trains the built-in model, so its time is the first run's.
  for (const [name, args] of [['auto (model + rules)', []], ['model (model alone)', ['--provider', 'model']], ['rules', ['--provider', 'rules']]] as const) {
    const { json, seconds } = run([...args]);
    const acc = Object.fromEntries(json.fields.map((f) => [f.field, f.accuracy])) as Scores;
    out[`${name}: accuracy`] = fields(acc);
    out[`${name}: ECE`] = Number(json.ece.toFixed(3));
    if (name.startsWith('auto')) out['first fmc eval, incl. training the built-in model on 3,164 rows, s'] = Number(seconds.toFixed(1));
  }
  return out;
}
