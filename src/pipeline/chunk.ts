import type { LabelResult } from '../labels.js';
import type { TierItem, TierUsage } from '../tiers/tier.js';
import type { ClassifierStats } from './classify.js';
import type { Pipeline } from './pipeline.js';

/** What a run needs from the classification engine, in-process or in a worker thread. */
export interface ChunkClassifier {
  /** Names of the live tiers, best first. */
  readonly tierNames: readonly string[];
  /** One result per text, in order; duplicates (same cleaned text) are classified once. */
  classifyChunk(texts: readonly string[]): Promise<LabelResult[]>;
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
 */
class RecentResults {
  private young = new Map<string, LabelResult>();
  private old = new Map<string, LabelResult>();
  constructor(private readonly limit: number) {}
  get(key: string): LabelResult | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }
  set(key: string, value: LabelResult): void {
    if (this.young.size >= this.limit / 2) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}

/** clean -> dedupe -> classify for one chunk of texts, on this thread. */
export function createChunkClassifier(pipeline: Pipeline, options: { dedupeWindow?: number } = {}): ChunkClassifier {
  const recent = new RecentResults(options.dedupeWindow ?? 50_000);
  let duplicates = 0;
  return {
    tierNames: pipeline.tiers.map((t) => t.name),
    async classifyChunk(texts) {
      const items: TierItem[] = [];
      const slots: (number | LabelResult)[] = new Array(texts.length);
      const seen = new Map<string, number>();
      for (let i = 0; i < texts.length; i++) {
        const item = pipeline.toItem({ id: String(items.length), text: texts[i]! });
        const key = item.tweet.text;
        const known = recent.get(key) ?? seen.get(key);
        if (known !== undefined) slots[i] = known;
        else {
          seen.set(key, items.length);
          slots[i] = items.length;
          items.push(item);
        }
      }
      duplicates += texts.length - items.length;
      const unique = await pipeline.classifier.classify(items);
      for (let i = 0; i < items.length; i++) recent.set(items[i]!.tweet.text, unique[i]!);
      return slots.map((s) => (typeof s === 'number' ? unique[s]! : s));
    },
    async stats() {
      return {
        classifier: structuredClone(pipeline.classifier.stats()),
        usage: Object.fromEntries(pipeline.tiers.map((t) => [t.name, t.usage?.()])),
        duplicates,
      };
    },
    close: () => pipeline.close(),
  };
}
