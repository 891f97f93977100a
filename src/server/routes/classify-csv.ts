import { PassThrough, Transform, Writable, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FmcError } from '../../errors.js';
import { createChunkClassifier, type ChunkClassifier } from '../../pipeline/chunk.js';
import type { LabelResult } from '../../labels.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import { describeRenames } from '../../pipeline/column-names.js';
import { openTweetSource } from '../../pipeline/read.js';
import { createRecordCopier } from '../../pipeline/record-copy.js';
import { parseDelimiter } from '../../pipeline/dialect.js';
import { classifyRows, dialectFor, outputColumns } from '../../pipeline/run.js';
import { openStreamSink } from '../../pipeline/write.js';
import type { ServerLimits } from '../limits.js';
import type { ServerMetrics } from '../metrics.js';

export const CSV_TYPES = ['text/csv'];

/** Hands each labeled chunk's rows to `onResults` (the Trends view) as they are labeled. */
function tapResults(engine: ChunkClassifier, onResults: CsvRouteDeps['onResults']): ChunkClassifier {
  if (!onResults) return engine;
  return {
    ...engine,
    async labelTexts(texts, tweets, operator) {
      const chunk = await engine.labelTexts(texts, tweets, operator);
      onResults(Array.from(chunk.codes, (code) => chunk.distinct[code]!));
      return chunk;
    },
  };
}

// Smaller than the CLI's 1,000: the first labeled rows reach the client sooner.
const CHUNK_ROWS = 500;

function tooLarge(limit: number): FmcError {
  return new FmcError('FMC_ERR_TOO_LARGE', `CSV body over ${limit} bytes; split the file`);
}

/** Passes bytes through and fails the stream once more than `limit` have gone by. */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > limit ? tooLarge(limit) : null, chunk);
    },
  });
}

/**
 * The response body, plus a promise that resolves at its first byte. Until then nothing is
 * sent, so a failure in the first chunk (no text column, header only, a bad row) can still
 * be a JSON error with its status; after it, a failure can only cut the stream short.
 */
function deferredBody(): { body: PassThrough; writer: Writable; firstByte: Promise<void> } {
  const body = new PassThrough();
  let started!: () => void;
  const firstByte = new Promise<void>((resolve) => (started = resolve));
  const writer = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      started();
      if (body.write(chunk)) callback();
      else body.once('drain', () => callback());
    },
    final(callback) {
      started();
      body.end();
      callback();
    },
    destroy(err, callback) {
      if (err) body.destroy(err);
      callback(err);
    },
  });
  // A client that hangs up must stop the run: the sink sees the writer close and throws.
  body.on('close', () => writer.destroy());
  return { body, writer, firstByte };
}

/** A header value holds ASCII only: other characters as \\uXXXX, as in JSON. */
function asciiHeader(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface CsvRouteDeps {
  readonly pipeline: Pipeline;
  readonly limits: ServerLimits;
  readonly metrics: ServerMetrics;
  readonly query: { text_column?: string; id_column?: string; skip_invalid?: boolean; escape_formulas?: boolean; delimiter?: string; bom?: boolean; crlf?: boolean };
  readonly onResults?: ((results: readonly LabelResult[]) => void) | undefined;
}

/** text/csv in, the same rows with `is_claim … provider` appended out, both streamed. */
// Errors name what an HTTP caller can change: the query parameters, not the CLI's flags.
const HTTP_OPTION_NAMES = { textColumn: 'the query parameter ?text_column=<name>', idColumn: 'query parameter id_column' } as const;

export async function classifyCsv(request: FastifyRequest, reply: FastifyReply, deps: CsvRouteDeps): Promise<FastifyReply> {
  const { limits, query } = deps;
  const declared = Number(request.headers['content-length']);
  if (declared > limits.csvBodyBytes) throw tooLarge(limits.csvBodyBytes);
  const input = (request.body as Readable).pipe(byteLimit(limits.csvBodyBytes));
  (request.body as Readable).on('error', (err) => input.destroy(err));

  const copier = createRecordCopier();
  const source = await openTweetSource(
    { stream: input, name: 'body' },
    { format: 'csv', textColumn: query.text_column, idColumn: query.id_column, skipInvalid: query.skip_invalid, maxRecordSize: limits.maxTextLength, copier, optionNames: HTTP_OPTION_NAMES },
  );
  const columns = outputColumns(source.columns);
  const dialect = dialectFor(source, {
    delimiter: query.delimiter === undefined ? undefined : parseDelimiter(query.delimiter),
    bom: query.bom,
    crlf: query.crlf,
    escapeFormulas: query.escape_formulas,
  });
  const { body, writer, firstByte } = deferredBody();
  const sink = openStreamSink({ stream: writer, format: 'csv', columns, dialect });
  // Not the CLI's worker thread: requests are small and the engine stays warm in-process.
  const engine = tapResults(createChunkClassifier(deps.pipeline), deps.onResults);
  const run = classifyRows({ source, sink, engine, copier, chunkSize: CHUNK_ROWS, operatorAccounts: deps.pipeline.operatorAccounts, output: { format: 'csv', columns, dialect } }).then(async (summary) => {
    await sink.commit();
    writer.end();
    return summary;
  });

  // Whichever comes first: the first output byte, or the end of a run that wrote nothing.
  await Promise.race([firstByte, run]);
  run.catch((err: Error) => {
    request.log.warn({ err: err.message }, 'CSV stream cut short');
    body.destroy(err);
  });
  // The delimiter is named for clients that parse the answer (the dashboard); renamed header
  // names (repeated or empty in the input) are listed as the CLI's warning would.
  if (source.renamedColumns.length > 0) reply.header('x-fmc-renamed-columns', asciiHeader(describeRenames(source.renamedColumns)));
  return reply
    .type('text/csv; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-fmc-csv-delimiter', dialect.delimiter === '\t' ? 'tab' : dialect.delimiter)
    .send(body);
}
