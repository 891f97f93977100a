import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TierConfig } from '../config.js';
import { FmcError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HealthCheck, Tier } from './tier.js';

// The chain is data: tiers are looked up here by name, best first, and no other module
// compares tier names. Factories are lazy imports so `fmc --help` never loads ONNX.

interface TierFactory {
  readonly name: string;
  /** Whether `--provider` can name it; the hybrid only stands in for the local model in chains. */
  readonly choosable: boolean;
  /** Whether it joins chains that start above it; the plain model only runs when chosen. */
  readonly inChain: boolean;
  /** Loads (or on first use trains) a model in the JS heap of the thread that runs it. */
  readonly holdsModel?: boolean;
  /** Builds the tier; throws FmcError when its configuration cannot work at all. */
  create(config: TierConfig, logger: Logger): Promise<Tier>;
}

/** The model folder the local tiers load: the user's, else the built-in one (trained on first use). */
async function modelDirOf(config: TierConfig, logger: Logger): Promise<string> {
  if (config.modelDir) return config.modelDir;
  return (await import('../model/default-model.js')).ensureDefaultModel(config.modelsDir, logger);
}

const localOptions = async (config: TierConfig, logger: Logger) => ({
  modelDir: await modelDirOf(config, logger),
  allowRemote: config.allowRemote,
  hubModel: config.hubModel,
});

const FACTORIES: readonly TierFactory[] = [
  {
    name: 'gemini',
    choosable: true,
    inChain: true,
    create: async (config) => (await import('./gemini.js')).createGeminiTier({ ...config.gemini, checkTimeoutMs: Math.min(config.timeoutMs, 5000) }),
  },
  {
    name: 'ollama',
    choosable: true,
    inChain: true,
    create: async (config) => (await import('./ollama.js')).createOllamaTier({ ...config.ollama, checkTimeoutMs: Math.min(config.timeoutMs, 3000) }),
  },
  {
    // The offline best: the local model and the rules, combined field by field. Its answers
    // name the part that produced them (transformers or rules) in the provider column.
    name: 'hybrid',
    choosable: false,
    inChain: true,
    holdsModel: true,
    create: async (config, logger) => (await import('./local-hybrid.js')).openLocalHybridTier(await localOptions(config, logger)),
  },
  {
    name: 'transformers',
    choosable: true,
    inChain: false,
    holdsModel: true,
    create: async (config, logger) => (await import('./transformers.js')).createTransformersTier(await localOptions(config, logger)),
  },
  {
    name: 'rules',
    choosable: true,
    inChain: true,
    create: async () => (await import('./rules.js')).createRulesTier(),
  },
];

export const TIER_NAMES: readonly string[] = FACTORIES.filter((f) => f.choosable).map((f) => f.name);
export const PROVIDERS: readonly string[] = ['auto', ...TIER_NAMES];

export interface TierProbe {
  readonly name: string;
  readonly check: HealthCheck;
  /** false: the tier is optional and nothing asks for it (no key, no host): not down, just off. */
  readonly configured?: boolean;
}

/**
 * Why an optional tier counts as not configured, or undefined when it is. Not configured is
 * not down: the default offline install has neither key nor server, and is healthy.
 */
const NOT_CONFIGURED: Readonly<Record<string, (config: TierConfig) => string | undefined>> = {
  gemini: (config) => (config.gemini.apiKey ? undefined : 'GEMINI_API_KEY is unset'),
  ollama: (config) => (config.ollama.configured ? undefined : 'OLLAMA_HOST and OLLAMA_MODEL are unset, and nothing answers at the default host'),
};

/** A failed check of a tier nobody configured (and `provider` did not choose) reads as "not configured". */
function unlessConfigured(name: string, provider: string, config: TierConfig, check: HealthCheck): { check: HealthCheck; configured?: boolean } {
  const why = check.ok || name === provider ? undefined : NOT_CONFIGURED[name]?.(config);
  if (why === undefined) return { check };
  return { check: { ok: true, detail: `${name}: not configured (${why}); to use it: ${check.detail.replace(new RegExp(`^${name}: `), '')}` }, configured: false };
}

/** The factories of the chain `provider` names, best first: what buildChain tries and health checks. */
function chainOf<F extends Pick<TierFactory, 'name'> & { readonly choosable?: boolean; readonly inChain?: boolean }>(provider: string, all: readonly F[]): readonly F[] {
  const start = provider === 'auto' ? 0 : all.findIndex((f) => f.choosable !== false && f.name === provider);
  if (start < 0) throw new FmcError('FMC_ERR_USAGE', `unknown provider "${provider}": choose one of ${PROVIDERS.join(', ')}`);
  return all.slice(start).filter((f) => f.inChain !== false || f.name === provider);
}

/** Whether the chain may load a local model: the engine thread then needs room for it. */
export function chainHoldsModel(provider: string): boolean {
  return chainOf(provider, FACTORIES).some((f) => f.holdsModel === true);
}

