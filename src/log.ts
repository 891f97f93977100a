import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

// pino-pretty is loaded only for a terminal: pipes, cron and journald get JSON, and every
// thread that imports it pays ~10 MB (the engine thread logs through this module too).
const require = createRequire(import.meta.url);

export type { Logger };

export interface LoggerOptions {
  /** Human-readable lines (pino-pretty) instead of JSON; default: when stderr is a terminal. */
  readonly pretty?: boolean;
  /** Colours in pretty lines; default: unless NO_COLOR is set. */
  readonly color?: boolean;
}

/**
 * Logs on stderr (fd 2): stdout carries data (`-o -`) and must stay clean. A person at a
 * terminal reads lines ("[12:03:04] WARN: … {details}"); journald, cron and pipes get one JSON object a
 * line. isatty(2) rather than process.stderr.isTTY: the engine thread logs too, and a worker's
 * process.stderr is a pipe to the main thread even when fd 2 is a terminal.
 */
export function createLogger(level: string = 'warn', options: LoggerOptions = {}): Logger {
  const base = { level, base: { name: 'fmc' } };
  if (!(options.pretty ?? isatty(2))) return pino(base, pino.destination({ dest: 2, sync: true }));
  const color = options.color ?? !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
  const pretty = require('pino-pretty') as typeof PinoPretty;
  return pino(base, pretty({ destination: 2, sync: true, colorize: color, ignore: 'pid,hostname,name', translateTime: 'SYS:HH:MM:ss', singleLine: true }));
}

/** A logger that drops everything, for library callers and tests that don't care. */
export const silentLogger: Logger = pino({ level: 'silent' });
