// The offline "auto" tier: the local model and the rules together. Both run on every tweet
// and the combiner fitted at training time (src/model/combiner.ts) decides, field by field,
// then the labels are chosen jointly. Its rows say `hybrid` in the provider column.

import { FmcError } from '../errors.js';
import { loadCombiner } from '../model/combiner.js';
import { hybridAnswer } from '../model/model-answer.js';
import { allowedCombinations, deriveForbiddenPairs } from '../model/joint.js';
import { loadLocalModel, type LocalModel } from '../model/local-model.js';
import { RULE_SIGNALS, RULES_VERSION, viewByRules, type ViewRules } from '../model/rule-view.js';
import type { Tier } from './tier.js';
import { classifyInChunks, DEFAULT_BATCH_SIZE, type ModelTierOptions } from './model.js';

export interface LocalHybridOptions {
  readonly model: LocalModel;
  /** The rules' view of a tweet; default: src/rules through model/rule-view.ts. */
  readonly viewRules?: ViewRules;
  readonly rulesVersion?: string;
  readonly batchSize?: number;
}

export function createLocalHybridTier(options: LocalHybridOptions): Tier {
  const { model } = options;
  if (!model.combiner) {
    throw new FmcError('FMC_ERR_MODEL', `${model.dir}: fmc-model.json has no combiner for the offline hybrid; build one with: fmc train fixtures/train.csv --out <dir>`);
  }
  const combiner = loadCombiner(model.combiner, RULE_SIGNALS);
  // Without recorded constraints, the taxonomy's own (incident=none -> urgency=low) still hold.
  const combinations = allowedCombinations(model.forbidden ?? deriveForbiddenPairs([]));
  const viewRules = options.viewRules ?? viewByRules;
  const rulesVersion = options.rulesVersion ?? RULES_VERSION;
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const stale = combiner.json.rulesVersion !== rulesVersion;
  return {
    name: 'hybrid',
    version: `${model.version}+${rulesVersion}`,
    cacheable: true,
    remote: false,
    maxBatch: batchSize,
    trainedTexts: model.trainedTexts,
    classify: (batch, signal) =>
      classifyInChunks(model, batch, batchSize, signal, (probs, item) => hybridAnswer(combiner, combinations, probs, viewRules(item.tweet), item.tweet)),
    async check() {
      const note = stale ? `; combiner fitted with ${combiner.json.rulesVersion}, rules are now ${rulesVersion}: retrain for best accuracy` : '';
      return { ok: true, detail: `hybrid: ${model.version} + ${rulesVersion}${note}` };
    },
    close: () => model.close(),
  };
}

/** Loads the model set and builds the hybrid over it (what the registry calls). */
export async function openLocalHybridTier(options: ModelTierOptions): Promise<Tier> {
  const model = await loadLocalModel(options);
  try {
    return createLocalHybridTier({ model, batchSize: options.batchSize });
  } catch (err) {
    await model.close();
    throw err;
  }
}
