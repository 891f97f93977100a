// Wall-clock arithmetic in one IANA time zone with Intl alone: an instant's UTC offset is
// asked of Intl.DateTimeFormat once per UTC hour it falls in (offsets only change on hour
// boundaries in practice), so a million rows cost a few thousand Intl calls, not a million.

const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface Zone {
  readonly name: string;
  /** Milliseconds to add to a UTC instant to get its wall-clock time in this zone. */
  offsetAt(ms: number): number;
  /** The UTC instant of a wall-clock time in this zone (the earlier one in a DST overlap). */
  fromWall(wallMs: number): number;
}

const MAX_REMEMBERED = 50_000;

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export function createZone(name: string): Zone {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const byHour = new Map<number, number>();
  const compute = (ms: number): number => {
    const parts: Record<string, number> = {};
    for (const p of format.formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
    return wall - ms;
  };
  const offsetAt = (ms: number): number => {
    const hour = Math.floor(ms / HOUR);
    let offset = byHour.get(hour);
    if (offset === undefined) {
      if (byHour.size >= MAX_REMEMBERED) byHour.clear();
      // The hour's start stands for the hour: whole seconds, as formatToParts gives.
      offset = compute(hour * HOUR);
      byHour.set(hour, offset);
    }
    return offset;
  };
  return {
    name,
    offsetAt,
    fromWall(wallMs) {
      // The zone's offsets a day either side are the only candidates: the earlier instant
      // that matches wins (DST overlap); a wall time DST skips takes the offset before it.
      const before = wallMs - offsetAt(wallMs - DAY);
      const after = wallMs - offsetAt(wallMs + DAY);
      const fits = (t: number): boolean => offsetAt(t) === wallMs - t;
      if (fits(before) && (!fits(after) || before <= after)) return before;
      return fits(after) ? after : before;
    },
  };
}

/** `2024-03-05T14:00:00+01:00`: a wall-clock instant with its offset, as the JSON shows bucket bounds. */
export function isoInZone(ms: number, zone: Zone): string {
  const offset = zone.offsetAt(ms);
  const wall = new Date(ms + offset).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const minutes = Math.abs(offset) / 60_000;
  return `${wall}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
