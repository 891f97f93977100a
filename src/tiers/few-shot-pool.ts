import type { ExamplePool } from './few-shot.js';
import type { SharedTierConfig } from './tier-module.js';

/**
 * The LLM tiers' example pool: the bundled labeled tweets, then the user's `--examples`
 * files, then in-memory rows (`fmc serve`'s stored corrections). Lazy-imported, so a module list that is only read (`fmc --help`) loads nothing.
 */
export const examplesOf = async (shared: SharedTierConfig): Promise<ExamplePool> => (await import('./few-shot.js')).sharedExamplePool(shared.exampleFiles ?? [], shared.exampleRows ?? []);
