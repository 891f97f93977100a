import { LABEL_FIELDS, labelsKey, type LabelResult } from '../labels.js';
import type { CleanTweet, TierItem, TierUsage } from '../tiers/tier.js';
import { addCounts, emptyCounts, type Counts } from './counts.js';
import type { Pipeline } from './pipeline.js';
import { markOperator } from './worker-protocol.js';

export { labelCells } from '../labels.js';

/** A chunk's counts (rows, repeats, labels, providers): the one Counts shape. */
export type ChunkCounts = Counts;

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
  /**
   * Labels the rows of a chunk from their raw texts. `tweets`: the same texts already
   * cleaned (the engine thread's client cleans some chunks on the reading thread when it
   * has time to spare); cleaned here when absent. `operator`: 1 for each row posted by one of
   * the operator's accounts (the input's author column), a signal for the rules and the
   * model; already folded into `tweets` when those are given.
   */
  labelTexts(texts: readonly string[] | undefined, tweets?: readonly CleanTweet[], operator?: Uint8Array): Promise<LabeledChunk>;
  stats(): Promise<EngineStats>;
  close(): Promise<void>;
}

export interface EngineStats {
  /** The engine's counters since it started. */
  readonly counts: Counts;
  readonly usage: Readonly<Record<string, TierUsage | undefined>>;
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

/**
 * One object per distinct result. Results are grouped by their labels as a small number
 * (a string signature was measurably slower: it turns the confidence into a string); a
 * group keeps a few confidence/provider variants, and tiers with free-form confidences
 * simply stop being shared past that, which keeps this bounded.
 */
class SharedResults {
  private readonly groups = new Map<number, LabelResult[]>();
  intern(r: LabelResult): LabelResult {
    const labels = labelsKey(r);
    if (Number.isNaN(labels)) return r; // a value outside the taxonomy: never shared
    let group = this.groups.get(labels);
    if (!group) this.groups.set(labels, (group = []));
    for (const known of group) if (known.confidence === r.confidence && known.provider === r.provider) return known;
    if (group.length < 8) group.push(r);
    return r;
  }
}

/** Each row's index into the distinct results, and the counts of the rows. */
export function codeResults(results: readonly LabelResult[], duplicates = 0): LabeledChunk {
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
  const counts = emptyCounts();
  counts.rows = results.length;
  counts.duplicates = duplicates;
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

export function countResults(results: readonly LabelResult[], duplicates = 0): Counts {
  return codeResults(results, duplicates).counts;
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

// The same text from the operator and from a customer gets two answers (the author is a
// signal), so repeats are found by text and author, as the cache keys them.
const repeatKey = (tweet: CleanTweet): string => (tweet.fromOperator ? `\u0000operator\u0000${tweet.text}` : tweet.text);

// Item ids are positions in the chunk: their strings are made once, not per row.
const IDS: string[] = [];
const idOf = (i: number): string => IDS[i] ?? (IDS[i] = String(i));

/** A chunk being classified: its distinct texts' positions in `results`. */
interface PendingChunk {
  readonly positions: ReadonlyMap<string, number>;
  readonly results: Promise<LabelResult[]>;
}

/** clean -> dedupe -> classify for one chunk of texts, on this thread. */
export function createChunkClassifier(pipeline: Pipeline, options: ChunkClassifierOptions = {}): ChunkClassifier {
  const recent = new RecentResults(options.dedupeWindow ?? DEDUPE_WINDOW);

  // Chunks still being classified (several are in flight), each with its texts' positions:
  // a repeat of one waits for its answer instead of being classified again. Without this, a
  // run counted fewer duplicates cold (slow tiers, chunks overlapping) than warm (cache hits,
  // no overlap). Kept per chunk, not per text: a synchronous tier (the rules) finishes a
  // chunk before the next arrives, and a promise made for every text cost a rules run about
  // a tenth of its rows/s. A promise is made only for a repeat that waits.
  const inFlight = new Set<PendingChunk>();
  const pendingAnswer = (key: string): Promise<LabelResult> | undefined => {
    for (const chunk of inFlight) {
      const at = chunk.positions.get(key);
      if (at === undefined) continue;
      const answer = chunk.results.then((unique) => unique[at]!);
      // The other chunk may fail before this one awaits it (or this one fail first and never
      // await it): unhandled, that rejection would end the process. This chunk's own await
      // reports a failure.
      answer.catch(() => undefined);
      return answer;
    }
    return undefined;
  };

  /** dedupe -> classify: one result per tweet, in order, and how many were repeats. */
  async function classifyTweets(tweets: readonly CleanTweet[]): Promise<LabeledChunk> {
    const items: TierItem[] = [];
    const slots: (number | LabelResult | Promise<LabelResult>)[] = new Array(tweets.length);
    const positions = new Map<string, number>();
    let waits = false;
    for (let i = 0; i < tweets.length; i++) {
      const tweet = tweets[i]!;
      const key = repeatKey(tweet);
      const known = recent.get(key) ?? positions.get(key) ?? (inFlight.size > 0 ? pendingAnswer(key) : undefined);
      if (known !== undefined) {
        slots[i] = known;
        if (typeof known === 'object' && 'then' in known) waits = true;
      } else {
        positions.set(key, items.length);
        slots[i] = items.length;
        items.push({ id: idOf(items.length), tweet });
      }
    }
    const pending: PendingChunk = { positions, results: pipeline.classifier.classify(items) };
    pending.results.catch(() => undefined); // the chunk's own await reports a failure
    inFlight.add(pending);
    let unique: LabelResult[];
    try {
      unique = await pending.results;
      // Shared objects out too: a chunk sends each distinct one once.
      for (let i = 0; i < items.length; i++) unique[i] = recent.set(repeatKey(items[i]!.tweet), unique[i]!);
    } finally {
      inFlight.delete(pending);
    }
    const results = waits
      ? await Promise.all(slots.map((s) => (typeof s === 'number' ? unique[s]! : s)))
      : slots.map((s) => (typeof s === 'number' ? unique[s]! : (s as LabelResult)));
    const labeled = codeResults(results, tweets.length - items.length);
    addCounts(pipeline.counts, labeled.counts);
    return labeled;
  }

  const engine: ChunkClassifier = {
    tierNames: pipeline.tiers.map((t) => t.name),
    async labelTexts(texts, tweets, operator) {
      if (!tweets && !texts) throw new Error('labelTexts: no texts');
      return classifyTweets(tweets ?? markOperator(texts!.map((text) => pipeline.clean(text)), operator));
    },
    async stats() {
      return {
        counts: structuredClone(pipeline.counts),
        usage: Object.fromEntries(pipeline.tiers.map((t) => [t.name, t.usage?.()])),
      };
    },
    close: () => pipeline.close(),
  };
  return engine;
}
