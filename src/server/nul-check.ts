/**
 * Where a request holds a NUL character (U+0000), if anywhere: `root` and the keys down to
 * the first string (or key) with one, e.g. `body.texts[3]`. PostgreSQL refuses a NUL in
 * text, and no field of fmc's API has a use for one, so the server refuses such a request
 * whole (400), on either backend, instead of failing in the database. Walked with a stack,
 * not recursion: a deeply nested body cannot overflow it. Only what a parser builds is walked
 * (strings, arrays, plain objects): a body left as a stream (text/csv uploads) or a buffer is
 * the route's to read, and a stream's objects point back at each other.
 */
export function findNul(value: unknown, root: string): string | undefined {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (isPlainObject(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\u0000')) return path;
        stack.push([x, `${path}.${k}`]);
      }
    }
  }
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
