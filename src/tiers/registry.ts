import type { TierConfig } from '../config.js';
import { FmcError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HealthCheck, Tier } from './tier.js';

// The chain is data: tiers are looked up here by name, best first, and no other module
// compares tier names. Factories are lazy imports so `fmc --help` never loads ONNX.

interface TierFactory {
  readonly name: string;
  /** Builds the tier; throws FmcError when its configuration cannot work at all. */
  create(config: TierConfig, logger: Logger): Promise<Tier>;
}

const FACTORIES: readonly TierFactory[] = [
  {
    name: 'gemini',
    create: async (config) => (await import('./gemini.js')).createGeminiTier({ ...config.gemini, checkTimeoutMs: Math.min(config.timeoutMs, 5000) }),
  },
  {
    name: 'ollama',
    create: async (config) => (await import('./ollama.js')).createOllamaTier({ ...config.ollama, checkTimeoutMs: Math.min(config.timeoutMs, 3000) }),
  },
  {
    name: 'rules',
    create: async () => (await import('./rules.js')).createRulesTier(),
  },
];

export const TIER_NAMES: readonly string[] = FACTORIES.map((f) => f.name);
export const PROVIDERS: readonly string[] = ['auto', ...TIER_NAMES];

export interface TierProbe {
  readonly name: string;
  readonly check: HealthCheck;
}

async function probe(factory: TierFactory, config: TierConfig, logger: Logger): Promise<{ tier?: Tier; check: HealthCheck }> {
  try {
    const tier = await factory.create(config, logger);
    return { tier, check: await tier.check() };
  } catch (err) {
    return { check: { ok: false, detail: (err as Error).message } };
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
  const start = provider === 'auto' ? 0 : FACTORIES.findIndex((f) => f.name === provider);
  if (start < 0) throw new FmcError('FMC_ERR_USAGE', `unknown provider "${provider}": choose one of ${PROVIDERS.join(', ')}`);
  const tiers: Tier[] = [];
  const probes: TierProbe[] = [];
  for (const factory of FACTORIES.slice(start)) {
    const { tier, check } = await probe(factory, config, logger);
    probes.push({ name: factory.name, check });
    if (tier && check.ok) tiers.push(tier);
    else if (factory.name === provider) throw new FmcError('FMC_ERR_TIER_UNAVAILABLE', `provider ${provider} is not available: ${check.detail}`);
    else await tier?.close?.();
  }
  logger.info({ live: tiers.map((t) => t.name), probes }, 'tier chain');
  return { tiers, probes };
}

/** Probe every tier without building a chain (for `fmc health` and `/api/health`). */
export async function probeTiers(config: TierConfig, logger: Logger): Promise<TierProbe[]> {
  const probes: TierProbe[] = [];
  for (const factory of FACTORIES) {
    const { tier, check } = await probe(factory, config, logger);
    probes.push({ name: factory.name, check });
    await tier?.close?.();
  }
  return probes;
}
