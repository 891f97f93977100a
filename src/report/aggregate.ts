import { INCIDENTS, SENTIMENTS, TOPICS, URGENCIES, type Incident, type Sentiment, type Topic, type Urgency } from '../labels.js';
import type { Alert, Bucket, Granularity, Matrix, ReportData, UrgentClaim } from './report-data.js';
import { DEFAULT_SPIKE_OPTIONS, detectSpikes, type SpikeOptions } from './spikes.js';
import { termsOf, TopTerms } from './terms.js';
import { DAY, isoInZone, type Zone } from './zone.js';

// Streaming aggregation: every row goes into fixed-size counters (per-hour buckets grow
// with the time span, never with the row count), so a million rows cost what a thousand do.

export interface AggregateRow {
  readonly isClaim: boolean;
  readonly sentiment: Sentiment;
  readonly topic: Topic;
  readonly incident: Incident;
  readonly urgency: Urgency;
  readonly confidence: number;
  readonly provider: string;
  /** Absent for counted-only traffic (the server's API calls): no terms, not listed. */
  readonly text?: string | undefined;
  /** Epoch ms, or undefined when the row has no date. */
  readonly at?: number | undefined;
  /** Where the row came from, `file:line`, for the urgent list. */
  readonly source?: string | undefined;
}

export interface FinishOptions {
  readonly by?: Granularity | undefined;
  readonly spikes?: Partial<SpikeOptions> | undefined;
  readonly dateColumn: string | null;
  readonly sources: readonly string[];
  readonly now?: Date;
}

export interface Aggregator {
  add(row: AggregateRow): void;
  /** A row whose date cell could not be read: counted, the first one named. */
  unparseableDate(source: string): void;
  readonly rows: number;
  /** The figures so far; the aggregator keeps counting afterwards (the server calls it often). */
  finish(options: FinishOptions): ReportData;
}

const HOUR = 3_600_000;
const S = index(SENTIMENTS);
const T = index(TOPICS);
const I = index(INCIDENTS);
const U = index(URGENCIES);
// Per-hour counters: rows, claims, sentiment ×3, claims per incident ×6.
const H_ROWS = 0;
const H_CLAIMS = 1;
const H_SENT = 2;
const H_INC = H_SENT + SENTIMENTS.length;
const H_SIZE = H_INC + INCIDENTS.length;
const URGENT_KEPT = 20;
const TERMS_SHOWN = 10;
const CONFIDENCE_BINS = 10;
// A series longer than this is unreadable as one chart; the default granularity never makes one.
export const MAX_BUCKETS = 5000;

function index(values: readonly string[]): Record<string, number> {
  return Object.fromEntries(values.map((v, i) => [v, i]));
}

const zeros = (rows: number, columns: number): number[][] => Array.from({ length: rows }, () => new Array<number>(columns).fill(0));
const ratio = (a: number, b: number, digits = 4): number => (b === 0 ? 0 : Math.round((a / b) * 10 ** digits) / 10 ** digits);

/** The urgent list's order: urgency, then confidence, then the latest. */
function urgentRank(a: { urgency: Urgency; confidence: number; at: number }, b: typeof a): number {
  return U[b.urgency]! - U[a.urgency]! || b.confidence - a.confidence || b.at - a.at;
}

/** Granularity picked from the span: hours up to 3 days, days up to 120, weeks beyond. */
export function defaultGranularity(spanMs: number): Granularity {
  if (spanMs <= 3 * DAY) return 'hour';
  if (spanMs <= 120 * DAY) return 'day';
  return 'week';
}

/** Previous buckets a spike is measured against, per granularity: a day, two weeks, two months. */
const SPIKE_WINDOW: Record<Granularity, number> = { hour: 24, day: 14, week: 8 };

