// A small L-BFGS minimizer: deterministic (no randomness, fixed operation order), so the
// same data always gives the same weights bit for bit.

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

export interface LbfgsOptions {
  readonly maxIterations: number;
  /** Stop when the loss improves by less than this, relative, over one iteration. */
  readonly tolerance?: number;
}

/**
 * Minimizes f (which returns the loss and fills the gradient) from x, in place and
 * returned. Limited-memory BFGS, memory 10, with a backtracking (Armijo) line search.
 */
export function lbfgs(f: (x: Float64Array, g: Float64Array) => number, x: Float64Array, options: LbfgsOptions): Float64Array {
  const { maxIterations } = options;
  const tolerance = options.tolerance ?? 1e-9;
  const m = 10;
  const n = x.length;
  let g: Float64Array = new Float64Array(n);
  let fx = f(x, g);
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const rhos: number[] = [];
  const dir = new Float64Array(n);
  const alphas = new Float64Array(m);
  let xNew: Float64Array = new Float64Array(n);
  let gNew: Float64Array = new Float64Array(n);
  for (let iter = 0; iter < maxIterations; iter++) {
    // Two-loop recursion: dir = -H g.
    for (let i = 0; i < n; i++) dir[i] = -g[i]!;
    for (let j = ss.length - 1; j >= 0; j--) {
      const a = rhos[j]! * dot(ss[j]!, dir);
      alphas[j] = a;
      const y = ys[j]!;
      for (let i = 0; i < n; i++) dir[i]! -= a * y[i]!;
    }
    if (ss.length > 0) {
      const last = ss.length - 1;
      const gamma = dot(ss[last]!, ys[last]!) / dot(ys[last]!, ys[last]!);
      for (let i = 0; i < n; i++) dir[i]! *= gamma;
    }
    for (let j = 0; j < ss.length; j++) {
      const b = rhos[j]! * dot(ys[j]!, dir);
      const s = ss[j]!;
      const a = alphas[j]!;
      for (let i = 0; i < n; i++) dir[i]! += s[i]! * (a - b);
    }
    let slope = dot(g, dir);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      ss.length = ys.length = rhos.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i]!;
      slope = dot(g, dir);
    }
    let step = iter === 0 && ss.length === 0 ? 1 / Math.max(1, Math.sqrt(-slope)) : 1;
    let fNew = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * dir[i]!;
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew < fx)) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (ss.length === m) {
        ss.shift();
        ys.shift();
        rhos.shift();
      }
      ss.push(s);
      ys.push(y);
      rhos.push(1 / sy);
    }
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    const improvement = fx - fNew;
    fx = fNew;
    if (improvement < tolerance * Math.max(1, Math.abs(fx))) break;
  }
  return x;
}
