import type { Incident, Sentiment, Topic, Urgency } from '../labels.js';

// The figures of a report: what `--json` writes, what the HTML and the dashboard's Trends
// view draw their charts from. Plain data, no functions: it crosses HTTP as it is.

export type Granularity = 'hour' | 'day' | 'week';

export interface Alert {
  /** The bucket, as wall-clock instants with their offset in the report's zone. */
  readonly start: string;
  readonly end: string;
  readonly field: 'incident';
  readonly value: Incident;
  /** Claims of that incident in the bucket. */
  readonly count: number;
  /** Median of the buckets before it. */
  readonly expected: number;
  /** Robust z-score (README, "Spike alerts"). */
  readonly score: number;
}

export interface Bucket {
  readonly start: string;
  readonly end: string;
  /** Short wall-clock label: `2024-03-05`, `2024-03-05 14:00`. */
  readonly label: string;
  readonly count: number;
  readonly claims: number;
  readonly claimRate: number;
  readonly sentiment: Record<Sentiment, number>;
  readonly incidentClaims: Record<Incident, number>;
}

export interface Matrix {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  /** values[row][column] */
  readonly values: readonly (readonly number[])[];
}

export interface UrgentClaim {
  readonly source: string;
  readonly date: string | null;
  readonly text: string;
  readonly sentiment: Sentiment;
  readonly topic: Topic;
  readonly incident: Incident;
  readonly urgency: Urgency;
  readonly confidence: number;
}

export interface Kpis {
  readonly volume: number;
  readonly claims: number;
  readonly claimRate: number;
  /** 100 × (positive + ½ neutral) / rows: 0 all negative, 50 balanced, 100 all positive. */
  readonly satisfaction: number;
  readonly highUrgencyShare: number;
  readonly meanConfidence: number;
  readonly providers: Record<string, number>;
  readonly belowThreshold: { readonly threshold: number; readonly count: number; readonly share: number };
}

export interface ReportData {
  readonly generatedAt: string;
  readonly sources: readonly string[];
  readonly dates: {
    /** The date column read, or null: then there are no time charts. */
    readonly column: string | null;
    readonly tz: string;
    readonly by: Granularity | null;
    readonly first: string | null;
    readonly last: string | null;
    /** Rows whose date cell could not be read (left out of the time charts only). */
    readonly unparseable: number;
    readonly firstUnparseable: string | null;
  };
  readonly kpis: Kpis;
  readonly series: readonly Bucket[];
  readonly matrices: { readonly topicIncident: Matrix; readonly urgencyTopic: Matrix; readonly dayHour: Matrix | null };
  /** Top terms of claims per incident (counts are lower bounds: README, "fmc report"). */
  readonly terms: Partial<Record<Incident, readonly { term: string; count: number }[]>>;
  readonly confidence: { readonly bins: readonly number[]; readonly counts: readonly number[] };
  readonly urgentClaims: readonly UrgentClaim[];
  readonly alerts: readonly Alert[];
}
