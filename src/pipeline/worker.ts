// The classification engine on its own thread: `fmc classify` parses and writes on the main
// thread while cleaning and the tier chain run here, so a run uses both cores.
import { parentPort, workerData } from 'node:worker_threads';
import { FmcError } from '../errors.js';
import { createLogger } from '../log.js';
import { createChunkClassifier, type ChunkClassifier } from './chunk.js';
import { createPipeline } from './pipeline.js';
import { unpackCleaned, type EngineInit, type EngineReply, type EngineRequest } from './worker-protocol.js';

const port = parentPort!;
const init = workerData as EngineInit;

const serialize = (err: unknown): { code?: string; message: string } =>
  err instanceof FmcError ? { code: err.code, message: err.message } : { message: (err as Error).message ?? String(err) };

const reply = (message: EngineReply, transfer?: ArrayBuffer[]): void => port.postMessage(message, transfer);
const utf8 = new TextEncoder();

let engine: ChunkClassifier;
try {
  const pipeline = await createPipeline({ ...init.pipeline, logger: createLogger(init.logLevel) });
  engine = createChunkClassifier(pipeline, { dedupeWindow: init.dedupeWindow, output: init.output });
  reply({ type: 'ready', tierNames: engine.tierNames });
} catch (err) {
  reply({ type: 'failed', error: serialize(err) });
  port.close();
}

port.on('message', async (message: EngineRequest) => {
  try {
    if (message.type === 'classify') reply({ type: 'results', id: message.id, results: await engine.classifyChunk(message.texts) });
    else if (message.type === 'label') {
      // Encoded here and handed over, not copied: a string reply would be copied into the
      // reading thread's heap (large-object space, kept until a full GC) and encoded there
      // again; transferred bytes are freed once written, which keeps that heap small.
      const { serialized, counts } = await engine.labelRows(message.rows, message.textIndex, message.cleaned && unpackCleaned(message.cleaned));
      const bytes = typeof serialized === 'string' ? utf8.encode(serialized) : serialized;
      reply({ type: 'labeled', id: message.id, serialized: bytes, counts }, [bytes.buffer as ArrayBuffer]);
    }
    else if (message.type === 'stats') reply({ type: 'stats', id: message.id, stats: await engine.stats() });
    else {
      await engine.close();
      reply({ type: 'closed', id: message.id });
      port.close();
    }
  } catch (err) {
    reply({ type: 'error', id: message.id, error: serialize(err) });
  }
});
