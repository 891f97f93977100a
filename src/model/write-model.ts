// Turns trained models into a model set on disk: folded tables -> ONNX per field, the shared
// tokenizer files, config.json per field, and fmc-model.json.

import { TRAINED_FIELDS, type TrainedField } from '../labels.js';
import { exportClassifierOnnx } from './export-onnx.js';
import { foldTables } from './features.js';
import { MODEL_ID, type Manifest } from './manifest.js';
import { fieldConfig, writeModelSet, type FieldFiles } from './model-folder.js';
import { tokenizerConfigJson, tokenizerJson } from './tokenizer-files.js';
import type { TrainedModels } from './train.js';
import { trainedTextsOf } from './trained-texts.js';

/** The files of each field folder, in memory (tests compare them; writeModelFolders saves them). */
export function modelFiles(trained: TrainedModels): Record<TrainedField, FieldFiles> {
  const { corpus } = trained;
  const tokenizer = tokenizerJson(corpus.vocab);
  const tokenizerConfig = tokenizerConfigJson();
  const files = {} as Record<TrainedField, FieldFiles>;
  for (const field of TRAINED_FIELDS) {
    const model = trained.models[field];
    const dense = corpus.dense && model.dense ? { dim: corpus.dense.options.dim, table: corpus.dense.table, weights: model.dense } : undefined;
    const tables = foldTables(corpus.space, corpus.idf, model.weights, model.classes, dense);
    const onnx = exportClassifierOnnx({
      classes: model.classes,
      vocabSize: corpus.vocab.length,
      tokenTable: tables.tokens,
      buckets: corpus.space.options.buckets,
      bucketTable: tables.buckets,
      bias: model.bias,
      docString: `fmc ${field} classifier: linear model over WordPiece tokens, their character n-grams and hashed token pairs`,
    });
    const extra = { model: MODEL_ID, buckets: corpus.space.options.buckets, ngrams: [corpus.space.options.minN, corpus.space.options.maxN], ...(dense ? { dense: dense.dim } : {}) };
    files[field] = { config: fieldConfig(field, corpus.vocab.length, extra), tokenizer, tokenizerConfig, onnx };
  }
  return files;
}

export function manifestOf(trained: TrainedModels): Manifest {
  const { seconds: _seconds, ...report } = trained.report;
  return {
    id: MODEL_ID,
    report,
    hyper: trained.hyper,
    forbidden: trained.forbidden,
    ...(trained.combiner ? { combiner: trained.combiner } : {}),
    trainedTexts: trainedTextsOf(trained.texts),
  };
}

/** Writes the model set into `dir` (replacing it atomically). */
export function writeModelFolders(dir: string, trained: TrainedModels): void {
  writeModelSet(dir, { ...manifestOf(trained) }, modelFiles(trained));
}
