// Runs fit tasks on the main thread and, when there is a second core, one worker thread:
// training is six independent tasks (the full fit and five folds), so two threads halve the
// wall time. Each task is deterministic, so results never depend on which thread ran it.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runFitTask, type FitJob, type FitTask, type FitTaskResult } from './fit-task.js';

export interface WorkerMessage {
  readonly job: FitJob;
  readonly tasks: readonly { readonly index: number; readonly task: FitTask }[];
}

export interface WorkerReply {
  readonly index: number;
  readonly result?: FitTaskResult;
  readonly error?: string;
}

function startWorker(): Worker {
  // Under tsx (tests, development) the worker must register tsx itself before importing the
  // .ts entry: loader hooks are not inherited by worker threads on Node 20.
  const isTs = import.meta.url.endsWith('.ts');
  const entry = new URL(`./fit-worker.${isTs ? 'ts' : 'js'}`, import.meta.url).href;
  const code = isTs
    ? `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`
    : `import(${JSON.stringify(entry)})`;
  return new Worker(code, { eval: true });
}

const cost = (task: FitTask): number => task.train.length * task.train.length;

/** Results in task order. `threads` ≤ 1 runs everything here. */
export async function runFitTasks(job: FitJob, tasks: readonly FitTask[], threads = Math.min(2, availableParallelism()), onTaskDone?: () => void): Promise<FitTaskResult[]> {
  const results: (FitTaskResult | undefined)[] = new Array(tasks.length);
  const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const runHere = async (indexes: readonly number[]): Promise<void> => {
    for (const i of indexes) {
      results[i] = runFitTask(job, tasks[i]!);
      onTaskDone?.();
      await yieldNow(); // let worker replies and signals through between tasks
    }
  };
  if (threads < 2 || tasks.length < 2) {
    await runHere(tasks.map((_, i) => i));
    return results as FitTaskResult[];
  }
  // Split by cost (rows²): biggest first to whichever side is lighter.
  const order = tasks.map((_, i) => i).sort((a, b) => cost(tasks[b]!) - cost(tasks[a]!) || a - b);
  const mine: number[] = [];
  const theirs: number[] = [];
  let mineCost = 0;
  let theirCost = 0;
  for (const i of order) {
    if (mineCost <= theirCost) {
      mine.push(i);
      mineCost += cost(tasks[i]!);
    } else {
      theirs.push(i);
      theirCost += cost(tasks[i]!);
    }
  }
  // The Gram matrix goes over once, shared rather than copied.
  const shared = new Float64Array(new SharedArrayBuffer(job.gram.byteLength));
  shared.set(job.gram);
  const worker = startWorker();
  const fromWorker = new Promise<void>((resolve) => {
    let pending = theirs.length;
    const fallback = (): void => {
      // A worker that cannot start or dies: its remaining tasks run here.
      worker.removeAllListeners();
      void worker.terminate();
      resolve();
    };
    worker.on('message', (reply: WorkerReply) => {
      if (reply.result) {
        results[reply.index] = reply.result;
        onTaskDone?.();
      }
      if (reply.error || --pending === 0) fallback();
    });
    worker.on('error', fallback);
    worker.on('exit', fallback);
  });
  const message: WorkerMessage = { job: { ...job, gram: shared }, tasks: theirs.map((index) => ({ index, task: tasks[index]! })) };
  worker.postMessage(message);
  await runHere(mine);
  await fromWorker;
  await runHere(theirs.filter((i) => results[i] === undefined));
  return results as FitTaskResult[];
}
