// The local model tier: the five field classifiers of a model set (src/model/), run through
// Transformers.js and ONNX Runtime on the CPU. Never touches the network unless
// `allowRemote` (and then only for `hubModel`).

import { allowedCombinations } from '../model/joint.js';
import { modelAnswer, rowOf } from '../model/model-answer.js';
import { loadLocalModel, type LocalModel, type LocalModelOptions } from '../model/local-model.js';
import type { Tier, TierAnswer, TierItem } from './tier.js';

export interface ModelTierOptions extends LocalModelOptions {
  /** Tweets per ONNX run (tokenized once, fed to all five sessions). Default 256. */
  readonly batchSize?: number;
}

export const DEFAULT_BATCH_SIZE = 256;

/** Runs `items` through `model` in chunks; `answer` turns one row's probabilities into labels. */
export async function classifyInChunks(
  model: LocalModel,
  items: readonly TierItem[],
  batchSize: number,
  signal: AbortSignal,
  answer: (probs: ReturnType<typeof rowOf>, item: TierItem) => TierAnswer,
): Promise<Map<string, TierAnswer>> {
  const out = new Map<string, TierAnswer>();
  for (let start = 0; start < items.length; start += batchSize) {
    signal.throwIfAborted();
    const chunk = items.slice(start, start + batchSize);
    const probs = await model.predict(chunk.map((item) => item.tweet.text));
    chunk.forEach((item, i) => out.set(item.id, answer(rowOf(probs, i), item)));
  }
  return out;
}

/**
 * Loads and validates the model set; throws FMC_ERR_MODEL (one line naming the folder and
 * the `fmc train` command) when a folder is missing, corrupt or off-taxonomy.
 */
export async function createModelTier(options: ModelTierOptions): Promise<Tier> {
  const model = await loadLocalModel(options);
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const combinations = model.forbidden ? allowedCombinations(model.forbidden) : undefined;
  return {
    name: 'model',
    version: model.version,
    cacheable: true,
    remote: false,
    maxBatch: batchSize,
    trainedTexts: model.trainedTexts,
    classify: (batch, signal) => classifyInChunks(model, batch, batchSize, signal, (probs) => modelAnswer(probs, combinations)),
    async check() {
      const tokenizer = model.fastTokenizer ? 'fast WordPiece encoder' : 'Transformers.js tokenizer';
      return { ok: true, detail: `model: ${model.version} from ${model.dir} (${tokenizer})` };
    },
    close: () => model.close(),
  };
}
