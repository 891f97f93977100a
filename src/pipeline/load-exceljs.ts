// exceljs is loaded on first use, not at import: it costs ~28 MB of memory in every thread
// that imports it, and most runs read and write CSV (the 1M-row peak-RSS target). It is a
// CommonJS package, so require gives it synchronously to the encoder, which is not async.
import { createRequire } from 'node:module';
import type ExcelJSModule from 'exceljs';

const require = createRequire(import.meta.url);
let loaded: typeof ExcelJSModule | undefined;

export function exceljs(): typeof ExcelJSModule {
  return (loaded ??= require('exceljs') as typeof ExcelJSModule);
}
