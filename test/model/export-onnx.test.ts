import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { exportClassifierOnnx, type ClassifierGraph } from '../../src/model/export-onnx.js';
import { seededRandom } from '../../src/model/random.js';

// The ONNX writer, on a small random classifier: the bytes load in ONNX Runtime (the runtime
// the model tier uses) and score token ids as the graph says, computed here in TypeScript:
// per row, the token rows and the hashed pair rows of the real tokens summed, the first
// `classes` columns divided by the square root of the last, plus the bias.

function randomGraph(classes: number, vocabSize: number, buckets: number, seed: number): ClassifierGraph {
  const random = seededRandom(seed);
  const table = (rows: number): Float32Array => Float32Array.from({ length: rows * (classes + 1) }, (_, i) => (i % (classes + 1) === classes ? 0.5 + random() : random() * 2 - 1));
  return { classes, vocabSize, tokenTable: table(vocabSize), buckets, bucketTable: table(buckets), bias: Float32Array.from({ length: classes }, () => random() - 0.5) };
}

function scoreInTs(graph: ClassifierGraph, ids: readonly (readonly number[])[], mask: readonly (readonly number[])[]): number[][] {
  const width = graph.classes + 1;
  return ids.map((row, r) => {
    const sum = new Float64Array(width);
    const add = (table: Float32Array, at: number): void => {
      for (let j = 0; j < width; j++) sum[j]! += Math.fround(table[at * width + j]!);
    };
    row.forEach((id, t) => mask[r]![t] && add(graph.tokenTable, id));
    if (graph.buckets > 0) for (let t = 1; t < row.length; t++) if (mask[r]![t]) add(graph.bucketTable, (row[t - 1]! * graph.vocabSize + row[t]!) % graph.buckets);
    const norm = Math.sqrt(Math.max(sum[graph.classes]!, 1e-12));
    return Array.from({ length: graph.classes }, (_, c) => sum[c]! / norm + graph.bias[c]!);
  });
}

async function scoreInOnnx(bytes: Uint8Array, ids: readonly (readonly number[])[], mask: readonly (readonly number[])[]): Promise<number[][]> {
  // Severity 3: a graph without token pairs carries three unused constants, which ORT warns about.
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const shape = [ids.length, ids[0]!.length];
    const int64 = (rows: readonly (readonly number[])[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), shape);
    const out = await session.run({ input_ids: int64(ids), attention_mask: int64(mask), token_type_ids: int64(ids.map((r) => r.map(() => 0))) });
    const logits = out.logits!;
    const data = logits.data as Float32Array;
    const c = logits.dims[1]!;
    return ids.map((_, r) => Array.from(data.subarray(r * c, (r + 1) * c)));
  } finally {
    await session.release();
  }
}

// Two padded rows: [CLS]-like ids, then padding (0) the mask turns off.
const IDS = [
  [2, 7, 11, 5, 3, 0, 0],
  [2, 19, 19, 4, 8, 6, 3],
];
const MASK = [
  [1, 1, 1, 1, 1, 0, 0],
  [1, 1, 1, 1, 1, 1, 1],
];

for (const buckets of [0, 13]) {
  test(`the written model loads in ONNX Runtime and scores as the graph says (${buckets ? 'with' : 'without'} token pairs)`, async () => {
    const graph = randomGraph(4, 20, buckets, 3 + buckets);
    const bytes = exportClassifierOnnx(graph);
    const onnx = await scoreInOnnx(bytes, IDS, MASK);
    const ts = scoreInTs(graph, IDS, MASK);
    assert.equal(onnx.length, 2);
    onnx.forEach((row, r) => row.forEach((v, c) => assert.ok(Math.abs(v - ts[r]![c]!) < 1e-4, `row ${r} class ${c}: onnx ${v}, ts ${ts[r]![c]}`)));
    // Padding is ignored: the first row scores the same without its padded tail.
    const [short] = await scoreInOnnx(bytes, [IDS[0]!.slice(0, 5)], [MASK[0]!.slice(0, 5)]);
    short!.forEach((v, c) => assert.ok(Math.abs(v - onnx[0]![c]!) < 1e-5));
  });
}

test('the same graph always encodes to the same bytes', () => {
  const graph = randomGraph(3, 10, 5, 1);
  assert.deepEqual(exportClassifierOnnx(graph), exportClassifierOnnx(graph));
  assert.notDeepEqual(exportClassifierOnnx(graph), exportClassifierOnnx({ ...graph, bias: Float32Array.of(0, 0, 0) }));
});
