// Writes one field's classifier as an ONNX graph (opset 13) that Transformers.js runs as a
// BertForSequenceClassification: inputs input_ids / attention_mask / token_type_ids, output
// logits. The graph is the linear model of features.ts:
//   s      = Σ_t mask_t · T[id_t]  +  Σ_t mask_{t+1} · P[(id_t·V + id_{t+1}) mod B]
//   logits = s[:C] / sqrt(s[C]) + bias
// where each row of T and P holds C folded weights and one idf² (the norm's share).

import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;

export interface ClassifierGraph {
  readonly classes: number;
  readonly vocabSize: number;
  /** [vocabSize][classes + 1] */
  readonly tokenTable: Float32Array;
  /** Pair buckets; 0 = none. */
  readonly buckets: number;
  /** [buckets][classes + 1] */
  readonly bucketTable: Float32Array;
  readonly bias: Float32Array;
  /** Recorded in the model's doc string. */
  readonly docString?: string;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function floatTensor(name: string, dims: number[], data: Float32Array): ITensor {
  // Little-endian raw bytes, as ONNX specifies; a copy so the caller's buffer stays put.
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims, dataType: FLOAT, rawData: bytes };
}

function int64Tensor(name: string, values: number[]): ITensor {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [values.length], dataType: INT64, rawData: bytes };
}

function scalarInt64(name: string, value: number): ITensor {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, BigInt(value), true);
  return { name, dims: [], dataType: INT64, rawData: bytes };
}

const node = (opType: string, input: string[], output: string[], attribute: onnxProto.onnx.IAttributeProto[] = []): INode => ({
  opType,
  input,
  output,
  name: output[0] ?? opType,
  attribute,
});

const intAttr = (name: string, i: number): onnxProto.onnx.IAttributeProto => ({ name, i, type: onnx.AttributeProto.AttributeType.INT });

const tokenInput = (name: string): onnxProto.onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: INT64, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] } } },
});

/** The serialized model.onnx bytes: the same graph always encodes to the same bytes. */
export function exportClassifierOnnx(graph: ClassifierGraph): Uint8Array {
  const { classes: c, vocabSize, buckets } = graph;
  const width = c + 1;
  const initializer: ITensor[] = [
    floatTensor('token_table', [vocabSize, width], graph.tokenTable),
    floatTensor('bias', [c], graph.bias),
    int64Tensor('axis1', [1]),
    int64Tensor('axis2', [2]),
    int64Tensor('zero', [0]),
    int64Tensor('one', [1]),
    int64Tensor('minus_one', [-1]),
    int64Tensor('last', [Number.MAX_SAFE_INTEGER]),
    int64Tensor('classes', [c]),
    int64Tensor('classes_end', [width]),
    { name: 'epsilon', dims: [], dataType: FLOAT, floatData: [1e-12] },
  ];
  const nodes: INode[] = [
    node('Cast', ['attention_mask'], ['mask'], [intAttr('to', FLOAT)]),
    node('Unsqueeze', ['mask', 'axis2'], ['mask3']),
    node('Gather', ['token_table', 'input_ids'], ['token_rows'], [intAttr('axis', 0)]),
    node('Mul', ['token_rows', 'mask3'], ['token_masked']),
    node('ReduceSum', ['token_masked', 'axis1'], ['token_sum'], [intAttr('keepdims', 0)]),
  ];
  let sum = 'token_sum';
  if (buckets > 0) {
    initializer.push(floatTensor('bucket_table', [buckets, width], graph.bucketTable), scalarInt64('vocab_size', vocabSize), scalarInt64('buckets', buckets));
    nodes.push(
      node('Slice', ['input_ids', 'zero', 'minus_one', 'axis1'], ['left']),
      node('Slice', ['input_ids', 'one', 'last', 'axis1'], ['right']),
      node('Mul', ['left', 'vocab_size'], ['left_scaled']),
      node('Add', ['left_scaled', 'right'], ['pair_key']),
      node('Mod', ['pair_key', 'buckets'], ['pair_bucket'], [intAttr('fmod', 0)]),
      node('Gather', ['bucket_table', 'pair_bucket'], ['pair_rows'], [intAttr('axis', 0)]),
      // A pair counts when its second token is real: padding only ever follows real tokens.
      node('Slice', ['mask3', 'one', 'last', 'axis1'], ['pair_mask']),
      node('Mul', ['pair_rows', 'pair_mask'], ['pair_masked']),
      node('ReduceSum', ['pair_masked', 'axis1'], ['pair_sum'], [intAttr('keepdims', 0)]),
      node('Add', ['token_sum', 'pair_sum'], ['sum']),
    );
    sum = 'sum';
  }
  nodes.push(
    node('Slice', [sum, 'zero', 'classes', 'axis1'], ['scores']),
    node('Slice', [sum, 'classes', 'classes_end', 'axis1'], ['norm2']),
    node('Max', ['norm2', 'epsilon'], ['norm2_safe']),
    node('Sqrt', ['norm2_safe'], ['norm']),
    node('Div', ['scores', 'norm'], ['scaled']),
    node('Add', ['scaled', 'bias'], ['logits']),
  );
  // token_type_ids is declared for Transformers.js (BERT feeds it) and deliberately unused.
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'fmc',
    producerVersion: '1',
    docString: graph.docString ?? '',
    graph: {
      name: 'fmc_linear_classifier',
      node: nodes,
      initializer,
      input: ['input_ids', 'attention_mask', 'token_type_ids'].map(tokenInput),
      output: [{ name: 'logits', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch_size' }, { dimValue: c }] } } } }],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}
