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

let engine: ChunkClassifier;
try {
  const pipeline = await createPipeline({ ...init.pipeline, logger: createLogger(init.logLevel) });
  engine = createChunkClassifier(pipeline, { dedupeWindow: init.dedupeWindow });
  reply({ type: 'ready', tierNames: engine.tierNames });
} catch (err) {
  reply({ type: 'failed', error: serialize(err) });
  port.close();
}

// When the engine last finished a request: the gap to the next one is its idle time.
let doneAt: number | undefined;

port.on('message', async (message: EngineRequest) => {
  const idleMs = doneAt === undefined ? 0 : performance.now() - doneAt;
  try {
    if (message.type === 'label') {
      const { codes, distinct, counts } = await engine.labelTexts(message.texts, message.cleaned && unpackCleaned(message.cleaned), message.operator);
      reply({ type: 'labeled', id: message.id, codes, distinct, counts, idleMs }, [codes.buffer as ArrayBuffer]);
      doneAt = performance.now();
    } else if (message.type === 'stats') reply({ type: 'stats', id: message.id, stats: await engine.stats() });
    else {
      await engine.close();
      reply({ type: 'closed', id: message.id });
      port.close();
    }
  } catch (err) {
    reply({ type: 'error', id: message.id, error: serialize(err) });
  }
});
