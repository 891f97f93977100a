import { once } from 'node:events';
import { createWriteStream, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './classify.js';

/** A JSONL file: a short line, one `length`-character text line, a short line. */
async function longLineFile(path: string, length: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('{"id":1,"text":"panne fibre depuis hier"}\n{"id":2,"text":"');
  const block = 'a'.repeat(1024 * 1024);
  for (let left = length; left > 0; left -= block.length) await write(left >= block.length ? block : block.slice(0, left));
  await write('"}\n{"id":3,"text":"merci"}\n');
  out.end();
  await once(out, 'close');
}

/**
 * Issue 12, item 12: a 300 MB JSONL line used to be read whole (2 GB RSS). Peak RSS of a run
 * skipping one against a run of the same file without it, as a ratio measured in this run.
 */
export async function benchLongJsonlLine(dir: string): Promise<Record<string, number | string>> {
  const short = join(dir, 'short.jsonl');
  writeFileSync(short, '{"id":1,"text":"panne fibre depuis hier"}\n{"id":3,"text":"merci"}\n');
  const long = join(dir, 'long-line.jsonl');
  await longLineFile(long, 300 * 1024 * 1024);
  const args = (input: string): string[] => ['classify', input, '-o', join(dir, 'long-out.csv'), '--provider', 'rules', '--no-cache', '--quiet', '--skip-invalid'];
  try {
    const base = runCli(args(short), 2);
    const skipped = runCli(args(long), 2);
    return {
      'peak RSS, two short lines, MB': Math.round(base.maxRssMb),
      'peak RSS, a 300 MB line between them (skipped), MB': Math.round(skipped.maxRssMb),
      'ratio long / short (target <= 1.5; read whole, it was ~2 GB)': Number((skipped.maxRssMb / base.maxRssMb).toFixed(2)),
      'wall time with the long line, s': skipped.seconds.toFixed(1),
    };
  } finally {
    rmSync(long, { force: true });
  }
}
