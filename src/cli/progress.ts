import type { Progress } from '../pipeline/run.js';

/** A one-line progress display on a TTY: rows, rows/s, percent and ETA from bytes read. */
export function createProgress(stream: NodeJS.WriteStream): { update: (p: Progress) => void; done: () => void } {
  let last = 0;
  let shown = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      const rate = p.elapsedMs > 0 ? (p.rows / p.elapsedMs) * 1000 : 0;
      let tail = '';
      if (p.totalBytes && p.bytesRead > 0) {
        const fraction = Math.min(1, p.bytesRead / p.totalBytes);
        const eta = fraction > 0 ? ((p.elapsedMs / fraction) * (1 - fraction)) / 1000 : 0;
        tail = `  ${(fraction * 100).toFixed(0)}%  ETA ${eta.toFixed(0)}s`;
      }
      stream.write(`\r${p.rows.toLocaleString('en')} rows  ${Math.round(rate).toLocaleString('en')} rows/s${tail}\x1b[K`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
