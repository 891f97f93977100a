import type { Logger } from '../log.js';
import type { HealthCheck, Tier } from './tier.js';
import type { Labels } from '../labels.js';

// What each tier declares about itself (src/tiers/modules/<name>.ts): its name, its
// settings from the environment, why it counts as not configured, its free check from
// configuration alone, and its factory. The registry lists the modules in chain order and
// knows nothing else about any tier.

export type Env = Readonly<Record<string, string | undefined>>;

/** Settings every tier may use; flags override some of them (cli/options.ts). */
export interface SharedTierConfig {
  /** Folder of the local model (one sub-folder per field); undefined = the built-in default. */
  readonly modelDir?: string | undefined;
  /** Where the built-in model is trained on first use (under the user cache dir). */
  readonly modelsDir: string;
  readonly allowRemote: boolean;
  /** A hub sentiment model that replaces the local sentiment head (needs allowRemote). */
  readonly hubModel?: string | undefined;
  /** Per-call timeout for tier requests. */
  readonly timeoutMs: number;
  /** A server-requested wait longer than this opens the tier's circuit instead. */
  readonly maxWaitMs: number;
  /** Requests per minute per LLM tier (0 = unlimited). */
  readonly rpm: number;
  /** Labeled CSVs (exported corrections, reviewed samples) added to the LLM prompt's example pool. */
  readonly exampleFiles?: readonly string[] | undefined;
  /** Labeled texts added after the files (`fmc serve`: the agents' stored corrections). */
  readonly exampleRows?: readonly { readonly text: string; readonly labels: Labels }[] | undefined;
}

/**
 * The shared settings, plus each tier's own under its name (`gemini`, `openai`, …), as
 * its module's `settings(env)` made them. A tier absent here gets its defaults.
 */
export type TierConfig = SharedTierConfig & { readonly [tier: string]: unknown };

export interface TierModule<S = unknown> {
  readonly name: string;
  /** Whether `--provider` can name it; the hybrid only stands in for the local model in chains. */
  readonly choosable: boolean;
  /** Whether it joins chains that start above it; the plain model only runs when chosen. */
  readonly inChain: boolean;
  /** Loads (or on first use trains) a model in the JS heap of the thread that runs it. */
  readonly holdsModel?: boolean;
  /** This tier's settings from the environment, read once at start-up (config.ts). */
  settings?(env: Env): S;
  /** Why nobody asked for this optional tier (no key, no host), or undefined when configured. Not configured is not down. */
  notConfigured?(settings: S): string | undefined;
  /** A free answer from configuration alone (`fmc health` without --deep); undefined: run the tier's own check(). */
  quickCheck?(settings: S, shared: SharedTierConfig): HealthCheck | undefined | Promise<HealthCheck | undefined>;
  /** Builds the tier (lazy-importing its client); throws FmcError when its configuration cannot work at all. */
  create(settings: S, shared: SharedTierConfig, logger: Logger): Promise<Tier>;
}

/** Declares a module; the settings type is inferred from `settings`. */
export const defineTier = <S>(module: TierModule<S>): TierModule<S> => module;

/** A module's settings in `config`: its own slot, else its defaults. */
export function settingsOf<S>(module: Pick<TierModule<S>, 'name' | 'settings'>, config: TierConfig): S {
  return (config[module.name] as S | undefined) ?? (module.settings?.({}) as S);
}
