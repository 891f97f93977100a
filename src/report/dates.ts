import type { Zone } from './zone.js';

// The date formats seen in exports: ISO 8601 (with a T or a space, with or without an
// offset), French day-first dates (05/03/2024 14:02), Twitter's API form
// (Tue Mar 05 14:02:11 +0000 2024) and Unix epochs in seconds or milliseconds. A time
// without an offset is wall-clock time in the report's zone.

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DAY_FIRST = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2})[:h](\d{2})(?::(\d{2}))?)?$/;
const TWITTER = /^(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}) (\d{4})$/;
const EPOCH = /^\d{10}(?:\d{3})?(?:\.\d+)?$/;
const MONTHS: Readonly<Record<string, number>> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

function offsetMs(raw: string): number {
  if (raw.toUpperCase() === 'Z') return 0;
  const digits = raw.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
  return (raw[0] === '-' ? -1 : 1) * minutes * 60_000;
}

/** A wall-clock time as UTC milliseconds, or NaN when a field is out of range. */
function wall(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return NaN;
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // 31/02 rolls over in Date.UTC: refuse it rather than report a day that never was.
  return new Date(t).getUTCDate() === d ? t : NaN;
}

/** Milliseconds since the epoch, or undefined when the text is not a date fmc reads. */
export function parseDate(raw: string, zone: Zone): number | undefined {
  const text = raw.trim();
  if (text === '') return undefined;
  let m = ISO.exec(text);
  if (m) {
    const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
    const t = wall(+m[1]!, +m[2]!, +m[3]!, m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0, Math.floor(fraction));
    if (Number.isNaN(t)) return undefined;
    return m[8] ? t - offsetMs(m[8]) : zone.fromWall(t);
  }
  m = DAY_FIRST.exec(text);
  if (m) {
    const t = wall(+m[3]!, +m[2]!, +m[1]!, m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0);
    return Number.isNaN(t) ? undefined : zone.fromWall(t);
  }
  m = TWITTER.exec(text);
  if (m) {
    const month = MONTHS[m[1]!];
    if (month === undefined) return undefined;
    const t = wall(+m[7]!, month, +m[2]!, +m[3]!, +m[4]!, +m[5]!);
    return Number.isNaN(t) ? undefined : t - offsetMs(m[6]!);
  }
  if (EPOCH.test(text)) {
    const n = Number(text);
    return text.split('.')[0]!.length === 13 ? n : Math.round(n * 1000);
  }
  return undefined;
}
