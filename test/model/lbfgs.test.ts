import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lbfgs } from '../../src/model/lbfgs.js';

// The optimizer every field classifier and the combiner are fitted with, on functions whose
// minimum is known.

test('a convex quadratic: reaches its known minimum to tolerance', () => {
  // f(x) = ½ Σ d_i (x_i - c_i)², badly scaled (d from 1 to 1000): minimum at c, value 0.
  const d = [1, 10, 100, 1000, 3, 0.5];
  const c = [1, -2, 0.5, 3, -1, 4];
  let calls = 0;
  const f = (x: Float64Array, g: Float64Array): number => {
    calls++;
    let loss = 0;
    for (let i = 0; i < x.length; i++) {
      const r = x[i]! - c[i]!;
      loss += 0.5 * d[i]! * r * r;
      g[i] = d[i]! * r;
    }
    return loss;
  };
  const x = lbfgs(f, new Float64Array(d.length), { maxIterations: 200, tolerance: 1e-15 });
  x.forEach((xi, i) => assert.ok(Math.abs(xi - c[i]!) < 1e-6, `x[${i}] = ${xi}, want ${c[i]}`));
  assert.ok(calls < 500, `${calls} evaluations`);
});

test('Rosenbrock: from (-1.2, 1) to (1, 1)', () => {
  const f = (x: Float64Array, g: Float64Array): number => {
    const [a, b] = [x[0]!, x[1]!];
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  };
  const x = lbfgs(f, Float64Array.of(-1.2, 1), { maxIterations: 500, tolerance: 1e-16 });
  assert.ok(Math.abs(x[0]! - 1) < 1e-4 && Math.abs(x[1]! - 1) < 1e-4, `stopped at (${x[0]}, ${x[1]})`);
});

test('deterministic, and the iteration cap holds', () => {
  const f = (x: Float64Array, g: Float64Array): number => {
    g[0] = 4 * (x[0]! - 3) ** 3;
    return (x[0]! - 3) ** 4;
  };
  const a = lbfgs(f, Float64Array.of(0), { maxIterations: 50 });
  const b = lbfgs(f, Float64Array.of(0), { maxIterations: 50 });
  assert.deepEqual(a, b, 'the same start gives the same weights bit for bit');
  let evaluations = 0;
  const counted = (x: Float64Array, g: Float64Array): number => (evaluations++, f(x, g));
  const one = lbfgs(counted, Float64Array.of(0), { maxIterations: 1 });
  assert.ok(one[0]! > 0 && one[0]! < 3, 'one step moves towards the minimum without reaching it');
  assert.ok(evaluations <= 32, 'one iteration: the start plus at most 30 line-search tries');
});
