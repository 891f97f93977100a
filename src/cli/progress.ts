import cliProgress from 'cli-progress';
import type { Progress } from '../pipeline/run.js';
import { num } from './format.js';

// Progress on a terminal only (cli-progress draws on one line and clears it when done);
// callers create none when stderr is not a TTY or with --quiet, so logs and pipes stay clean.

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const frame = (): string => FRAMES[Math.floor(Date.now() / 100) % FRAMES.length]!;

/** "0:07", "12:03", "1:02:03". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

type Payload = Record<string, unknown>;
type Format = (startTime: number, params: { progress: number; value: number; total: number; eta: number | string }, payload: Payload) => string;

/** One cli-progress line on `stream`; it redraws on its own timer, so elapsed time and spinners move. */
function line(stream: NodeJS.WriteStream, format: Format, total: number): { bar: cliProgress.SingleBar; startTime: number } {
  const startTime = Date.now();
  const bar = new cliProgress.SingleBar({
    stream,
    format: ((_options: unknown, params: Parameters<Format>[1], payload: Payload) => format(startTime, params, payload)) as unknown as string,
    hideCursor: true,
    clearOnComplete: true,
    // fmc handles SIGINT/SIGTERM itself (interrupt.ts); done() restores the cursor.
    gracefulExit: false,
    fps: 10,
    etaBuffer: 20,
  });
  bar.start(total, 0, {});
  return { bar, startTime };
}

const BAR_WIDTH = 24;
const drawBar = (fraction: number): string => {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return '█'.repeat(full) + '░'.repeat(BAR_WIDTH - full);
};
const elapsedOf = (startTime: number): number => (Date.now() - startTime) / 1000;
const etaText = (eta: number | string): string => (typeof eta === 'number' && Number.isFinite(eta) ? clock(eta) : '–');

/** A spinner with a message and the elapsed time, for waits with no measurable progress. */
export function createSpinner(stream: NodeJS.WriteStream, text: string): { setText(text: string): void; stop(): void } {
  let message = text;
  const { bar } = line(stream, (start) => `${frame()} ${message}  ${clock(elapsedOf(start))}`, 1);
  return {
    setText(next) {
      message = next;
    },
    stop: () => bar.stop(),
  };
}

/** A bar over `total` steps (train's fits, eval's rows): percent, elapsed, rate, ETA. */
export function createStepBar(stream: NodeJS.WriteStream, label: string, total: number, unit: string): { update(done: number, note?: string): void; stop(): void } {
  const { bar } = line(
    stream,
    (start, p, payload) => {
      const elapsed = elapsedOf(start);
      const rate = elapsed > 0 ? p.value / elapsed : 0;
      const note = typeof payload.note === 'string' && payload.note ? `  ${payload.note}` : '';
      return `${label} ${drawBar(p.progress)} ${Math.floor(p.progress * 100)}%  ${num(p.value)}/${num(p.total)} ${unit}  ${rate >= 10 ? num(Math.round(rate)) : rate.toFixed(1)} ${unit}/s  ${clock(elapsed)} elapsed  ETA ${etaText(p.eta)}${note}`;
    },
    total,
  );
  return {
    update: (done, note) => bar.update(done, { note }),
    stop: () => bar.stop(),
  };
}

/** The tier/cache mix: "model 84% · rules 16% · cache 97%". */
export function mixOf(providers: Readonly<Record<string, number>>, rows: number, cache?: { hits: number; misses: number }): string {
  const parts = Object.entries(providers)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([p, n]) => `${p} ${Math.round((n / Math.max(1, rows)) * 100)}%`);
  if (cache && cache.hits + cache.misses > 0) parts.push(`cache ${Math.round((cache.hits / (cache.hits + cache.misses)) * 100)}%`);
  return parts.join(' · ');
}

export interface ClassifyProgress {
  update(p: Progress): void;
  /** The engine's cache counters, polled now and then (they live on the engine thread). */
  cache(counts: { hits: number; misses: number }): void;
  stop(): void;
}

/**
 * `fmc classify` on a terminal: a bar over the input's bytes (rows, rows/s, elapsed, ETA and
 * the tier/cache mix), or a spinner with the same figures when the size is unknown (stdin).
 */
export function createClassifyProgress(stream: NodeJS.WriteStream, totalBytes: number | undefined): ClassifyProgress {
  let latest: Progress | undefined;
  let cache: { hits: number; misses: number } | undefined;
  const figures = (start: number): string => {
    const elapsed = elapsedOf(start);
    const rows = latest?.rows ?? 0;
    const rate = elapsed > 0 ? Math.round(rows / elapsed) : 0;
    const mix = latest ? mixOf(latest.providers, rows, cache) : '';
    return `${num(rows)} rows  ${num(rate)} rows/s  ${clock(elapsed)} elapsed${mix ? `  ${mix}` : ''}`;
  };
  const sized = totalBytes !== undefined && totalBytes > 0;
  const { bar } = line(
    stream,
    (start, p) => {
      if (!sized) return `${frame()} ${figures(start)}`;
      return `${drawBar(p.progress)} ${String(Math.floor(p.progress * 100)).padStart(3)}%  ${figures(start)}  ETA ${etaText(p.eta)}`;
    },
    sized ? totalBytes : 1,
  );
  return {
    update(p) {
      latest = { ...p, providers: { ...p.providers } };
      bar.update(sized ? Math.min(p.bytesRead, totalBytes) : 0);
    },
    cache(counts) {
      cache = counts;
    },
    stop: () => bar.stop(),
  };
}

/** `fmc train`: a spinner while features are built, then a bar over the fits, combiner and writing. */
export function createTrainProgress(stream: NodeJS.WriteStream): { step(step: { stage: string; done: number; total: number }): void; stop(): void } {
  let spinner: ReturnType<typeof createSpinner> | undefined = createSpinner(stream, 'reading the labeled rows and building features');
  let bar: ReturnType<typeof createStepBar> | undefined;
  const NOTES: Record<string, string> = { fitting: 'fitting the field models (one per fold, then all rows)', combiner: 'fitting the model + rules combiner', writing: 'writing the model folders' };
  return {
    step(s) {
      if (s.stage === 'features' || s.stage === 'done') return;
      if (!bar) {
        spinner?.stop();
        spinner = undefined;
        bar = createStepBar(stream, 'training', s.total, 'steps');
      }
      bar.update(s.done, NOTES[s.stage]);
    },
    stop() {
      spinner?.stop();
      bar?.stop();
    },
  };
}
