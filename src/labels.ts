// The one label schema (../shared/taxonomy.md). Every tier, the cache, the CLI output, the
// server, the relay and the dashboard use what is derived here from LABEL_TABLE; nothing
// else lists label fields or values. Adding a field or a value is a change to the table
// (and to the rules and the prompt that produce it): columns, cells, the interning key, the
// JSON Schemas sent to the LLMs and to Fastify, the validator and the summary follow.

/**
 * One label field.
 * - `values`: the allowed values as they appear in CSV files (a boolean is `true`/`false`).
 * - `trained`: human-labeled files (fixtures/train.csv, `fmc eval` input) carry it and the
 *   local model has a classifier for it.
 * - `carried`: every tier's answer must carry it; an answer without a field that is not
 *   carried gets the field's `fallback`.
 */
export interface FieldSpec {
  readonly name: string;
  readonly kind: 'boolean' | 'enum';
  readonly values: readonly string[];
  readonly trained: boolean;
  readonly carried: boolean;
  readonly fallback?: string;
}

export const LABEL_TABLE = [
  { name: 'is_claim', kind: 'boolean', values: ['true', 'false'], trained: true, carried: true },
  { name: 'sentiment', kind: 'enum', values: ['negative', 'neutral', 'positive'], trained: true, carried: true },
  { name: 'topic', kind: 'enum', values: ['fibre', 'mobile', 'tv', 'billing', 'customer_service', 'other'], trained: true, carried: true },
  { name: 'incident', kind: 'enum', values: ['outage', 'slowness', 'billing', 'support', 'equipment', 'none'], trained: true, carried: true },
  { name: 'urgency', kind: 'enum', values: ['low', 'medium', 'high'], trained: true, carried: true },
] as const satisfies readonly FieldSpec[];

type Spec = (typeof LABEL_TABLE)[number];
export type LabelField = Spec['name'];
type SpecOf<F extends LabelField> = Extract<Spec, { name: F }>;
/** A field's value in memory: a boolean for boolean fields, else one of its strings. */
export type FieldValue<F extends LabelField> = SpecOf<F>['kind'] extends 'boolean' ? boolean : SpecOf<F>['values'][number];
export type TrainedField = Extract<Spec, { trained: true }>['name'];
type CarriedField = Extract<Spec, { carried: true }>['name'];

const valuesOf = <F extends LabelField>(name: F): SpecOf<F>['values'] => LABEL_TABLE.find((f) => f.name === name)!.values as SpecOf<F>['values'];

export const SENTIMENTS = valuesOf('sentiment');
export const TOPICS = valuesOf('topic');
export const INCIDENTS = valuesOf('incident');
export const URGENCIES = valuesOf('urgency');

export type Sentiment = FieldValue<'sentiment'>;
export type Topic = FieldValue<'topic'>;
export type Incident = FieldValue<'incident'>;
export type Urgency = FieldValue<'urgency'>;

export const LABEL_FIELDS: readonly LabelField[] = LABEL_TABLE.map((f) => f.name);
/** The fields human-labeled data carries and the local model learns, in table order. */
export const TRAINED_FIELDS: readonly TrainedField[] = LABEL_TABLE.filter((f) => f.trained).map((f) => f.name as TrainedField);

/** The allowed values of each field, as the strings that appear in CSV files. */
export const FIELD_VALUES: Readonly<Record<LabelField, readonly string[]>> = Object.fromEntries(LABEL_TABLE.map((f) => [f.name, f.values])) as unknown as Record<LabelField, readonly string[]>;

export type Labels = { [F in LabelField]: FieldValue<F> };

/** The labels the local model gives. */
export type TrainedLabels = { [F in TrainedField]: FieldValue<F> };

/** Labels as a tier answers them: fields not every answer carries may be left out. */
export type AnswerLabels = { [F in CarriedField]: FieldValue<F> } & { [F in Exclude<LabelField, CarriedField>]?: FieldValue<F> };

/** What a tier returns for one tweet: the labels and how sure it is (0..1). */
export type ScoredLabels = Labels & { confidence: number };

/** A finished result: the labels plus what produced them (a tier name: `provider` column). */
export type LabelResult = ScoredLabels & { provider: string };

/** Output columns appended after the input columns, in this order. */
export const OUTPUT_COLUMNS: readonly string[] = [...LABEL_FIELDS, 'confidence', 'provider'];

/** Bump when the taxonomy or its decision rules change: it is part of every cache key. */
export const TAXONOMY_VERSION = 'taxonomy-2026-11';

/** The table as plain data, for the dashboard (served to the page, never copied into it). */
export function labelTableJson(): { fields: { name: string; values: readonly string[] }[]; columns: readonly string[] } {
  return { fields: LABEL_TABLE.map((f) => ({ name: f.name, values: f.values })), columns: OUTPUT_COLUMNS };
}

export function isFieldValue(field: LabelField, value: string): boolean {
  return FIELD_VALUES[field].includes(value);
}

/**
 * Parse one field from its CSV string form. Returns undefined for a value outside the
 * taxonomy so callers can report it with its position.
 */
export function parseFieldValue(field: LabelField, raw: string): string | boolean | undefined {
  const value = raw.trim().toLowerCase();
  if (!isFieldValue(field, value)) return undefined;
  return SPEC[field].kind === 'boolean' ? value === 'true' : value;
}

