import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { defineTier, type SharedTierConfig } from '../tier-module.js';
import type { HealthCheck } from '../tier.js';

// The two tiers over the local model: the hybrid (model + rules, the offline best, in every
// chain) and the plain model (only when chosen). Both read the shared model settings.

/** The model folder the local tiers load: the user's, else the built-in one (trained on first use). */
async function modelDirOf(shared: SharedTierConfig, logger: Logger): Promise<string> {
  if (shared.modelDir) return shared.modelDir;
  return (await import('../../model/default-model.js')).ensureDefaultModel(shared.modelsDir, logger);
}

const localOptions = async (shared: SharedTierConfig, logger: Logger) => ({
  modelDir: await modelDirOf(shared, logger),
  allowRemote: shared.allowRemote,
  hubModel: shared.hubModel,
});

// The factory trains the built-in model on first use (~30 s), so `fmc health` answers "not
// built yet (built on first classify)" from the folder's absence instead of creating it.
async function quickCheck(_: unknown, shared: SharedTierConfig): Promise<HealthCheck | undefined> {
  // A user's folder only loads, it never trains: its own check() runs.
  if (shared.modelDir) return undefined;
  const [{ defaultModelDir }, { MANIFEST }] = await Promise.all([import('../../model/default-model.js'), import('../../model/model-folder.js')]);
  const dir = defaultModelDir(shared.modelsDir);
  if (existsSync(join(dir, MANIFEST))) return undefined;
  return { ok: true, detail: `local model: not built yet (built on first classify, 2-3 min on two cores, into ${dir})` };
}

export const hybridModule = defineTier<undefined>({
  name: 'hybrid',
  choosable: false,
  inChain: true,
  holdsModel: true,
  quickCheck,
  create: async (_, shared, logger) => (await import('../local-hybrid.js')).openLocalHybridTier(await localOptions(shared, logger)),
});

export const modelModule = defineTier<undefined>({
  name: 'model',
  choosable: true,
  inChain: false,
  holdsModel: true,
  quickCheck,
  create: async (_, shared, logger) => (await import('../model.js')).createModelTier(await localOptions(shared, logger)),
});
