import { FmcError } from '../errors.js';
import type { Logger } from '../log.js';
import { geminiModule } from './modules/gemini.js';
import { hybridModule, modelModule } from './modules/local.js';
import { ollamaModule } from './modules/ollama.js';
import { openAiModule } from './modules/openai.js';
import { rulesModule } from './modules/rules.js';
import { settingsOf, type Env, type TierConfig, type TierModule } from './tier-module.js';
import type { HealthCheck, Tier } from './tier.js';

// The chain is data: the tier modules in order, best first. Tiers are looked up here by
// name and no other module compares tier names; what a tier needs (settings, checks,
// factory) is declared in its own module, whose factory lazy-imports the client, so
// `fmc --help` never loads ONNX or an SDK.

/**
 * Best first. An OpenAI-compatible endpoint ranks below Gemini (the tier tuned and measured
 * here) and above a local Ollama; it joins `auto` only when configured (OPENAI_BASE_URL or
 * OPENAI_API_KEY set).
 */
export const TIER_MODULES: readonly TierModule<any>[] = [geminiModule, openAiModule, ollamaModule, hybridModule, modelModule, rulesModule];

/** Each tier's settings from the environment, under its name: what config.ts adds to TierConfig. */
export function tierSettingsFrom(env: Env): Record<string, unknown> {
  return Object.fromEntries(TIER_MODULES.flatMap((m) => (m.settings ? [[m.name, m.settings(env)]] : [])));
}

/** What the registry needs of a module; tests pass modules over fake tiers. */
type ModuleLike = Pick<TierModule<any>, 'name' | 'create'> & Partial<Omit<TierModule<any>, 'name' | 'create'>>;

const create = (module: ModuleLike, config: TierConfig, logger: Logger): Promise<Tier> => module.create(settingsOf(module, config), config, logger);

export const TIER_NAMES: readonly string[] = TIER_MODULES.filter((f) => f.choosable).map((f) => f.name);
export const PROVIDERS: readonly string[] = ['auto', ...TIER_NAMES];
/** Old `--provider` spellings still accepted, and what they are now: the local model's tier was named after its runtime. */
export const PROVIDER_ALIASES: Readonly<Record<string, string>> = { transformers: 'model' };
/** Every tier, the hybrid included: the names results can be cached under (`fmc cache clear --tier`). */
export const ALL_TIER_NAMES: readonly string[] = TIER_MODULES.map((m) => m.name);

export interface TierProbe {
  readonly name: string;
  readonly check: HealthCheck;
  /** false: the tier is optional and nothing asks for it (no key, no host): not down, just off. */
  readonly configured?: boolean;
}

/**
 * A failed check of a tier nobody configured (and `provider` did not choose) reads as "not
 * configured": not down, since the default offline install has neither key nor server. It
 * is `ok` with `configured: false`: buildChain still leaves it out (it failed its probe).
 */
function unlessConfigured(module: ModuleLike, provider: string, config: TierConfig, check: HealthCheck): { check: HealthCheck; configured?: boolean } {
  const { name } = module;
  const why = check.ok || name === provider ? undefined : module.notConfigured?.(settingsOf(module, config));
  if (why === undefined) return { check };
  return { check: { ok: true, detail: `${name}: not configured (${why}); to use it: ${check.detail.replace(new RegExp(`^${name}: `), '')}` }, configured: false };
}

/** The factories of the chain `provider` names, best first: what buildChain tries and health checks. */
function chainOf<F extends ModuleLike>(provider: string, all: readonly F[]): readonly F[] {
  const start = provider === 'auto' ? 0 : all.findIndex((f) => f.choosable !== false && f.name === provider);
  if (start < 0) throw new FmcError('FMC_ERR_USAGE', `unknown provider "${provider}": choose one of ${PROVIDERS.join(', ')}`);
  return all.slice(start).filter((f) => f.inChain !== false || f.name === provider);
}

/** Whether the chain may load a local model: the engine thread then needs room for it. */
export function chainHoldsModel(provider: string): boolean {
  return chainOf(provider, TIER_MODULES).some((f) => f.holdsModel === true);
}

async function probe(module: ModuleLike, config: TierConfig, logger: Logger): Promise<{ tier?: Tier; check: HealthCheck; error?: unknown }> {
  try {
    const tier = await create(module, config, logger);
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
  for (const factory of chainOf(provider, TIER_MODULES)) {
    const { tier, check, error } = await probe(factory, config, logger);
    probes.push({ name: factory.name, ...unlessConfigured(factory, provider, config, check) });
    if (tier && check.ok) tiers.push(tier);
    // A chosen tier's own configuration error (a bad model folder) already says how to fix it.
    else if (factory.name === provider && error instanceof FmcError) throw error;
    else if (factory.name === provider) throw new FmcError('FMC_ERR_TIER_UNAVAILABLE', `provider ${provider} is not available: ${check.detail}`);
    else await tier?.close?.();
  }
  logger.info({ live: tiers.map((t) => t.name), probes }, 'tier chain');
  return { tiers, probes };
}

export interface TierCheck extends TierProbe {
  /** The last tier is the floor every chain ends on: without it rows can go unlabeled. */
  readonly required: boolean;
}

/**
 * The availability of every tier of the chain `provider` names, best first. Without `deep`, a tier with a
 * quick check is never created; with it, every tier runs its own (free) check().
 */
export async function checkTiers(
  config: TierConfig,
  logger: Logger,
  options: { provider?: string; deep?: boolean; modules?: readonly ModuleLike[] } = {},
): Promise<TierCheck[]> {
  // Like buildChain: a server run with `--provider rules` never uses the tiers above it.
  const factories = chainOf(options.provider ?? 'auto', options.modules ?? TIER_MODULES);
  const checks: TierCheck[] = [];
  for (const [i, factory] of factories.entries()) {
    const required = i === factories.length - 1;
    let check = options.deep ? undefined : await factory.quickCheck?.(settingsOf(factory, config), config);
    if (!check) {
      let tier: Tier | undefined;
      try {
        tier = await create(factory, config, logger);
        check = await tier.check();
      } catch (err) {
        check = { ok: false, detail: `${factory.name}: ${(err as Error).message}` };
      } finally {
        await tier?.close?.().catch(() => undefined);
      }
    }
    checks.push({ name: factory.name, required, ...unlessConfigured(factory, options.provider ?? 'auto', config, check) });
  }
  return checks;
}
