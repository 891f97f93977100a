import { FmcError } from '../errors.js';

// Human amounts on the command line: `30d`, `12h`; `500MB`, `2GiB`. Pure, one job each.

const DURATION_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30d` → milliseconds. Units: s, m, h, d, w. */
export function parseDuration(flag: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(raw.trim());
  if (!m) throw new FmcError('FMC_ERR_USAGE', `${flag} ${JSON.stringify(raw)}: use a number and a unit, e.g. 30d, 12h, 90m (s, m, h, d, w)`);
  return Number(m[1]) * DURATION_MS[m[2]!.toLowerCase()]!;
}

const SIZE_BYTES: Readonly<Record<string, number>> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** `500MB` → bytes. Units: B, KB, MB, GB (powers of 1000), KiB, MiB, GiB (of 1024). */
export function parseSize(flag: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b|b)$/i.exec(raw.trim());
  if (!m) throw new FmcError('FMC_ERR_USAGE', `${flag} ${JSON.stringify(raw)}: use a number and a unit, e.g. 500MB, 2GB, 100MiB`);
  return Math.floor(Number(m[1]) * SIZE_BYTES[m[2]!.toLowerCase()]!);
}
