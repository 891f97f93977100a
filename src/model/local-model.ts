// Runs a model set (model-folder.ts) through Transformers.js: one ONNX session per field,
// loaded with AutoModelForSequenceClassification from its folder, all fed the same tensors
// from one tokenization per batch. Used by the model tier and the offline hybrid.

import { AutoModelForSequenceClassification, AutoTokenizer, env, pipeline, Tensor, type PreTrainedModel } from '@huggingface/transformers';
import { FmcError } from '../errors.js';
import { FIELD_VALUES, TRAINED_FIELDS, SENTIMENTS, type TrainedField } from '../labels.js';
import { combinerOf, forbiddenOf } from './manifest.js';
import { createEncoder } from './encode.js';
import { sentimentFromHubScores, unmappedHubLabels } from './hub-labels.js';
import type { CombinerJson } from './combiner.js';
import type { ForbiddenPair } from './joint.js';
import { modelError, readModelSet, type FieldFolder } from './model-folder.js';
import { tokenizerJson } from './tokenizer-files.js';
import { trainedTextSetOf } from './trained-texts.js';
import { PAD_ID } from './wordpiece.js';

export interface LocalModelOptions {
  readonly modelDir: string;
  /** Let Transformers.js fetch `hubModel` from the Hugging Face hub. Default false. */
  readonly allowRemote?: boolean;
  /** A hub sentiment classifier that replaces the sentiment folder (needs allowRemote). */
  readonly hubModel?: string;
}

/** Per field, [texts][classes] probabilities in FIELD_VALUES order. */
export type BatchProbabilities = Readonly<Record<TrainedField, Float64Array>>;

export interface LocalModel {
  readonly dir: string;
  /** Model id + content hash (+ hub model): the cache key part. */
  readonly version: string;
  readonly forbidden: readonly ForbiddenPair[] | undefined;
  readonly combiner: CombinerJson | undefined;
  /** Keys (trained-texts.ts) of the labeled texts the model was trained on, when recorded. */
  readonly trainedTexts: ReadonlySet<string> | undefined;
  /** Whether tokenizing uses the fast encoder (our own tokenizer.json) or Transformers.js. */
  readonly fastTokenizer: boolean;
  predict(texts: readonly string[]): Promise<BatchProbabilities>;
  close(): Promise<void>;
}

type Tokenize = (texts: readonly string[]) => Promise<{ ids: BigInt64Array; mask: BigInt64Array; length: number }>;

/** Vocabulary by id from a WordPiece tokenizer.json, if the file is exactly the form we write. */
function ourVocab(tokenizer: Readonly<Record<string, unknown>>): string[] | undefined {
  const model = tokenizer.model as { type?: unknown; vocab?: unknown } | undefined;
  if (model?.type !== 'WordPiece' || typeof model.vocab !== 'object' || model.vocab === null) return undefined;
  const vocab: string[] = [];
  for (const [token, id] of Object.entries(model.vocab as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || vocab[id] !== undefined) return undefined;
    vocab[id] = token;
  }
  if (vocab.some((t) => t === undefined) || vocab.length === 0) return undefined;
  return JSON.stringify(tokenizerJson(vocab)) === JSON.stringify(tokenizer) ? vocab : undefined;
}

function padded(rows: readonly (readonly number[])[], padId: number): { ids: BigInt64Array; mask: BigInt64Array; length: number } {
  const length = Math.max(1, ...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * length).fill(BigInt(padId));
  const mask = new BigInt64Array(rows.length * length);
  rows.forEach((row, i) => {
    for (let t = 0; t < row.length; t++) {
      ids[i * length + t] = BigInt(row[t]!);
      mask[i * length + t] = 1n;
    }
  });
  return { ids, mask, length };
}

async function tokenizerFor(folder: FieldFolder): Promise<{ tokenize: Tokenize; fast: boolean }> {
  const vocab = ourVocab(folder.tokenizer);
  if (vocab) {
    const encoder = createEncoder(vocab);
    return { fast: true, tokenize: async (texts) => padded(texts.map((t) => encoder.encode(t)), PAD_ID) };
  }
  // Any other tokenizer: Transformers.js' own, as the bare pipeline would use it.
  const tokenizer = await AutoTokenizer.from_pretrained(folder.dir, { local_files_only: true });
  return {
    fast: false,
    tokenize: async (texts) => {
      const rows = texts.map((t) => tokenizer.encode(t));
      return padded(rows, Number(tokenizer.pad_token_id ?? 0));
    },
  };
}

async function loadSession(folder: FieldFolder): Promise<PreTrainedModel> {
  try {
    return await AutoModelForSequenceClassification.from_pretrained(folder.dir, {
      config: folder.config as never,
      dtype: 'fp32',
      device: 'cpu',
      local_files_only: true,
    });
  } catch (err) {
    throw modelError(folder.dir, `onnx/model.onnx cannot be loaded (${(err as Error).message})`);
  }
}

