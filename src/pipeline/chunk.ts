import { INCIDENTS, LABEL_FIELDS, SENTIMENTS, TOPICS, URGENCIES, type LabelResult } from '../labels.js';
import type { CleanTweet, TierItem, TierUsage } from '../tiers/tier.js';
import type { ClassifierStats } from './classify.js';
import type { Pipeline } from './pipeline.js';
import { tailedSerializer, type OutputFormat } from './write.js';

/** Label and provider counts of one chunk, merged into the run summary. */
export interface ChunkCounts {
  readonly labels: Record<string, Record<string, number>>;
  readonly providers: Record<string, number>;
}

/** What a run needs from the classification engine, in-process or in a worker thread. */
export interface ChunkClassifier {
  /** Names of the live tiers, best first. */
  readonly tierNames: readonly string[];
  /** One result per text, in order; duplicates (same cleaned text) are classified once. */
  classifyChunk(texts: readonly string[]): Promise<LabelResult[]>;
  /**
   * Labels whole input rows and returns them serialized with the label cells appended:
   * serializing where the labels are spares the reading thread a copy of every result.
   * The engine thread returns UTF-8 bytes (see worker.ts), this thread a string.
   * `tweets`: the texts already cleaned, one per row (the engine thread's client cleans
   * them on the reading thread, which has time to spare); cleaned here when absent.
   */
  labelRows(
    rows: readonly (readonly unknown[])[],
    textIndex: number,
    tweets?: readonly CleanTweet[],
  ): Promise<{ serialized: string | Uint8Array; counts: ChunkCounts }>;
  stats(): Promise<EngineStats>;
  close(): Promise<void>;
}

export interface EngineStats {
  readonly classifier: ClassifierStats;
  readonly usage: Readonly<Record<string, TierUsage | undefined>>;
  /** Rows that reused the labels of an identical cleaned text seen earlier in the run. */
  readonly duplicates: number;
}

/**
 * Remembers about `limit` recent results in two generations: when the young one fills, it
 * becomes the old one. O(1) per operation; evicting the oldest key of one big Map instead
 * degrades (deleted slots pile up at its front and every `keys().next()` walks them).
 * Equal results are stored as one shared object: the window is the engine thread's largest
 * live data, and a run has few distinct label sets (rules: a few dozen), so it holds texts
 * rather than 50k copies of the same labels, which also leaves less for the GC to promote.
 */
class RecentResults {
  private young = new Map<string, LabelResult>();
  private old = new Map<string, LabelResult>();
  private shared = new SharedResults();
  constructor(private readonly limit: number) {}
  get(key: string): LabelResult | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }
  /** Stores `value` under `key`; returns the shared object it was stored as. */
  set(key: string, value: LabelResult): LabelResult {
    if (this.young.size >= this.limit / 2) {
      this.old = this.young;
      this.young = new Map();
    }
    const stored = this.shared.intern(value);
    this.young.set(key, stored);
    return stored;
  }
}

const SENTIMENT_INDEX = indexOf(SENTIMENTS);
const TOPIC_INDEX = indexOf(TOPICS);
const INCIDENT_INDEX = indexOf(INCIDENTS);
const URGENCY_INDEX = indexOf(URGENCIES);

function indexOf(values: readonly string[]): Record<string, number> {
  return Object.fromEntries(values.map((v, i) => [v, i]));
}

/**
 * One object per distinct result. Results are grouped by their labels as a small number
 * (a string signature was measurably slower: it turns the confidence into a string); a
 * group keeps a few confidence/provider variants, and tiers with free-form confidences
 * simply stop being shared past that, which keeps this bounded.
 */
