// The built-in model: trained by fmc itself from the labeled tweets bundled in fixtures/
// (train + extra, with the unlabeled sample widening the vocabulary; never dev.csv, so
// `fmc eval fixtures/dev.csv` is a held-out figure), the first time a command
// needs it, into the user cache dir. Nothing binary is committed or downloaded; the folder
// name carries a digest of everything the training depends on, so new data, new rules or
// a new trainer produce a new folder instead of reusing a stale one.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.js';
import { MANIFEST, MODEL_FORMAT } from './model-folder.js';
import { RULES_VERSION } from './rule-view.js';
import { DEFAULT_HYPER } from './train.js';
import { trainToDir } from './train-dir.js';

/** Bumped when the trainer changes what it writes for the same data and hyper-parameters. */
const TRAINER_VERSION = 3;

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures');

export const DEFAULT_TRAINING = {
  labeled: [join(FIXTURES, 'train.csv'), join(FIXTURES, 'extra.csv')],
  unlabeled: [join(FIXTURES, 'tweets.csv')],
} as const;

/** Folder of the built-in model under `modelsDir` for the bundled data as it is now. */
export function defaultModelDir(modelsDir: string): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ TRAINER_VERSION, MODEL_FORMAT, RULES_VERSION, DEFAULT_HYPER }));
  for (const path of [...DEFAULT_TRAINING.labeled, ...DEFAULT_TRAINING.unlabeled]) h.update('\0').update(readFileSync(path));
  return join(modelsDir, `default-${h.digest('hex').slice(0, 16)}`);
}

/**
 * The built-in model folder, trained now if it is not there yet (about 5 CPU-minutes: 2-3 min on two
 * cores). Concurrent first runs each train into a folder of their own and rename it into
 * place, so no reader sees a half-written model.
 */
export async function ensureDefaultModel(modelsDir: string, logger: Logger): Promise<string> {
  const dir = defaultModelDir(modelsDir);
  if (existsSync(join(dir, MANIFEST))) return dir;
  logger.warn({ dir }, 'building the built-in local model from the bundled labeled tweets (first run only, 2-3 min on two cores)');
  const building = `${dir}.build-${process.pid}-${Date.now()}`;
  try {
    const report = await trainToDir(DEFAULT_TRAINING.labeled, building, { unlabeled: DEFAULT_TRAINING.unlabeled });
    logger.info({ dir, seconds: report.seconds, rows: report.rows }, 'built-in model ready');
    // A rename onto an existing folder fails: another run finished first, and its model (the
    // same, training is deterministic) stays where readers may already be loading it.
    renameSync(building, dir);
  } catch (err) {
    if (!existsSync(join(dir, MANIFEST))) throw err;
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}
