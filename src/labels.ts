// The one label schema (../shared/taxonomy.md). Every tier, the cache, the CLI output, the
// server and the relay use these types; nothing else defines label values.

export const SENTIMENTS = ['negative', 'neutral', 'positive'] as const;
export const TOPICS = ['fibre', 'mobile', 'tv', 'billing', 'customer_service', 'other'] as const;
export const INCIDENTS = ['outage', 'slowness', 'billing', 'support', 'equipment', 'none'] as const;
export const URGENCIES = ['low', 'medium', 'high'] as const;

export type Sentiment = (typeof SENTIMENTS)[number];
export type Topic = (typeof TOPICS)[number];
export type Incident = (typeof INCIDENTS)[number];
export type Urgency = (typeof URGENCIES)[number];

export const LABEL_FIELDS = ['is_claim', 'sentiment', 'topic', 'incident', 'urgency'] as const;
export type LabelField = (typeof LABEL_FIELDS)[number];

/** The allowed values of each field, as the strings that appear in CSV files. */
export const FIELD_VALUES: Readonly<Record<LabelField, readonly string[]>> = {
  is_claim: ['true', 'false'],
  sentiment: SENTIMENTS,
  topic: TOPICS,
  incident: INCIDENTS,
  urgency: URGENCIES,
};

export interface Labels {
  is_claim: boolean;
  sentiment: Sentiment;
  topic: Topic;
  incident: Incident;
  urgency: Urgency;
}

/** What a tier returns for one tweet: the labels and how sure it is (0..1). */
export interface ScoredLabels extends Labels {
  confidence: number;
}

/** A finished result: the labels plus the tier that produced them. */
export interface LabelResult extends ScoredLabels {
  provider: string;
}

/** Output columns appended after the input columns, in this order. */
export const OUTPUT_COLUMNS = [...LABEL_FIELDS, 'confidence', 'provider'] as const;

/** Bump when the taxonomy or its decision rules change: it is part of every cache key. */
export const TAXONOMY_VERSION = 'taxonomy-2026-11';

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
  return field === 'is_claim' ? value === 'true' : value;
}

/** The label values as strings, keyed by field: the form CSV/JSONL output and eval use. */
export function labelStrings(labels: Labels): Record<LabelField, string> {
  return {
    is_claim: labels.is_claim ? 'true' : 'false',
    sentiment: labels.sentiment,
    topic: labels.topic,
    incident: labels.incident,
    urgency: labels.urgency,
  };
}

/**
 * The taxonomy's consistency rules, applied to any tier's answer:
 * `incident=none` implies `urgency=low`. (`is_claim=false` with an incident is allowed: a
 * third party's outage report is `false / outage`.)
 */
export function applyConsistency<T extends Labels>(labels: T): T {
  if (labels.incident === 'none' && labels.urgency !== 'low') return { ...labels, urgency: 'low' };
  return labels;
}

/**
 * Validate a tier's answer into the result a row gets: the labels and who produced them,
 * the consistency rules applied. The result is written out, not spread: every row takes
 * this path, and applyConsistency copies only an inconsistent answer.
 */
export function toLabelResult(value: unknown, provider: string): LabelResult | undefined {
  const labels = toScoredLabels(value);
  if (!labels) return undefined;
  return applyConsistency({
    is_claim: labels.is_claim,
    sentiment: labels.sentiment,
    topic: labels.topic,
    incident: labels.incident,
    urgency: labels.urgency,
    confidence: labels.confidence,
    provider,
  });
}

/** Validate an untrusted object (LLM answer, cache row, API body) into ScoredLabels. */
export function toScoredLabels(value: unknown): ScoredLabels | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const isClaim =
    typeof v.is_claim === 'boolean' ? v.is_claim : v.is_claim === 'true' ? true : v.is_claim === 'false' ? false : undefined;
  if (isClaim === undefined) return undefined;
  for (const field of ['sentiment', 'topic', 'incident', 'urgency'] as const) {
    if (typeof v[field] !== 'string' || !isFieldValue(field, v[field] as string)) return undefined;
  }
  const confidence = typeof v.confidence === 'number' && v.confidence >= 0 && v.confidence <= 1 ? v.confidence : undefined;
  if (confidence === undefined) return undefined;
  return {
    is_claim: isClaim,
    sentiment: v.sentiment as Sentiment,
    topic: v.topic as Topic,
    incident: v.incident as Incident,
    urgency: v.urgency as Urgency,
    confidence,
  };
}
