import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { readLabeledFile } from '../../src/eval/read-labeled.js';
import { FIELD_VALUES, TRAINED_FIELDS } from '../../src/labels.js';
import { featurizeTexts } from '../../src/model/corpus.js';
import { symmetricEigen } from '../../src/model/embeddings.js';
import { loadLocalModel } from '../../src/model/local-model.js';
import { predictLogits, softmaxRows } from '../../src/model/softmax-regression.js';
import { DEFAULT_HYPER, fieldLogits, trainModels, type TrainedModels } from '../../src/model/train.js';
import { readTexts } from '../../src/model/train-dir.js';
import { writeModelFolders } from '../../src/model/write-model.js';
import { fixture, tempDir } from '../helpers.js';

// The optional dense features (hyper.corpus.dense, embeddings.ts): learned from unlabeled
// text, folded into the token table, so the exported graph must give the JS model's output.

let dir: string;
let cleanup: () => void;
let trained: TrainedModels;

before(async () => {
  ({ dir, cleanup } = tempDir());
  const rows = (await readLabeledFile(fixture('train.csv'))).slice(0, 300).map((r) => ({ text: r.text, labels: r.labels }));
  const unlabeled = (await readTexts(fixture('tweets.csv'))).slice(0, 1500);
  const dense = { dim: 24, window: 4, weight: 0.3, eigenPower: 0, sif: 1e-3 };
  trained = await trainModels({ rows, unlabeled, hybrid: false, threads: 1, hyper: { ...DEFAULT_HYPER, corpus: { ...DEFAULT_HYPER.corpus, dense } } });
  writeModelFolders(join(dir, 'model'), trained);
});
after(() => cleanup());

test('the dense features are scaled to the asked mean squared norm and weigh in the model', () => {
  const dense = trained.corpus.dense!;
  assert.ok(dense, 'corpus has a dense branch');
  const { dim } = dense.options;
  let sum = 0;
  for (const v of dense.x) sum += v * v;
  assert.ok(Math.abs(sum / trained.report.rows - 0.3) < 1e-9);
  for (const field of TRAINED_FIELDS) {
    const w = trained.models[field].dense!;
    assert.equal(w.length, dim * FIELD_VALUES[field].length);
    assert.ok(w.some((v) => Math.abs(v) > 1e-3), `${field} dense weights`);
  }
});

test('the exported folders compute the JS model, dense part included', async () => {
  const dev = (await readLabeledFile(fixture('dev.csv'))).slice(0, 60).map((r) => cleanTweet(r.text));
  const model = await loadLocalModel({ modelDir: join(dir, 'model') });
  try {
    const onnx = await model.predict(dev.map((t) => t.text));
    for (const field of TRAINED_FIELDS) {
      const m = trained.models[field];
      const js = softmaxRows(fieldLogits(trained.corpus, m, dev), m.classes);
      const sparseOnly = softmaxRows(predictLogits(m, featurizeTexts(trained.corpus, dev)), m.classes);
      let maxDiff = 0;
      let denseShare = 0;
      for (let i = 0; i < js.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(js[i]! - onnx[field][i]!));
        denseShare = Math.max(denseShare, Math.abs(js[i]! - sparseOnly[i]!));
      }
      assert.ok(maxDiff < 1e-4, `${field}: ONNX and JS differ by ${maxDiff}`);
      assert.ok(denseShare > 1e-3, `${field}: the dense part changes no probability`);
    }
  } finally {
    await model.close();
  }
});

test('symmetricEigen returns descending eigenpairs that rebuild the matrix', () => {
  const k = 4;
  const a = Float64Array.from([4, 1, 0, 2, 1, 3, 1, 0, 0, 1, 2, 1, 2, 0, 1, 5]);
  const { values, vectors } = symmetricEigen(a, k);
  for (let i = 1; i < k; i++) assert.ok(values[i - 1]! >= values[i]!);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += vectors[r * k + j]! * values[j]! * vectors[c * k + j]!;
      assert.ok(Math.abs(s - a[r * k + c]!) < 1e-9);
    }
  }
});
