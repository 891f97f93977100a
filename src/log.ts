import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stderr (fd 2): stdout carries data (`-o -`) and must stay clean. */
export function createLogger(level: string = 'warn'): Logger {
  return pino({ level, base: { name: 'fmc' } }, pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything, for library callers and tests that don't care. */
export const silentLogger: Logger = pino({ level: 'silent' });
