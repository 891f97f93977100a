import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (one level above src/, two above dist/src/). */
export const VERSION: string = (() => {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'fmc' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this level
    }
  }
  return '0.0.0';
})();
