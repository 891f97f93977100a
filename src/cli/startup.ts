import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TierConfig } from '../config.js';
import { chainHoldsModel } from '../tiers/registry.js';
import { createSpinner } from './progress.js';

// What a person sees while a command gets ready to classify: loading the local model and
// probing the tiers takes a second or two, and the very first run trains the built-in model
// (about 30 s). Without a word, that looked like a hang.

/** The built-in model folder this chain is about to train, or undefined when nothing is built. */
export async function modelToBuild(provider: string, tiers: Pick<TierConfig, 'modelDir' | 'modelsDir'>): Promise<string | undefined> {
  if (tiers.modelDir || !chainHoldsModel(provider)) return undefined;
  // Imported here: the trainer's modules are not loaded by a rules run.
  const [{ defaultModelDir }, { MANIFEST }] = await Promise.all([import('../model/default-model.js'), import('../model/model-folder.js')]);
  const dir = defaultModelDir(tiers.modelsDir);
  return existsSync(join(dir, MANIFEST)) ? undefined : dir;
}

/** A spinner appears only past this, so a quick start-up does not flicker. */
const SPINNER_DELAY_MS = 300;

export interface StartupNotice {
  /** Clears the spinner (call before anything else is written to stderr). */
  done(): void;
}

/**
 * Says what the wait is for: one human line on stderr when the built-in model is built (on a
 * terminal or not: a first cron run also takes longer), and on a terminal a spinner with the
 * elapsed time until `done()`.
 */
export function announceStartup(stderr: NodeJS.WriteStream, building: string | undefined, options: { quiet?: boolean } = {}): StartupNotice {
  if (options.quiet) return { done: () => undefined };
  if (building) stderr.write(`fmc: first run: building the built-in local model from the bundled labeled tweets (2-3 min on two cores, once; kept in ${building})\n`);
  if (!stderr.isTTY) return { done: () => undefined };
  let spinner: ReturnType<typeof createSpinner> | undefined;
  const text = building ? 'building the built-in local model' : 'loading the tier chain';
  const timer = setTimeout(() => (spinner = createSpinner(stderr, text)), building ? 0 : SPINNER_DELAY_MS);
  return {
    done() {
      clearTimeout(timer);
      spinner?.stop();
    },
  };
}
