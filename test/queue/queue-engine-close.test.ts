// The coordinator stopped (Ctrl-C) while a chunk's job is still being sent: the chunk's
// promise is rejected before anyone holds it. It must not surface as an unhandled rejection,
// which ends the process with a stack trace and exit 1 instead of 130 (seen in CI, workers test).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import type { Batch } from '../../src/queue/batch.js';
import type { QueueConnection } from '../../src/queue/boss.js';
import { createQueueEngine } from '../../src/queue/queue-engine.js';
import { queueSettingsFrom } from '../../src/queue/settings.js';

test('close() while a chunk is being sent: the chunk fails with FMC_ERR_QUEUE_CHUNK, no unhandled rejection', async () => {
  let sendStarted!: () => void;
  const started = new Promise<void>((resolve) => (sendStarted = resolve));
  let finishSend!: () => void;
  // Only what the engine calls on this path: the "done chunks" query, then one send.
  const conn = {
    url: 'postgres://unused',
    db: { query: async () => [] },
    boss: {
      send: () => {
        sendStarted();
        return new Promise<string>((resolve) => (finishSend = () => resolve('job-id')));
      },
    },
    close: async () => undefined,
  } as unknown as QueueConnection;
  const batch: Batch = { id: 'a3a88730d3a6', queue: 'fmc-test', inputName: 'small.csv', inputDigest: 'x', chain: [], chunkRows: 100 };
  const engine = await createQueueEngine({ conn, batch, settings: queueSettingsFrom({}), logger: silentLogger });

  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const chunk = engine.labelTexts(['plus de connexion']);
    await started;
    const closing = engine.close(); // rejects the chunk while its job is in flight
    // Give the rejection tracker a full turn to report what nobody handled.
    await new Promise((resolve) => setImmediate(resolve));
    finishSend();
    await closing;
    await assert.rejects(chunk, (err: Error & { code?: string }) => err.code === 'FMC_ERR_QUEUE_CHUNK' && /coordinator stopped/.test(err.message));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