function softmaxInto(logits: Float32Array, rows: number, classes: number): Float64Array {
  const out = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[r * classes + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[r * classes + c] = Math.exp(logits[r * classes + c]! - max);
    for (let c = 0; c < classes; c++) out[r * classes + c]! /= sum;
  }
  return out;
}

/** Loads and validates the folders, opens the sessions, and checks each on a probe batch. */
export async function loadLocalModel(options: LocalModelOptions): Promise<LocalModel> {
  // Transformers.js settings are process-wide: local folders only, unless asked otherwise.
  env.allowLocalModels = true;
  env.allowRemoteModels = options.allowRemote === true;
  if (options.hubModel && !options.allowRemote) {
    throw new FmcError('FMC_ERR_MODEL', `hub model ${options.hubModel} needs --allow-remote (network access to the Hugging Face hub)`);
  }
  const set = readModelSet(options.modelDir);
  const folders = TRAINED_FIELDS.map((f) => set.fields[f]);
  // Fields with the same tokenizer share one tokenization per batch.
  const tokenizers = new Map<string, { tokenize: Tokenize; fast: boolean }>();
  const tokenizerOf: Tokenize[] = [];
  for (const folder of folders) {
    const key = JSON.stringify(folder.tokenizer) + JSON.stringify(folder.tokenizerConfig);
    let t = tokenizers.get(key);
    if (!t) tokenizers.set(key, (t = await tokenizerFor(folder)));
    tokenizerOf.push(t.tokenize);
  }
  const sessions = await Promise.all(folders.map(loadSession));
  const hub = options.hubModel ? await loadHubSentiment(options.hubModel) : undefined;

  async function predict(texts: readonly string[]): Promise<BatchProbabilities> {
    const out = {} as Record<TrainedField, Float64Array>;
    const encoded = new Map<Tokenize, { ids: BigInt64Array; mask: BigInt64Array; length: number }>();
    for (let d = 0; d < folders.length; d++) {
      const folder = folders[d]!;
      const field = folder.field;
      if (field === 'sentiment' && hub) {
        out[field] = await hub(texts);
        continue;
      }
      const tokenize = tokenizerOf[d]!;
      let batch = encoded.get(tokenize);
      if (!batch) encoded.set(tokenize, (batch = await tokenize(texts)));
      const dims = [texts.length, batch.length];
      const result: unknown = await sessions[d]!.forward({
        input_ids: new Tensor('int64', batch.ids, dims),
        attention_mask: new Tensor('int64', batch.mask, dims),
        token_type_ids: new Tensor('int64', new BigInt64Array(batch.ids.length), dims),
      });
      const logits = (result as { logits?: unknown }).logits;
      const classes = folder.labels.length;
      if (!(logits instanceof Tensor) || !(logits.data instanceof Float32Array) || logits.data.length !== texts.length * classes) {
        throw modelError(folder.dir, `onnx/model.onnx does not output logits [batch, ${classes}]`);
      }
      // Reorder columns from the folder's id2label order to the taxonomy's.
      const probs = softmaxInto(logits.data, texts.length, classes);
      const order = FIELD_VALUES[field].map((v) => folder.labels.indexOf(v));
      const ordered = new Float64Array(probs.length);
      for (let r = 0; r < texts.length; r++) order.forEach((from, to) => (ordered[r * classes + to] = probs[r * classes + from]!));
      out[field] = ordered;
    }
    return out;
  }

  // A probe batch: a graph that loads but computes the wrong shape fails here, at start-up.
  await predict(['test']);
  return {
    dir: options.modelDir,
    version: set.version + (options.hubModel ? `+${options.hubModel}` : ''),
    forbidden: forbiddenOf(set.manifest),
    combiner: combinerOf(set.manifest),
    trainedTexts: trainedTextSetOf(set.manifest),
    fastTokenizer: [...tokenizers.values()].every((t) => t.fast),
    predict,
    async close() {
      await Promise.all(sessions.map((s) => s.dispose()));
    },
  };
}

/** A hub text-classification model whose labels map onto sentiment (hub-labels.ts). */
async function loadHubSentiment(model: string): Promise<(texts: readonly string[]) => Promise<Float64Array>> {
  let classify;
  try {
    classify = await pipeline('text-classification', model);
  } catch (err) {
    throw new FmcError('FMC_ERR_MODEL', `hub model ${model} cannot be loaded (${(err as Error).message.replace(/\s+/g, ' ')})`);
  }
  const id2label = (classify.model.config as { id2label?: Record<string, string> }).id2label ?? {};
  const unmapped = unmappedHubLabels(Object.values(id2label));
  if (unmapped.length > 0) throw new FmcError('FMC_ERR_MODEL', `hub model ${model} has labels fmc cannot map to sentiment: ${unmapped.join(', ')}`);
  return async (texts) => {
    const out = new Float64Array(texts.length * SENTIMENTS.length);
    for (let i = 0; i < texts.length; i++) {
      const scores = (await classify(texts[i]!, { top_k: null })) as { label: string; score: number }[];
      out.set(sentimentFromHubScores(scores), i * SENTIMENTS.length);
    }
    return out;
  };
}
