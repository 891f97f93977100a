import { Worker } from 'node:worker_threads';
import { ERRORS, FmcError, type ErrorCode } from '../errors.js';
import type { ChunkClassifier, EngineStats } from './chunk.js';
import type { EngineInit, EngineReply, EngineRequest, SerializedError } from './worker-protocol.js';

function revive(error: SerializedError): Error {
  return error.code && error.code in ERRORS ? new FmcError(error.code as ErrorCode, error.message) : new Error(error.message);
}

// A cap keeps V8 from growing the engine's heap lazily on a long run (the peak-RSS target).
const WORKER_OLD_GEN_MB = 96;

type Pending = { resolve: (reply: EngineReply) => void; reject: (err: Error) => void };

/** Starts the engine thread and resolves once its tier chain is built (or rejects with why not). */
export async function startEngineWorker(init: EngineInit): Promise<ChunkClassifier> {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init, resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_GEN_MB } });
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let dead: Error | undefined;
  const failAll = (err: Error): void => {
    dead = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  const tierNames = await new Promise<readonly string[]>((resolve, reject) => {
    worker.once('message', (reply: EngineReply) => {
      if (reply.type === 'ready') resolve(reply.tierNames);
      else reject(reply.type === 'failed' ? revive(reply.error) : new Error(`engine: unexpected ${reply.type}`));
    });
    worker.once('error', reject);
  });
  worker.on('message', (reply: EngineReply) => {
    if (!('id' in reply)) return;
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.type === 'error') p?.reject(revive(reply.error));
    else p?.resolve(reply);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`classification engine thread exited (${code})`)));

  const request = <T extends EngineReply['type']>(message: EngineRequest): Promise<Extract<EngineReply, { type: T }>> => {
    if (dead) return Promise.reject(dead);
    return new Promise((resolve, reject) => {
      pending.set(message.id, { resolve: resolve as (r: EngineReply) => void, reject });
      worker.postMessage(message);
    });
  };

  return {
    tierNames,
    classifyChunk: async (texts) => (await request<'results'>({ type: 'classify', id: nextId++, texts })).results,
    async labelRows(rows, textIndex) {
      const { serialized, counts } = await request<'labeled'>({ type: 'label', id: nextId++, rows, textIndex });
      return { serialized, counts };
    },
    stats: async (): Promise<EngineStats> => (await request<'stats'>({ type: 'stats', id: nextId++ })).stats,
    async close() {
      if (!dead) await request<'closed'>({ type: 'close', id: nextId++ }).catch(() => undefined);
      await worker.terminate();
    },
  };
}
