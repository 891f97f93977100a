// fmc-model.json: what a model set knows beyond its Transformers.js folders. The label
// constraints and the hybrid combiner live here; folders without it still load (the plain
// tier then decodes fields one by one and the hybrid is unavailable).

import { FIELD_VALUES, TRAINED_FIELDS, type TrainedField } from '../labels.js';
import type { CombinerJson } from './combiner.js';
import type { ForbiddenPair } from './joint.js';
import type { TrainHyper, TrainReport } from './train.js';
import type { TrainedTexts } from './trained-texts.js';

export const MODEL_ID = 'fmc-linear-wordpiece';

export interface Manifest {
  readonly id: string;
  /** The training report without its wall-clock time, so equal training gives equal files. */
  readonly report: Omit<TrainReport, 'seconds'>;
  readonly hyper: TrainHyper;
  readonly forbidden: readonly ForbiddenPair[];
  readonly combiner?: CombinerJson;
  /** Hashes of the labeled texts trained on, for fmc eval's overlap warning. */
  readonly trainedTexts?: TrainedTexts;
}

const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');

/** The combiner in a parsed manifest, if present and well-formed. */
export function combinerOf(manifest: Readonly<Record<string, unknown>>): CombinerJson | undefined {
  const c = manifest.combiner as Partial<CombinerJson> | undefined;
  if (typeof c !== 'object' || c === null) return undefined;
  if (typeof c.rulesVersion !== 'string' || !Array.isArray(c.signals) || !Array.isArray(c.rulePaths)) return undefined;
  const fields = c.fields as Partial<Record<TrainedField, { weights?: unknown; bias?: unknown }>> | undefined;
  if (!fields || !TRAINED_FIELDS.every((f) => isNumbers(fields[f]?.weights) && isNumbers(fields[f]?.bias))) return undefined;
  return c as CombinerJson;
}

/** The forbidden value pairs in a parsed manifest, dropping any that name unknown values. */
export function forbiddenOf(manifest: Readonly<Record<string, unknown>>): ForbiddenPair[] | undefined {
  if (!Array.isArray(manifest.forbidden)) return undefined;
  const known = (f: unknown, v: unknown): boolean =>
    typeof f === 'string' && (TRAINED_FIELDS as readonly string[]).includes(f) && typeof v === 'string' && FIELD_VALUES[f as TrainedField].includes(v);
  return (manifest.forbidden as unknown[]).filter(
    (p): p is ForbiddenPair => Array.isArray(p) && p.length === 4 && known(p[0], p[1]) && known(p[2], p[3]),
  );
}
