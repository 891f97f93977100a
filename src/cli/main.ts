import { CommanderError } from 'commander';
import { EXIT, FmcError } from '../errors.js';
import { colorsFor } from './colors.js';
import { buildProgram } from './program.js';

// The one error boundary: commands throw, this prints one line and picks the exit code.

let exitCode: number = EXIT.ok;

function fail(err: unknown): number {
  const c = colorsFor(process.stderr);
  if (err instanceof FmcError) {
    process.stderr.write(c.red(`fmc: ${err.message}`) + c.dim(` [${err.code}]`) + '\n');
    return err.exitCode;
  }
  if (err instanceof CommanderError) {
    // Commander already printed its message (or the help).
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.ok : EXIT.usage;
  }
  const e = err as Error;
  process.stderr.write(c.red(`fmc: internal error: ${e.message ?? String(err)}`) + ' (this is a bug; rerun with FMC_LOG_LEVEL=debug and report it)\n');
  if (process.env.FMC_LOG_LEVEL === 'debug' || process.env.FMC_LOG_LEVEL === 'trace') process.stderr.write(`${e.stack ?? ''}\n`);
  return EXIT.runtime;
}

// A reader that stops early (`fmc users list | head`) is not an error. `fmc classify -o -`
// listens itself while it writes rows: it stops, removes its temp files and releases its
// lock, then exits 141 with a message (FMC_ERR_OUTPUT_CLOSED); exiting here would skip that.
const onStdoutError = (err: NodeJS.ErrnoException): void => {
  if (err.code === 'EPIPE' && process.stdout.listeners('error').length === 1) process.exit(exitCode);
};
process.stdout.on('error', onStdoutError);

try {
  await buildProgram((code) => {
    exitCode = code;
  }).parseAsync(process.argv);
} catch (err) {
  exitCode = fail(err);
}
// Let stdout drain instead of process.exit(), which can cut a piped write short.
process.exitCode = exitCode;
