// A model set on disk: one Transformers.js folder per label field, plus fmc-model.json.
//
//   <dir>/fmc-model.json            id, training summary, the hybrid's combiner weights
//   <dir>/<field>/config.json       model_type "bert", id2label = the taxonomy's values
//   <dir>/<field>/tokenizer.json    WordPiece, shared by the five fields
//   <dir>/<field>/tokenizer_config.json
//   <dir>/<field>/onnx/model.onnx
//
// Each field folder loads on its own with `pipeline('text-classification', <dir>/<field>)`.
// Reading validates everything and reports the first problem as one line that names the
// folder and the command that rebuilds it.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FmcError } from '../errors.js';
import { FIELD_VALUES, TRAINED_FIELDS, type TrainedField } from '../labels.js';

export const MANIFEST = 'fmc-model.json';
export const MODEL_FORMAT = 'fmc-model/1';
const REBUILD = 'build one with: fmc train fixtures/train.csv --out <dir>';

export interface FieldFolder {
  readonly field: TrainedField;
  readonly dir: string;
  /** config.json as parsed: handed to Transformers.js as is. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly tokenizer: Readonly<Record<string, unknown>>;
  readonly tokenizerConfig: Readonly<Record<string, unknown>>;
  readonly onnxPath: string;
  /** Class index -> taxonomy value, from config.json's id2label. */
  readonly labels: readonly string[];
}

export interface ModelSet {
  readonly dir: string;
  /** "<id>@sha256:<digest prefix>": changes whenever any model file changes. */
  readonly version: string;
  readonly manifest: Readonly<Record<string, unknown>>;
  readonly fields: Readonly<Record<TrainedField, FieldFolder>>;
}

export interface FieldFiles {
  readonly config: Readonly<Record<string, unknown>>;
  readonly tokenizer: Readonly<Record<string, unknown>>;
  readonly tokenizerConfig: Readonly<Record<string, unknown>>;
  readonly onnx: Uint8Array;
}

export function modelError(folder: string, problem: string): FmcError {
  // One line: library messages (ORT, JSON.parse) can span several.
  return new FmcError('FMC_ERR_MODEL', `${folder}: ${problem.replace(/\s+/g, ' ').trim()}; ${REBUILD}`);
}

/** config.json for one field: a BERT sequence classifier as far as Transformers.js cares. */
export function fieldConfig(field: TrainedField, vocabSize: number, extra: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const values = FIELD_VALUES[field];
  return {
    model_type: 'bert',
    architectures: ['BertForSequenceClassification'],
    problem_type: 'single_label_classification',
    vocab_size: vocabSize,
    id2label: Object.fromEntries(values.map((v, i) => [String(i), v])),
    label2id: Object.fromEntries(values.map((v, i) => [v, i])),
    'transformers.js_config': { dtype: 'fp32' },
    fmc: { field, ...extra },
  };
}

const json = (value: unknown): string => JSON.stringify(value, null, 1) + '\n';

/**
 * Writes the set into `dir` through a sibling temp folder and a rename, so a failed or
 * concurrent build never leaves a half-written model where the tier looks.
 */
/**
 * Throws unless `dir` is new, empty, or a model set (it has fmc-model.json): `--out` replaces
 * the folder whole, so pointing it at anything else would delete someone's files.
 */
export function assertReplaceable(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new FmcError('FMC_ERR_USAGE', `${dir}: cannot be used as a model folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); choose a new or empty folder`);
  }
  if (entries.length > 0 && !entries.includes(MANIFEST)) {
    throw new FmcError('FMC_ERR_USAGE', `${dir}: not empty and not a model folder (no ${MANIFEST}); refusing to replace it: choose a new or empty folder for --out`);
  }
}