const SPEC = Object.fromEntries(LABEL_TABLE.map((f) => [f.name, f])) as unknown as Readonly<Record<LabelField, FieldSpec>>;

/** The value a field not every answer carries takes when an answer leaves it out. */
const FALLBACK: Readonly<Partial<Record<LabelField, string>>> = Object.fromEntries(
  LABEL_TABLE.flatMap((f: FieldSpec) => (f.carried ? [] : [[f.name, f.fallback ?? f.values[0]!]])),
);

/** A field's value as its CSV string. */
export const fieldString = (value: unknown): string => (value === true ? 'true' : value === false ? 'false' : String(value));

/** The label values as strings, keyed by field: the form CSV/JSONL output and eval use. A field an answer left out reads as its fallback. */
export function labelStrings(labels: AnswerLabels): Record<LabelField, string> {
  const out = {} as Record<LabelField, string>;
  const given = labels as Partial<Labels>;
  for (const f of LABEL_FIELDS) out[f] = given[f] === undefined ? (FALLBACK[f] ?? '') : fieldString(given[f]);
  return out;
}

/** The labels of any object that carries them (a result, a stored row), without confidence and provider. */
export function pickLabels(value: AnswerLabels): Labels {
  const out: Record<string, unknown> = {};
  const given = value as Partial<Labels>;
  for (const f of LABEL_FIELDS) out[f] = given[f] ?? (FALLBACK[f] === undefined ? undefined : parseFieldValue(f, FALLBACK[f]));
  return out as Labels;
}

/** `patch`'s labels over `original`'s, field by field. */
export function mergeLabels(original: Labels, patch: Partial<Labels>): Labels {
  const out: Record<string, unknown> = {};
  for (const f of LABEL_FIELDS) out[f] = patch[f] ?? original[f];
  return out as Labels;
}

/** The output cells of a result, in OUTPUT_COLUMNS order (confidence to 3 decimals). */
export function labelCells(r: LabelResult): unknown[] {
  const cells: unknown[] = LABEL_FIELDS.map((f) => r[f]);
  cells.push(Math.round(r.confidence * 1000) / 1000, r.provider);
  return cells;
}

/**
 * Each value's position in its field, and the number of combinations before it: a result's
 * labels as one integer (mixed radix, bases = value counts), for sharing equal results.
 */
const VALUE_INDEX: readonly (readonly [LabelField, ReadonlyMap<unknown, number>, number])[] = LABEL_TABLE.map((f) => [
  f.name,
  new Map<unknown, number>(f.values.map((v, i) => [f.kind === 'boolean' ? v === 'true' : v, i])),
  f.values.length,
]);

/** The labels as one integer below the product of the value counts; NaN for a value outside the taxonomy. */
export function labelsKey(labels: Labels): number {
  let key = 0;
  for (const [field, index, base] of VALUE_INDEX) key = key * base + (index.get(labels[field]) ?? NaN);
  return key;
}

/**
 * The taxonomy's consistency rules, applied to any tier's answer:
 * `incident=none` implies `urgency=low`. (`is_claim=false` with an incident is allowed: a
 * third party's outage report is `false / outage`.)
 */
export function applyConsistency<T extends Pick<Labels, 'incident' | 'urgency'>>(labels: T): T {
  if (labels.incident === 'none' && labels.urgency !== 'low') return { ...labels, urgency: 'low' };
  return labels;
}

// The validator, derived from the table: one check per field, decided once. (A zod parse
// costs ~0.9 µs an answer, half of what the rules take for a tweet: too much for every row.)
type Check = (v: unknown) => unknown;
const INVALID = Symbol('invalid');
const CHECKS: readonly (readonly [LabelField, Check])[] = LABEL_TABLE.map((f: FieldSpec) => {
  const fallback = f.carried ? INVALID : f.kind === 'boolean' ? f.fallback === 'true' : (f.fallback ?? f.values[0]);
  if (f.kind === 'boolean') return [f.name as LabelField, (v) => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : v === undefined ? fallback : INVALID)];
  const allowed = new Set(f.values);
  return [f.name as LabelField, (v) => (typeof v === 'string' && allowed.has(v) ? v : v === undefined ? fallback : INVALID)];
});

/** The validated labels of an untrusted object into `out`; false when one is invalid or missing. */
function readLabels(v: Record<string, unknown>, out: Record<string, unknown>): boolean {
  for (const [field, check] of CHECKS) {
    const value = check(v[field]);
    if (value === INVALID) return false;
    out[field] = value;
  }
  return true;
}

/** Validate an untrusted object (LLM answer, cache row, API body) into ScoredLabels. */
export function toScoredLabels(value: unknown): ScoredLabels | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const confidence = v.confidence;
  if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) return undefined;
  const out: Record<string, unknown> = {};
  if (!readLabels(v, out)) return undefined;
  out.confidence = confidence;
  return out as ScoredLabels;
}

/**
 * Validate a tier's answer into the result a row gets: the labels and who produced them,
 * the consistency rules applied. One object is made: every row takes this path.
 */
export function toLabelResult(value: unknown, provider: string): LabelResult | undefined {
  const labels = toScoredLabels(value) as LabelResult | undefined;
  if (!labels) return undefined;
  labels.provider = provider;
  return applyConsistency(labels);
}