export function createAggregator(options: { zone: Zone; escalateBelow: number }): Aggregator {
  const { zone, escalateBelow } = options;
  let rows = 0;
  let claims = 0;
  let highUrgency = 0;
  let confidenceSum = 0;
  let below = 0;
  const sentiment = new Array<number>(SENTIMENTS.length).fill(0);
  const providers = new Map<string, number>();
  const confidence = new Array<number>(CONFIDENCE_BINS).fill(0);
  const topicIncident = zeros(TOPICS.length, INCIDENTS.length);
  const urgencyTopic = zeros(URGENCIES.length, TOPICS.length);
  const dayHour = zeros(7, 24);
  const hours = new Map<number, Float64Array>();
  const terms = INCIDENTS.map(() => new TopTerms());
  let urgent: (UrgentClaim & { at: number })[] = [];
  let first = Infinity;
  let last = -Infinity;
  let unparseable = 0;
  let firstUnparseable: string | null = null;

  function addUrgent(row: AggregateRow, text: string): void {
    const at = row.at ?? -Infinity;
    const candidate = { urgency: row.urgency, confidence: row.confidence, at };
    // Most rows lose to the current last entry: one comparison, no allocation.
    if (urgent.length >= URGENT_KEPT && urgentRank(candidate, urgent[URGENT_KEPT - 1]!) >= 0) return;
    const claim = {
      source: row.source ?? '',
      date: row.at === undefined ? null : isoInZone(row.at, zone),
      text,
      sentiment: row.sentiment,
      topic: row.topic,
      incident: row.incident,
      urgency: row.urgency,
      confidence: row.confidence,
      at,
    };
    urgent.push(claim);
    urgent.sort(urgentRank);
    if (urgent.length > URGENT_KEPT) urgent = urgent.slice(0, URGENT_KEPT);
  }

  function bucketsOf(by: Granularity): { keys: number[]; counts: Float64Array[]; startWall: (k: number) => number; size: number } {
    // Keys are wall-clock bucket starts in ms (hours since the epoch in the zone, rolled up).
    const size = by === 'hour' ? HOUR : by === 'day' ? DAY : 7 * DAY;
    const keyOf = (hour: number): number => {
      const wall = hour * HOUR;
      if (by === 'hour') return wall;
      const day = Math.floor(wall / DAY);
      if (by === 'day') return day * DAY;
      // 1970-01-01 was a Thursday: weeks start on Monday.
      return (day - ((day + 3) % 7)) * DAY;
    };
    const rolled = new Map<number, Float64Array>();
    for (const [hour, counts] of hours) {
      const key = keyOf(hour);
      let into = rolled.get(key);
      if (!into) rolled.set(key, (into = new Float64Array(H_SIZE)));
      for (let i = 0; i < H_SIZE; i++) into[i]! += counts[i]!;
    }
    const present = [...rolled.keys()].sort((a, b) => a - b);
    const keys: number[] = [];
    if (present.length > 0) {
      const n = Math.round((present.at(-1)! - present[0]!) / size) + 1;
      if (n > MAX_BUCKETS) return { keys: [], counts: [], startWall: (k) => k, size: -n };
      for (let k = present[0]!; k <= present.at(-1)!; k += size) keys.push(k);
    }
    return { keys, counts: keys.map((k) => rolled.get(k) ?? new Float64Array(H_SIZE)), startWall: (k) => k, size };
  }

  return {
    get rows() {
      return rows;
    },
    add(row) {
      rows++;
      const s = S[row.sentiment]!;
      const t = T[row.topic]!;
      const i = I[row.incident]!;
      const u = U[row.urgency]!;
      sentiment[s]!++;
      if (row.isClaim) claims++;
      if (row.urgency === 'high') highUrgency++;
      confidenceSum += row.confidence;
      if (row.confidence < escalateBelow) below++;
      confidence[Math.min(CONFIDENCE_BINS - 1, Math.floor(row.confidence * CONFIDENCE_BINS))]!++;
      providers.set(row.provider, (providers.get(row.provider) ?? 0) + 1);
      topicIncident[t]![i]!++;
      urgencyTopic[u]![t]!++;
      if (row.at !== undefined) {
        if (row.at < first) first = row.at;
        if (row.at > last) last = row.at;
        const wall = row.at + zone.offsetAt(row.at);
        const hour = Math.floor(wall / HOUR);
        const day = Math.floor(wall / DAY);
        dayHour[(day + 3) % 7]![hour - day * 24]!++;
        let counts = hours.get(hour);
        if (!counts) hours.set(hour, (counts = new Float64Array(H_SIZE)));
        counts[H_ROWS]!++;
        counts[H_SENT + s]!++;
        if (row.isClaim) {
          counts[H_CLAIMS]!++;
          counts[H_INC + i]!++;
        }
      }
      if (row.isClaim && row.text !== undefined) {
        for (const term of termsOf(row.text)) terms[i]!.add(term);
        addUrgent(row, row.text);
      }
    },
    unparseableDate(source) {
      unparseable++;
      firstUnparseable ??= source;
    },
    finish(opts) {
      const dated = hours.size > 0;
      const by = dated ? (opts.by ?? defaultGranularity(last - first)) : null;
      const series: Bucket[] = [];
      const alerts: Alert[] = [];
      if (by) {
        const b = bucketsOf(by);
        if (b.size < 0) {
          throw new RangeError(`${-b.size} ${by} buckets between ${isoInZone(first, zone)} and ${isoInZone(last, zone)}, over ${MAX_BUCKETS}`);
        }
        b.keys.forEach((key, n) => {
          const c = b.counts[n]!;
          const start = zone.fromWall(key);
          const end = zone.fromWall(key + b.size);
          const wallIso = new Date(key).toISOString();
          series.push({
            start: isoInZone(start, zone),
            end: isoInZone(end, zone),
            label: by === 'hour' ? `${wallIso.slice(0, 10)} ${wallIso.slice(11, 16)}` : wallIso.slice(0, 10),
            count: c[H_ROWS]!,
            claims: c[H_CLAIMS]!,
            claimRate: ratio(c[H_CLAIMS]!, c[H_ROWS]!),
            sentiment: Object.fromEntries(SENTIMENTS.map((v, k) => [v, c[H_SENT + k]!])) as Record<Sentiment, number>,
            incidentClaims: Object.fromEntries(INCIDENTS.map((v, k) => [v, c[H_INC + k]!])) as Record<Incident, number>,
          });
        });
        // Options left undefined keep their default (a spread would copy the undefined).
        const given = Object.fromEntries(Object.entries(opts.spikes ?? {}).filter(([, value]) => value !== undefined));
        const spikeOptions: SpikeOptions = { ...DEFAULT_SPIKE_OPTIONS, window: SPIKE_WINDOW[by], ...given };
        for (const incident of INCIDENTS) {
          if (incident === 'none') continue;
          for (const spike of detectSpikes(series.map((bucket) => bucket.incidentClaims[incident]), spikeOptions)) {
            const bucket = series[spike.index]!;
            alerts.push({ start: bucket.start, end: bucket.end, field: 'incident', value: incident, count: spike.count, expected: spike.expected, score: spike.score });
          }
        }
        // In time order; within a bucket, outages first (the order of INCIDENTS).
        alerts.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : I[a.value]! - I[b.value]!));
      }
      const matrix = (rowNames: readonly string[], columns: readonly string[], values: number[][]): Matrix => ({ rows: rowNames, columns, values: values.map((r) => [...r]) });
      return {
        generatedAt: (opts.now ?? new Date()).toISOString(),
        sources: opts.sources,
        dates: {
          column: opts.dateColumn,
          tz: zone.name,
          by,
          first: dated ? isoInZone(first, zone) : null,
          last: dated ? isoInZone(last, zone) : null,
          unparseable,
          firstUnparseable,
        },
        kpis: {
          volume: rows,
          claims,
          claimRate: ratio(claims, rows),
          satisfaction: rows === 0 ? 0 : Math.round(((100 * (sentiment[S.positive!]! + 0.5 * sentiment[S.neutral!]!)) / rows) * 10) / 10,
          highUrgencyShare: ratio(highUrgency, rows),
          meanConfidence: ratio(confidenceSum, rows, 3),
          providers: Object.fromEntries([...providers].sort((a, b) => b[1] - a[1])),
          belowThreshold: { threshold: escalateBelow, count: below, share: ratio(below, rows) },
        },
        series,
        matrices: {
          topicIncident: matrix(TOPICS, INCIDENTS, topicIncident),
          urgencyTopic: matrix(URGENCIES, TOPICS, urgencyTopic),
          dayHour: dated ? matrix(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], Array.from({ length: 24 }, (_, h) => String(h)), dayHour) : null,
        },
        terms: Object.fromEntries(INCIDENTS.map((inc, k) => [inc, terms[k]!.top(TERMS_SHOWN)] as const).filter(([, top]) => top.length > 0)),
        confidence: { bins: Array.from({ length: CONFIDENCE_BINS }, (_, k) => k / CONFIDENCE_BINS), counts: [...confidence] },
        urgentClaims: urgent.map(({ at: _at, ...claim }) => claim),
        alerts,
      };
    },
  };
}
