import { FmcError } from '../errors.js';

export interface Interrupts {
  /** `work`, or FMC_ERR_INTERRUPTED/TERMINATED as soon as SIGINT/SIGTERM arrives. */
  race<T>(work: Promise<T>): Promise<T>;
  /** Stops listening: the signals kill the process again. */
  dispose(): void;
}

/**
 * SIGINT and SIGTERM for the length of a run. Without handlers Node dies at once, leaving
 * the temp output file and the lock behind; with them, the run rejects, its `finally`
 * blocks clean up, and main.ts exits 130/143. Only the first signal is caught: a second
 * one kills as usual, should the cleanup hang.
 */
export function catchInterrupts(): Interrupts {
  let stop!: (err: FmcError) => void;
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  // Nobody may be racing at the moment the signal comes; the next race() still sees it.
  stopped.catch(() => undefined);
  const onSignal = (signal: NodeJS.Signals): void => {
    dispose();
    stop(
      signal === 'SIGINT'
        ? new FmcError('FMC_ERR_INTERRUPTED', 'stopped by SIGINT before the end; no output file written')
        : new FmcError('FMC_ERR_TERMINATED', 'stopped by SIGTERM before the end; no output file written'),
    );
  };
  const dispose = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { race: (work) => Promise.race([work, stopped]), dispose };
}

export const isInterrupt = (err: unknown): boolean => err instanceof FmcError && (err.code === 'FMC_ERR_INTERRUPTED' || err.code === 'FMC_ERR_TERMINATED');
