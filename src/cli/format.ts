import Table from 'cli-table3';

// Small pure helpers for what people read on stderr/stdout: numbers with thousands
// separators, words that agree with their count, durations, and borderless tables.

/** 3464 -> "3,464" (English separators, like the README). */
export const num = (n: number): string => n.toLocaleString('en');

/** `count(1, 'row')` -> "1 row", `count(3464, 'row')` -> "3,464 rows"; irregular plurals passed in. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${num(n)} ${n === 1 ? singular : plural}`;
}

export const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

/** Seconds to one decimal under a minute, then "2 min 05 s", "1 h 02 min". */
export function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
}

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
};

/**
 * Aligned columns without borders (cli-table3 measures colour codes and wide characters);
 * each line starts with its first cell, so `grep '^ok'` style checks keep working.
 */
export function plainTable(rows: readonly (readonly string[])[], options: { indent?: number } = {}): string {
  const table = new Table({ chars: NO_BORDERS, style: { 'padding-left': 0, 'padding-right': 2, head: [], border: [] } });
  for (const row of rows) table.push([...row]);
  const pad = ' '.repeat(options.indent ?? 0);
  // cli-table3 pads the last column too; trailing blanks are noise in a terminal and in logs.
  return table
    .toString()
    .split('\n')
    .map((line) => pad + line.trimEnd())
    .join('\n');
}
