import { INCIDENTS, LABEL_FIELDS, SENTIMENTS, TOPICS, URGENCIES, type LabelResult } from '../labels.js';
import type { CleanTweet, TierItem, TierUsage } from '../tiers/tier.js';
import type { ClassifierStats } from './classify.js';
import type { Pipeline } from './pipeline.js';

/** Label and provider counts of one chunk, merged into the run summary. */
export interface ChunkCounts {
  readonly labels: Record<string, Record<string, number>>;
  readonly providers: Record<string, number>;
}

/**
 * The labels of a chunk of rows, compact: a run has few distinct results (the engine shares
 * equal ones), so each row carries an index and each distinct result crosses threads once.
 */
export interface LabeledChunk {
  /** Per row, the index of its result in `distinct`. */
  readonly codes: Uint32Array;
  readonly distinct: readonly LabelResult[];
  readonly counts: ChunkCounts;
}

/** What a run needs from the classification engine, in-process or in a worker thread. */
export interface ChunkClassifier {
  /** Names of the live tiers, best first. */
  readonly tierNames: readonly string[];
  /** One result per text, in order; duplicates (same cleaned text) are classified once. */
  classifyChunk(texts: readonly string[]): Promise<LabelResult[]>;
  /**
   * Labels the rows of a chunk from their raw texts. `tweets`: the same texts already
   * cleaned (the engine thread's client cleans some chunks on the reading thread when it
   * has time to spare); cleaned here when absent.
   */
  labelTexts(texts: readonly string[] | undefined, tweets?: readonly CleanTweet[]): Promise<LabeledChunk>;
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
 * rather than thousands of copies of the same labels, which also leaves less for the GC to promote.
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

/** Each row's index into the distinct results, and the label and provider counts. */
export function codeResults(results: readonly LabelResult[]): LabeledChunk {
  const codes = new Uint32Array(results.length);
  const distinct: LabelResult[] = [];
  const index = new Map<LabelResult, number>();
  const times: number[] = [];
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    let code = index.get(r);
    if (code === undefined) {
      code = distinct.length;
      index.set(r, code);
      distinct.push(r);
      times.push(0);
    }
    codes[i] = code;
    times[code]!++;
  }
  const counts: ChunkCounts = { labels: {}, providers: {} };
  if (results.length > 0) {
    // One bucket per field, made up front (in field order, as the first result would).
    const buckets = LABEL_FIELDS.map((field) => (counts.labels[field] = {}));
    const add = (bucket: Record<string, number>, value: string, n: number): void => {
      bucket[value] = (bucket[value] ?? 0) + n;
    };
    distinct.forEach((r, k) => {
      for (let f = 0; f < LABEL_FIELDS.length; f++) add(buckets[f]!, String(r[LABEL_FIELDS[f]!]), times[k]!);
      add(counts.providers, r.provider, times[k]!);
    });
  }
  return { codes, distinct, counts };
}

export function countResults(results: readonly LabelResult[]): ChunkCounts {
  return codeResults(results).counts;
}

/**
 * Rows back that a repeated text is recognised across chunks. Repeats further apart still
 * cost a paid tier nothing (its answers are cached as they come); a longer window kept every
 * text alive long enough to reach V8's old generation, which cost a rules run 6% of its
 * speed and 20 MB (50k rows measured against 8k).
 */
const DEDUPE_WINDOW = 8_000;

export interface ChunkClassifierOptions {
  readonly dedupeWindow?: number;
}

// Item ids are positions in the chunk: their strings are made once, not per row.
const IDS: string[] = [];
const idOf = (i: number): string => IDS[i] ?? (IDS[i] = String(i));

/** clean -> dedupe -> classify for one chunk of texts, on this thread. */
export function createChunkClassifier(pipeline: Pipeline, options: ChunkClassifierOptions = {}): ChunkClassifier {
  const recent = new RecentResults(options.dedupeWindow ?? DEDUPE_WINDOW);
  let duplicates = 0;

  // Texts of chunks still being classified (several are in flight): a repeat of one waits
  // for its answer instead of being classified again. Without this, a run counted fewer
  // duplicates cold (slow tiers, chunks overlapping) than warm (cache hits, no overlap).
  const inFlight = new Map<string, Promise<LabelResult>>();

  /** dedupe -> classify: one result per tweet, in order. */
  async function classifyTweets(tweets: readonly CleanTweet[]): Promise<LabelResult[]> {
    const items: TierItem[] = [];
    const slots: (number | LabelResult | Promise<LabelResult>)[] = new Array(tweets.length);
    const seen = new Map<string, number>();
    let waits = false;
    for (let i = 0; i < tweets.length; i++) {
      const tweet = tweets[i]!;
      const known = recent.get(tweet.text) ?? seen.get(tweet.text) ?? inFlight.get(tweet.text);
      if (known !== undefined) {
        slots[i] = known;
        if (typeof known === 'object' && 'then' in known) waits = true;
      } else {
        seen.set(tweet.text, items.length);
        slots[i] = items.length;
        items.push({ id: idOf(items.length), tweet });
      }
    }
    duplicates += tweets.length - items.length;
    const classified = pipeline.classifier.classify(items);
    for (let i = 0; i < items.length; i++) {
      const text = items[i]!.tweet.text;
      const answer = classified.then((unique) => unique[i]!);
      answer.catch(() => undefined); // the chunk's own await reports a failure
      inFlight.set(text, answer);
    }
    let unique: LabelResult[];
    try {
      unique = await classified;
      // Shared objects out too: a chunk sends each distinct one once.
      for (let i = 0; i < items.length; i++) unique[i] = recent.set(items[i]!.tweet.text, unique[i]!);
    } finally {
      for (const item of items) inFlight.delete(item.tweet.text);
    }
    if (!waits) return slots.map((s) => (typeof s === 'number' ? unique[s]! : (s as LabelResult)));
    return Promise.all(slots.map((s) => (typeof s === 'number' ? unique[s]! : s)));
  }

  const engine: ChunkClassifier = {
    tierNames: pipeline.tiers.map((t) => t.name),
    async labelTexts(texts, tweets) {
      if (!tweets && !texts) throw new Error('labelTexts: no texts');
      return codeResults(await classifyTweets(tweets ?? texts!.map((text) => pipeline.toItem({ id: '', text }).tweet)));
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
