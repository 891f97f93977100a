import { Worker } from 'node:worker_threads';
import { chainHoldsModel } from '../tiers/registry.js';
import { ERRORS, FmcError, type ErrorCode } from '../errors.js';
import type { ChunkClassifier, EngineStats } from './chunk.js';
import { createCleaner } from './pipeline.js';
import { packCleaned, type EngineInit, type EngineReply, type EngineRequest, type SerializedError } from './worker-protocol.js';

function revive(error: SerializedError): Error {
  return error.code && error.code in ERRORS ? new FmcError(error.code as ErrorCode, error.message) : new Error(error.message);
}

// Caps keep V8 from growing the engine's heap lazily on a long run (the peak-RSS target).
// A rules run keeps a few MB live (chunks in flight, an 8k-row dedupe window). The young
// generation is 3 semi-spaces: 48 MB means V8's own 16 MB ones (24 MB saved 12 MB of RSS on
// the 1M file but cost ~4% in scavenges). A chain with the local model gets room instead:
// its tokenizer memo and vocabulary live in the JS heap, and a first run trains the model there.
const RULES_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 48 };
const MODEL_LIMITS = { maxOldGenerationSizeMb: 1024 };

/** How far one engine reply moves the share of chunks this thread cleans. */
const SHARE_STEP = 0.05;
/** Engine idle time (ms) before a request from which this thread counts as the slower one. */
const ENGINE_IDLE_MS = 0.2;

type Pending = { resolve: (reply: EngineReply) => void; reject: (err: Error) => void };

/** Starts the engine thread and resolves once its tier chain is built (or rejects with why not). */
export async function startEngineWorker(init: EngineInit): Promise<ChunkClassifier> {
  const resourceLimits = chainHoldsModel(init.pipeline.provider) ? MODEL_LIMITS : RULES_LIMITS;
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init, resourceLimits });
  const clean = createCleaner(init.pipeline);
  const pending = new Map<number, Pending>();
  let nextId = 0;
  // The share of chunks cleaned here, and what has accrued of it.
  let share = 0.5;
  let credit = 0;
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
    async labelTexts(texts, tweets) {
      // Load balancing: cleaning is about half of the engine's work on a rules run, and this
      // (reading) thread cleans a share of the chunks itself, with the same function and
      // options. Each reply says how long the engine sat idle before the request: idle means
      // this thread is the slower one and cleans less, busy that it cleans more. (Counting
      // the requests in flight misleads: replies wait unread while this thread is busy.)
      credit += share;
      const here = tweets === undefined && credit >= 1;
      if (here) credit -= 1;
      const tweetsHere = tweets ?? (here ? texts!.map((t) => clean(t)) : undefined);
      const cleaned = tweetsHere && packCleaned(tweetsHere);
      const reply = await request<'labeled'>({ type: 'label', id: nextId++, texts: cleaned ? undefined : texts, cleaned });
      share = Math.min(1, Math.max(0, share + (reply.idleMs > ENGINE_IDLE_MS ? -SHARE_STEP : SHARE_STEP)));
      return { codes: reply.codes, distinct: reply.distinct, counts: reply.counts };
    },
    stats: async (): Promise<EngineStats> => (await request<'stats'>({ type: 'stats', id: nextId++ })).stats,
    async close() {
      if (!dead) await request<'closed'>({ type: 'close', id: nextId++ }).catch(() => undefined);
      await worker.terminate();
    },
  };
}