class SharedResults {
  private readonly groups = new Map<number, LabelResult[]>();
  intern(r: LabelResult): LabelResult {
    const labels =
      ((((r.is_claim ? 1 : 0) * 3 + SENTIMENT_INDEX[r.sentiment]!) * 6 + TOPIC_INDEX[r.topic]!) * 6 + INCIDENT_INDEX[r.incident]!) * 3 +
      URGENCY_INDEX[r.urgency]!;
    if (Number.isNaN(labels)) return r; // a value outside the taxonomy: never shared
    let group = this.groups.get(labels);
    if (!group) this.groups.set(labels, (group = []));
    for (const known of group) if (known.confidence === r.confidence && known.provider === r.provider) return known;
    if (group.length < 8) group.push(r);
    return r;
  }
}

export function labelCells(r: LabelResult): unknown[] {
  return [r.is_claim, r.sentiment, r.topic, r.incident, r.urgency, Math.round(r.confidence * 1000) / 1000, r.provider];
}

export function countResults(results: readonly LabelResult[]): ChunkCounts {
  const counts: ChunkCounts = { labels: {}, providers: {} };
  if (results.length === 0) return counts;
  // One bucket per field, made up front (in field order, as the first result would).
  const buckets = LABEL_FIELDS.map((field) => (counts.labels[field] = {}));
  const bump = (bucket: Record<string, number>, value: string): void => {
    bucket[value] = (bucket[value] ?? 0) + 1;
  };
  for (const r of results) {
    for (let f = 0; f < LABEL_FIELDS.length; f++) bump(buckets[f]!, String(r[LABEL_FIELDS[f]!]));
    bump(counts.providers, r.provider);
  }
  return counts;
}

export interface ChunkClassifierOptions {
  readonly dedupeWindow?: number;
  /** How `labelRows` serializes (the output file's format and columns). */
  readonly output?: { readonly format: OutputFormat; readonly columns: readonly string[] };
}

/** clean -> dedupe -> classify for one chunk of texts, on this thread. */
export function createChunkClassifier(pipeline: Pipeline, options: ChunkClassifierOptions = {}): ChunkClassifier {
  const recent = new RecentResults(options.dedupeWindow ?? 50_000);
  const serialize = options.output ? tailedSerializer(options.output.format, options.output.columns, labelCells) : undefined;
  let duplicates = 0;

  /** dedupe -> classify: one result per tweet, in order. */
  async function classifyTweets(tweets: readonly CleanTweet[]): Promise<LabelResult[]> {
    const items: TierItem[] = [];
    const slots: (number | LabelResult)[] = new Array(tweets.length);
    const seen = new Map<string, number>();
    for (let i = 0; i < tweets.length; i++) {
      const tweet = tweets[i]!;
      const known = recent.get(tweet.text) ?? seen.get(tweet.text);
      if (known !== undefined) slots[i] = known;
      else {
        seen.set(tweet.text, items.length);
        slots[i] = items.length;
        items.push({ id: String(items.length), tweet });
      }
    }
    duplicates += tweets.length - items.length;
    const unique = await pipeline.classifier.classify(items);
    // Shared objects out too: the serializer formats each distinct one once.
    for (let i = 0; i < items.length; i++) unique[i] = recent.set(items[i]!.tweet.text, unique[i]!);
    return slots.map((s) => (typeof s === 'number' ? unique[s]! : s));
  }

  const engine: ChunkClassifier = {
    tierNames: pipeline.tiers.map((t) => t.name),
    async labelRows(rows, textIndex, tweets) {
      if (!serialize) throw new Error('labelRows needs the output format and columns');
      const results = await classifyTweets(tweets ?? rows.map((r) => pipeline.toItem({ id: '', text: String(r[textIndex]) }).tweet));
      return { serialized: serialize(rows, results), counts: countResults(results) };
    },
    classifyChunk: (texts) => classifyTweets(texts.map((text) => pipeline.toItem({ id: '', text }).tweet)),
    async stats() {
      return {
        classifier: structuredClone(pipeline.classifier.stats()),
        usage: Object.fromEntries(pipeline.tiers.map((t) => [t.name, t.usage?.()])),
        duplicates,
      };
    },
    close: () => pipeline.close(),
  };
  return engine;
}
