import { checkOutputTarget, writeOutputFile } from '../pipeline/output-file.js';

/**
 * Small files (summaries, reports): written beside, then renamed; a device or FIFO
 * (`/dev/stdout`, a named pipe) is written straight. Stale temp files of dead runs are swept.
 */
export async function writeFileAtomic(path: string, data: string, flag: string): Promise<void> {
  await writeOutputFile(await checkOutputTarget(path, flag), data, flag);
}