export function writeModelSet(dir: string, manifest: Readonly<Record<string, unknown>>, fields: Readonly<Record<TrainedField, FieldFiles>>): void {
  assertReplaceable(dir);
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`);
  const old = join(dirname(dir), `.${basename(dir)}.old-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    for (const field of TRAINED_FIELDS) {
      const files = fields[field];
      const fieldDir = join(tmp, field);
      mkdirSync(join(fieldDir, 'onnx'), { recursive: true });
      writeFileSync(join(fieldDir, 'config.json'), json(files.config));
      writeFileSync(join(fieldDir, 'tokenizer.json'), JSON.stringify(files.tokenizer));
      writeFileSync(join(fieldDir, 'tokenizer_config.json'), json(files.tokenizerConfig));
      writeFileSync(join(fieldDir, 'onnx', 'model.onnx'), files.onnx);
    }
    writeFileSync(join(tmp, MANIFEST), json({ format: MODEL_FORMAT, ...manifest }));
    // The previous model moves aside first, so the folder is never missing a complete set
    // for longer than two renames, and is only deleted once the new one is in place.
    rmSync(old, { recursive: true, force: true });
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function readJson(folder: string, path: string, name: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw modelError(folder, `${name} is missing`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw modelError(folder, `${name} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw modelError(folder, `${name} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** id2label must name exactly the field's taxonomy values, each once, at ids 0..n-1. */
export function labelsFromConfig(folder: string, field: TrainedField, config: Readonly<Record<string, unknown>>): string[] {
  const id2label = config.id2label;
  const expected = FIELD_VALUES[field];
  if (typeof id2label !== 'object' || id2label === null) throw modelError(folder, 'config.json has no id2label');
  const entries = Object.entries(id2label as Record<string, unknown>);
  const labels: string[] = [];
  for (const [id, label] of entries) {
    const index = Number(id);
    if (!Number.isInteger(index) || index < 0 || index >= entries.length || typeof label !== 'string') {
      throw modelError(folder, `config.json id2label has an invalid entry ${JSON.stringify(id)}: ${JSON.stringify(label)}`);
    }
    labels[index] = label.trim().toLowerCase();
  }
  const sorted = [...labels].sort();
  if (labels.length !== expected.length || sorted.join() !== [...expected].sort().join()) {
    throw modelError(folder, `config.json id2label (${labels.join(', ')}) does not match the taxonomy's ${field} values (${expected.join(', ')})`);
  }
  return labels;
}

function readField(dir: string, field: TrainedField): FieldFolder {
  const folder = join(dir, field);
  try {
    if (!statSync(folder).isDirectory()) throw new Error();
  } catch {
    throw modelError(folder, 'model folder is missing');
  }
  const config = readJson(folder, join(folder, 'config.json'), 'config.json');
  if (typeof config.model_type !== 'string') throw modelError(folder, 'config.json has no model_type');
  const labels = labelsFromConfig(folder, field, config);
  const tokenizer = readJson(folder, join(folder, 'tokenizer.json'), 'tokenizer.json');
  if (typeof tokenizer.model !== 'object' || tokenizer.model === null) throw modelError(folder, 'tokenizer.json has no model');
  const tokenizerConfig = readJson(folder, join(folder, 'tokenizer_config.json'), 'tokenizer_config.json');
  if (typeof tokenizerConfig.pad_token !== 'string' && typeof tokenizerConfig.pad_token !== 'object') {
    throw modelError(folder, 'tokenizer_config.json has no pad_token');
  }
  const onnxPath = join(folder, 'onnx', 'model.onnx');
  let size = 0;
  try {
    size = statSync(onnxPath).size;
  } catch {
    throw modelError(folder, 'onnx/model.onnx is missing');
  }
  if (size === 0) throw modelError(folder, 'onnx/model.onnx is empty');
  return { field, dir: folder, config, tokenizer, tokenizerConfig, onnxPath, labels };
}

/** Content hash of every file the predictions depend on, in a fixed order. */
function contentDigest(dir: string, fields: Readonly<Record<TrainedField, FieldFolder>>): string {
  const h = createHash('sha256');
  for (const field of TRAINED_FIELDS) {
    const f = fields[field];
    for (const path of [join(f.dir, 'config.json'), join(f.dir, 'tokenizer.json'), join(f.dir, 'tokenizer_config.json'), f.onnxPath]) {
      h.update(path.slice(dir.length)).update('\0').update(readFileSync(path)).update('\0');
    }
  }
  try {
    h.update(readFileSync(join(dir, MANIFEST)));
  } catch {
    // The manifest is optional for the plain tier (it only adds the hybrid's weights).
  }
  return h.digest('hex');
}

/** Reads and validates a model set; throws FMC_ERR_MODEL naming the folder at fault. */
export function readModelSet(dir: string): ModelSet {
  try {
    if (!statSync(dir).isDirectory()) throw new Error();
  } catch {
    throw modelError(dir, 'model folder is missing');
  }
  let manifest: Record<string, unknown> = {};
  try {
    statSync(join(dir, MANIFEST));
    manifest = readJson(dir, join(dir, MANIFEST), MANIFEST);
  } catch (err) {
    if (err instanceof FmcError) throw err;
  }
  const fields = Object.fromEntries(TRAINED_FIELDS.map((field) => [field, readField(dir, field)])) as Record<TrainedField, FieldFolder>;
  const id = typeof manifest.id === 'string' ? manifest.id : basename(dir);
  return { dir, manifest, fields, version: `${id}@sha256:${contentDigest(dir, fields).slice(0, 16)}` };
}
