// Spike detection, pure. Counts are first put on a scale where a Poisson count's spread is
// about 1 whatever its mean (Anscombe: y = 2·√(x + 3/8)); a bucket is then a spike when it
// stands well above the median of the `window` buckets before it, in robust units:
//
//   y        = 2·√(count + 3/8)
//   baseline = median(y of the previous window), scale = max(1.4826 × MAD(those y), 1)
//   score    = (y − baseline) / scale
//   alert when count ≥ minCount and score ≥ threshold, with at least ⌈window/2⌉ buckets before
//
// The median and the MAD ignore an earlier spike in the window; 1.4826 × MAD estimates a
// standard deviation, and the floor of 1 is a Poisson count's own noise, so a baseline that
// never moved (MAD 0) does not turn a small rise into an infinite score. On the raw scale a
// rise from 3 to 9 and one from 300 to 306 would score alike; on this one they do not.
// `expected` is reported on the count scale: the median of the previous counts.

export interface SpikeOptions {
  /** Previous buckets the baseline is taken from. */
  readonly window: number;
  /** Smallest count that can alert: a rise from 0 to 2 is noise, whatever its score. */
  readonly minCount: number;
  /** Robust z-score at or above which a bucket alerts. */
  readonly threshold: number;
}

export const DEFAULT_SPIKE_OPTIONS: SpikeOptions = { window: 14, minCount: 5, threshold: 4 };

export interface Spike {
  /** Position of the bucket in the series. */
  readonly index: number;
  readonly count: number;
  readonly expected: number;
  readonly score: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function detectSpikes(counts: readonly number[], options: SpikeOptions = DEFAULT_SPIKE_OPTIONS): Spike[] {
  const spikes: Spike[] = [];
  const minHistory = Math.ceil(options.window / 2);
  const y = counts.map((x) => 2 * Math.sqrt(x + 0.375));
  for (let i = minHistory; i < counts.length; i++) {
    const count = counts[i]!;
    if (count < options.minCount) continue;
    const from = Math.max(0, i - options.window);
    const history = y.slice(from, i);
    const baseline = median(history);
    const scale = Math.max(1.4826 * median(history.map((v) => Math.abs(v - baseline))), 1);
    const score = (y[i]! - baseline) / scale;
    if (score >= options.threshold) spikes.push({ index: i, count, expected: median(counts.slice(from, i)), score: Math.round(score * 100) / 100 });
  }
  return spikes;
}
