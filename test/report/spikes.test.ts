import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectSpikes, median } from '../../src/report/spikes.js';

const options = { window: 14, minCount: 5, threshold: 4 };

/** A seeded generator (mulberry32): the quiet series are random but the same every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Poisson counts of mean `lambda` (Knuth), from `rand`. */
function poisson(lambda: number, rand: () => number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  for (let p = rand(); p > limit; p *= rand()) k++;
  return k;
}

test('spikes: median', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([]), 0);
});

test('spikes: known spikes in a noisy series are found, at their index, nothing else', () => {
  const rand = random(7);
  const series = Array.from({ length: 60 }, () => poisson(10, rand));
  series[20] = 45;
  series[41] = 38;
  const found = detectSpikes(series, options);
  assert.deepEqual(
    found.map((s) => s.index),
    [20, 41],
  );
  const first = found[0]!;
  assert.equal(first.count, 45);
  assert.ok(first.expected >= 7 && first.expected <= 13, `expected ≈ 10, got ${first.expected}`);
  assert.ok(first.score >= 4);
});

test('spikes: a rise from a flat zero baseline alerts once it reaches the minimum count', () => {
  const series = [...new Array(20).fill(0), 12, 0, 0, 3];
  const found = detectSpikes(series, options);
  assert.deepEqual(found.map((s) => [s.index, s.count, s.expected]), [[20, 12, 0]]);
});

test('spikes: one earlier spike does not hide the next (the baseline is a median)', () => {
  const series = [...new Array(14).fill(4), 30, 4, 4, 31, 4];
  assert.deepEqual(detectSpikes(series, options).map((s) => s.index), [14, 17]);
});

test('spikes: quiet series raise nothing', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const rand = random(seed);
    for (const lambda of [0.5, 3, 10, 50]) {
      const series = Array.from({ length: 200 }, () => poisson(lambda, rand));
      assert.deepEqual(detectSpikes(series, options), [], `seed ${seed}, mean ${lambda}`);
    }
  }
  // Constant, empty, too short, a slow steady growth, a weekly rhythm.
  assert.deepEqual(detectSpikes(new Array(50).fill(8), options), []);
  assert.deepEqual(detectSpikes([], options), []);
  assert.deepEqual(detectSpikes([0, 0, 50], options), [], 'not enough history to judge');
  assert.deepEqual(detectSpikes(Array.from({ length: 100 }, (_, i) => 10 + Math.floor(i / 4)), options), []);
  assert.deepEqual(detectSpikes(Array.from({ length: 98 }, (_, i) => (i % 7 >= 5 ? 4 : 12)), options), []);
});

test('spikes: below the minimum count nothing alerts, whatever the score', () => {
  const lenient = { ...options, threshold: 2.5 };
  assert.deepEqual(detectSpikes([...new Array(20).fill(0), 4], lenient), [], 'under minCount 5');
  assert.deepEqual(detectSpikes([...new Array(20).fill(0), 4], { ...lenient, minCount: 3 }).map((s) => s.index), [20]);
});
