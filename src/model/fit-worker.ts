// Worker-thread entry for fit-pool.ts: runs the tasks it is sent, replying after each.

import { parentPort } from 'node:worker_threads';
import type { WorkerMessage, WorkerReply } from './fit-pool.js';
import { runFitTask } from './fit-task.js';

parentPort?.once('message', (message: WorkerMessage) => {
  for (const { index, task } of message.tasks) {
    let reply: WorkerReply;
    try {
      reply = { index, result: runFitTask(message.job, task) };
    } catch (err) {
      reply = { index, error: (err as Error).message };
    }
    parentPort?.postMessage(reply);
  }
});
