// `npm run bench` baseline: csv-parse alone on a file, in a process of its own like fmc's,
// so neither shares JIT state or heap with the bench that generated the data. Prints rows/s.
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';

const path = process.argv[2]!;
const start = performance.now();
let rows = 0;
for await (const _ of createReadStream(path).pipe(parse({ relax_column_count: true }))) rows++;
process.stdout.write(`${((rows - 1) / (performance.now() - start)) * 1000}\n`);
