// What a correction says, checked against the one schema in labels.ts, and the labels a
// message or row ends up with once it is applied.

import { FmcError } from '../errors.js';
import { applyConsistency, FIELD_VALUES, LABEL_FIELDS, mergeLabels, parseFieldValue, pickLabels, type LabelField, type Labels, type LabelResult } from '../labels.js';

/** The provider a corrected message's labels carry from then on: a person said so. */
export const CORRECTION_PROVIDER = 'correction';

export type LabelPatch = Partial<Labels>;

/**
 * `{field: value, …}` from a request: at least one of the five fields, each value in the
 * taxonomy (`is_claim` as a boolean or "true"/"false"). Anything else is FMC_ERR_CORRECTION
 * naming the field and the allowed values.
 */
export function parseLabelPatch(value: unknown): LabelPatch {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FmcError('FMC_ERR_CORRECTION', `"labels" must be an object like {"urgency": "high"} with some of ${LABEL_FIELDS.join(', ')}`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) throw new FmcError('FMC_ERR_CORRECTION', `"labels" is empty; give at least one of ${LABEL_FIELDS.join(', ')}`);
  const patch: Record<string, unknown> = {};
  for (const [field, raw] of entries) {
    if (!(LABEL_FIELDS as readonly string[]).includes(field)) {
      throw new FmcError('FMC_ERR_CORRECTION', `unknown label field "${field.slice(0, 40)}"; the fields are ${LABEL_FIELDS.join(', ')}`);
    }
    const f = field as LabelField;
    const parsed = typeof raw === 'boolean' && f === 'is_claim' ? raw : typeof raw === 'string' && raw === raw.trim().toLowerCase() ? parseFieldValue(f, raw) : undefined;
    if (parsed === undefined) {
      throw new FmcError('FMC_ERR_CORRECTION', `${f}: ${JSON.stringify(raw)?.slice(0, 40)} is not one of ${FIELD_VALUES[f].join(', ')}`);
    }
    patch[f] = parsed;
  }
  return patch as LabelPatch;
}

/**
 * The original labels with the patch on top. The taxonomy's consistency rule still holds: a
 * patch to `incident: none` brings `urgency` down to low, unless the patch itself says
 * otherwise, which is refused (an agent who sets both means something the taxonomy forbids).
 */
export function applyPatch(original: Labels, patch: LabelPatch): LabelResult {
  const merged = mergeLabels(original, patch);
  const consistent = applyConsistency(merged);
  if (patch.urgency !== undefined && consistent.urgency !== patch.urgency) {
    throw new FmcError('FMC_ERR_CORRECTION', `urgency ${patch.urgency} with incident none: the taxonomy says incident none implies urgency low; correct incident too`);
  }
  return { ...consistent, confidence: 1, provider: CORRECTION_PROVIDER };
}

/** The labels of a result, without confidence and provider. */
export function labelsOf(result: Labels): Labels {
  return pickLabels(result);
}
