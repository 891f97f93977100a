// One unit of training work: factor the Gram matrix on some rows, fit every field there,
// and predict the held-out rows. Pure and self-contained so a worker thread can run it.

import { choleskyOf, fitKernelSoftmax, kernelLogits, type KernelModel } from './kernel-fit.js';
import { softmaxRows } from './softmax-regression.js';

export interface FieldJob {
  readonly classes: number;
  /** Label index of every row of the Gram matrix. */
  readonly labels: Int32Array;
  readonly l2: number;
  readonly balance: number;
}

export interface FitJob {
  /** Row-major n×n Gram matrix (a SharedArrayBuffer when handed to workers). */
  readonly gram: Float64Array;
  readonly n: number;
  readonly fields: readonly FieldJob[];
}

export interface FitTask {
  readonly train: readonly number[];
  readonly test: readonly number[];
}

export interface FitTaskResult {
  /** Per field: the fitted model (alpha over `train` rows, bias). */
  readonly models: readonly KernelModel[];
  /** Per field: [test rows][classes] probabilities. */
  readonly test: readonly Float64Array[];
}

/** Class weights (n / (classes · n_c))^balance. */
export function classWeights(y: Int32Array, classes: number, balance: number): Float64Array {
  const counts = new Float64Array(classes);
  for (const v of y) counts[v]!++;
  return Float64Array.from(y, (v) => (y.length / (classes * counts[v]!)) ** balance);
}

export function runFitTask(job: FitJob, task: FitTask): FitTaskResult {
  const factor = choleskyOf(job.gram, job.n, task.train);
  const models: KernelModel[] = [];
  const test: Float64Array[] = [];
  for (const field of job.fields) {
    const y = Int32Array.from(task.train, (i) => field.labels[i]!);
    const model = fitKernelSoftmax(factor, y, field.classes, { l2: field.l2, sampleWeight: classWeights(y, field.classes, field.balance) });
    models.push(model);
    test.push(task.test.length > 0 ? softmaxRows(kernelLogits(job.gram, job.n, task.train, task.test, model), field.classes) : new Float64Array(0));
  }
  return { models, test };
}
