import { finished, type Readable } from 'node:stream';

export interface BatchReader<T> {
  /** Up to `max` objects already buffered (waiting only when none is); undefined at the end. */
  next(max: number): Promise<T[] | undefined>;
}

/**
 * Reads an object-mode stream in arrays. `for await` over a stream costs a promise and a
 * microtask per object (twice when wrapped in another generator), a visible share of a
 * run's reading thread at 100k+ rows/s; this takes what is buffered in one go instead.
 * Same end and error semantics as the stream's own async iterator: an error (or a destroy)
 * is thrown at the next call, and what the stream had buffered is dropped with it.
 */
export function batchReader<T>(stream: Readable): BatchReader<T> {
  // undefined while the stream is open, null once it ended cleanly.
  let error: Error | null | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  stream.on('readable', notify);
  finished(stream, { writable: false }, (err) => {
    error = err ?? null;
    notify();
  });
  return {
    async next(max) {
      for (;;) {
        const batch: T[] = [];
        while (batch.length < max) {
          const item = stream.destroyed ? null : (stream.read() as T | null);
          if (item === null) break;
          batch.push(item);
        }
        if (batch.length > 0) return batch;
        if (error) throw error;
        if (error === null) return undefined;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
