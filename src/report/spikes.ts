// Spike detection, pure. A bucket is a spike when its count stands well above the median of
// the `window` buckets before it, measured in robust units:
//
//   expected = median(previous window)
//   scale    = max(1.4826 × MAD(previous window), √max(expected, 1))
//   score    = (count − expected) / scale
//   alert when count ≥ minCount and score ≥ threshold, with at least ⌈window/2⌉ buckets of history
//
// 1.4826 × MAD estimates a standard deviation that one earlier spike cannot inflate. The √
// floor is the Poisson spread of a count: a baseline that never moved (MAD 0) would otherwise
// turn any small rise into an infinite score.

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
  for (let i = minHistory; i < counts.length; i++) {
    const count = counts[i]!;
    if (count < options.minCount) continue;
    const history = counts.slice(Math.max(0, i - options.window), i);
    const expected = median(history);
    const mad = median(history.map((x) => Math.abs(x - expected)));
    const scale = Math.max(1.4826 * mad, Math.sqrt(Math.max(expected, 1)));
    const score = (count - expected) / scale;
    if (score >= options.threshold) spikes.push({ index: i, count, expected, score: Math.round(score * 100) / 100 });
  }
  return spikes;
}
