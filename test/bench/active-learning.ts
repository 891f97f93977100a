// `npm run bench active-learning`: the review loop of `fmc sample` simulated on labeled data.
// The pool is fixtures/train.csv + fixtures/extra.csv (their labels stand in for the
// reviewer), dev.csv is held out. Both strategies start from the same 300 random rows; each
// round trains the model, labels the rest of the pool, and `selectSample` (the function
// `fmc sample` runs) picks 200 more for "review". The model is trained without the hybrid
// combiner and without the dense features (a fast setting: ~1-4 s per fit here instead of
// ~30 s): the curves compare strategies, not the shipped model's level.
import { readLabeledFile } from '../../src/eval/read-labeled.js';
import { FIELD_VALUES, TRAINED_FIELDS, labelStrings, type TrainedField } from '../../src/labels.js';
import { modelAnswer, rowOf } from '../../src/model/model-answer.js';
import { allowedCombinations } from '../../src/model/joint.js';
import { seededRandom } from '../../src/model/random.js';
import { DEFAULT_HYPER, fieldLogits, trainModels, type LabeledRow, type TrainHyper } from '../../src/model/train.js';
import { softmaxRows } from '../../src/model/softmax-regression.js';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { selectSample, type Candidate, type Strategy } from '../../src/sample/select.js';
import { fixture } from '../helpers.js';

const FAST: TrainHyper = { ...DEFAULT_HYPER, corpus: { ...DEFAULT_HYPER.corpus, dense: undefined } };

export interface CurvePoint {
  readonly labels: number;
  /** Mean accuracy over the five fields on dev, and each field's. */
  readonly mean: number;
  readonly fields: Readonly<Record<TrainedField, number>>;
}

async function predict(rows: readonly LabeledRow[], texts: readonly string[]) {
  const trained = await trainModels({ rows, hybrid: false, hyper: FAST, threads: 1 });
  const tweets = texts.map((t) => cleanTweet(t));
  const probs = Object.fromEntries(TRAINED_FIELDS.map((f) => [f, softmaxRows(fieldLogits(trained.corpus, trained.models[f], tweets), FIELD_VALUES[f].length)])) as Record<TrainedField, Float64Array>;
  const combinations = allowedCombinations(trained.forbidden);
  return tweets.map((_, i) => modelAnswer(rowOf(probs, i), combinations));
}

export async function benchActiveLearning(options: { start?: number; step?: number; rounds?: number; seed?: number } = {}): Promise<Record<Strategy, CurvePoint[]>> {
  const start = options.start ?? 300;
  const step = options.step ?? 200;
  const rounds = options.rounds ?? 8;
  const pool: LabeledRow[] = [];
  for (const file of ['train.csv', 'extra.csv']) for (const r of await readLabeledFile(fixture(file))) pool.push({ text: r.text, labels: r.labels });
  const dev = await readLabeledFile(fixture('dev.csv'));
  const random = seededRandom(options.seed ?? 1);
  const order = pool.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const curves = {} as Record<Strategy, CurvePoint[]>;
  for (const strategy of ['uncertain', 'random'] as const) {
    const labeled = new Set(order.slice(0, start));
    const curve: CurvePoint[] = [];
    for (let round = 0; round <= rounds; round++) {
      const rows = [...labeled].map((i) => pool[i]!);
      const rest = pool.map((_, i) => i).filter((i) => !labeled.has(i));
      const answers = await predict(rows, [...dev.map((d) => d.text), ...rest.map((i) => pool[i]!.text)]);
      const fields = Object.fromEntries(TRAINED_FIELDS.map((f) => [f, dev.filter((d, i) => labelStrings(answers[i]!)[f] === d.labels[f]).length / dev.length])) as Record<TrainedField, number>;
      const mean = TRAINED_FIELDS.reduce((a, f) => a + fields[f], 0) / TRAINED_FIELDS.length;
      curve.push({ labels: labeled.size, mean, fields });
      process.stderr.write(`  active-learning ${strategy} ${labeled.size} labels: mean ${mean.toFixed(3)} ${TRAINED_FIELDS.map((f) => fields[f].toFixed(3)).join(' ')}\n`);
      if (round === rounds) break;
      const candidates: Candidate[] = rest.map((i, k) => ({ key: String(i), predicted: labelStrings(answers[dev.length + k]!), confidence: answers[dev.length + k]!.confidence }));
      for (const k of selectSample(candidates, { n: step, strategy, seed: round + 1 })) labeled.add(rest[k]!);
    }
    curves[strategy] = curve;
  }
  return curves;
}