async function probe(factory: TierFactory, config: TierConfig, logger: Logger): Promise<{ tier?: Tier; check: HealthCheck; error?: unknown }> {
  try {
    const tier = await factory.create(config, logger);
    return { tier, check: await tier.check() };
  } catch (error) {
    return { check: { ok: false, detail: (error as Error).message }, error };
  }
}

/**
 * The tier chain for `--provider`. `auto`: every available tier, best first, each probed
 * once. An explicit tier must be available (else FMC_ERR_TIER_UNAVAILABLE saying how to fix
 * it) and is followed by the tiers below it, so rows it fails on still get labels.
 */
export async function buildChain(
  provider: string,
  config: TierConfig,
  logger: Logger,
): Promise<{ tiers: Tier[]; probes: TierProbe[] }> {
  const tiers: Tier[] = [];
  const probes: TierProbe[] = [];
  for (const factory of chainOf(provider, FACTORIES)) {
    const { tier, check, error } = await probe(factory, config, logger);
    probes.push({ name: factory.name, ...unlessConfigured(factory.name, provider, config, check) });
    if (tier && check.ok) tiers.push(tier);
    // A chosen tier's own configuration error (a bad model folder) already says how to fix it.
    else if (factory.name === provider && error instanceof FmcError) throw error;
    else if (factory.name === provider) throw new FmcError('FMC_ERR_TIER_UNAVAILABLE', `provider ${provider} is not available: ${check.detail}`);
    else await tier?.close?.();
  }
  logger.info({ live: tiers.map((t) => t.name), probes }, 'tier chain');
  return { tiers, probes };
}

/**
 * A check that answers from configuration alone, for `fmc health` without `--deep`:
 * undefined means the tier's own check() is free and fast enough to run.
 */
type QuickCheck = (config: TierConfig) => HealthCheck | undefined | Promise<HealthCheck | undefined>;

// Gemini's check() is a models lookup over the network: free, but `fmc health` promises no
// remote call without --deep, so the key's presence stands in for it. The local model's
// factory trains the built-in model on first use (~30 s), so its entry must answer "not
// built yet (built on first classify)" from the folder's absence instead of creating it.
const localModel: QuickCheck = async (config) => {
  // A user's folder only loads, it never trains: its own check() runs.
  if (config.modelDir) return undefined;
  const [{ defaultModelDir }, { MANIFEST }] = await Promise.all([import('../model/default-model.js'), import('../model/model-folder.js')]);
  const dir = defaultModelDir(config.modelsDir);
  if (existsSync(join(dir, MANIFEST))) return undefined;
  return { ok: true, detail: `local model: not built yet (built on first classify, about 30 s, into ${dir})` };
};

const QUICK_CHECKS: Readonly<Record<string, QuickCheck>> = {
  hybrid: localModel,
  transformers: localModel,
  gemini: (config) =>
    config.gemini.apiKey
      ? { ok: true, detail: `gemini: GEMINI_API_KEY set, model ${config.gemini.model} (not called; --deep looks the model up)` }
      : { ok: false, detail: 'gemini: GEMINI_API_KEY is unset; create a key at https://aistudio.google.com/apikey and export GEMINI_API_KEY=<key>' },
};

export interface TierCheck extends TierProbe {
  /** The last tier is the floor every chain ends on: without it rows can go unlabeled. */
  readonly required: boolean;
}

/** `inChain: false` (a tier that runs only when chosen) is left out of chains that start above it. */
type CheckableFactory = Pick<TierFactory, 'name' | 'create'> & { readonly choosable?: boolean; readonly inChain?: boolean };

/**
 * The availability of every tier of the chain `provider` names, best first. Without `deep`, a tier with a
 * quick check is never created; with it, every tier runs its own (free) check().
 */
export async function checkTiers(
  config: TierConfig,
  logger: Logger,
  options: { provider?: string; deep?: boolean; factories?: readonly CheckableFactory[]; quickChecks?: Readonly<Record<string, QuickCheck>> } = {},
): Promise<TierCheck[]> {
  // Like buildChain: a server run with `--provider rules` never uses the tiers above it.
  const factories = chainOf(options.provider ?? 'auto', options.factories ?? FACTORIES);
  const quick = options.quickChecks ?? QUICK_CHECKS;
  const checks: TierCheck[] = [];
  for (const [i, factory] of factories.entries()) {
    const required = i === factories.length - 1;
    let check = options.deep ? undefined : await quick[factory.name]?.(config);
    if (!check) {
      let tier: Tier | undefined;
      try {
        tier = await factory.create(config, logger);
        check = await tier.check();
      } catch (err) {
        check = { ok: false, detail: `${factory.name}: ${(err as Error).message}` };
      } finally {
        await tier?.close?.().catch(() => undefined);
      }
    }
    checks.push({ name: factory.name, required, ...unlessConfigured(factory.name, options.provider ?? 'auto', config, check) });
  }
  return checks;
}
