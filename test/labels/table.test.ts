import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FIELD_VALUES,
  LABEL_FIELDS,
  LABEL_TABLE,
  labelCells,
  labelsKey,
  labelTableJson,
  OUTPUT_COLUMNS,
  parseFieldValue,
  pickLabels,
  toLabelResult,
  toScoredLabels,
  type LabelResult,
} from '../../src/labels.js';
import { ANSWER_GEMINI_SCHEMA, ANSWER_JSON_SCHEMA } from '../../src/tiers/llm-answers.js';
import { labelResultSchema } from '../../src/server/label-schema.js';

/** Every combination of the table's values, as results. */
function* everyResult(): Generator<LabelResult> {
  const fields = LABEL_TABLE;
  const at = new Array<number>(fields.length).fill(0);
  for (;;) {
    const r: Record<string, unknown> = {};
    fields.forEach((f, i) => (r[f.name] = parseFieldValue(f.name, f.values[at[i]!]!)));
    yield { ...r, confidence: 0.5, provider: 'rules' } as LabelResult;
    let i = fields.length - 1;
    while (i >= 0 && ++at[i]! === fields[i]!.values.length) at[i--] = 0;
    if (i < 0) return;
  }
}

test('label cells and output columns agree: one cell per column, each the value of its column', () => {
  for (const r of everyResult()) {
    const cells = labelCells(r);
    assert.equal(cells.length, OUTPUT_COLUMNS.length);
    OUTPUT_COLUMNS.forEach((column, i) => {
      const expected = column === 'confidence' ? Math.round(r.confidence * 1000) / 1000 : (r as unknown as Record<string, unknown>)[column];
      assert.equal(cells[i], expected, column);
    });
  }
  assert.deepEqual(OUTPUT_COLUMNS, [...LABEL_FIELDS, 'confidence', 'provider']);
});

test('the interning key tells every combination of values apart, below the product of the value counts', () => {
  const seen = new Set<number>();
  const bound = LABEL_TABLE.reduce((n, f) => n * f.values.length, 1);
  for (const r of everyResult()) {
    const key = labelsKey(r);
    assert.ok(Number.isInteger(key) && key >= 0 && key < bound);
    assert.ok(!seen.has(key), `key ${key} taken twice`);
    seen.add(key);
  }
  assert.equal(seen.size, bound);
  assert.ok(Number.isNaN(labelsKey({ ...[...everyResult()][0]!, topic: 'weather' as never })));
});

test('the validator accepts every value of the table and refuses anything else', () => {
  for (const r of everyResult()) {
    const { provider: _, ...scored } = r;
    assert.deepEqual(toScoredLabels(scored), scored);
  }
  // One valid answer, from the table: an incident (so urgency may be high), every field set.
  const good: Record<string, unknown> = { ...[...everyResult()].find((r) => r.incident === 'outage' && r.urgency === 'high' && r.is_claim === true)! };
  delete good.provider;
  assert.deepEqual(toScoredLabels({ ...good, is_claim: 'true' }), good, 'CSV booleans are read');
  for (const field of LABEL_TABLE) {
    assert.equal(toScoredLabels({ ...good, [field.name]: 'nope' }), undefined, `${field.name}: value outside the table`);
    const without = { ...good };
    delete without[field.name];
    // A field every answer carries is required; another takes its fallback.
    if (field.carried) assert.equal(toScoredLabels(without), undefined, `${field.name}: missing`);
    else assert.ok(toScoredLabels(without), `${field.name}: missing, fallback`);
  }
  for (const confidence of [-0.1, 1.1, Number.NaN, '0.5', undefined]) assert.equal(toScoredLabels({ ...good, confidence }), undefined);
  assert.equal(toScoredLabels(null), undefined);
  // The consistency rule applies to every result.
  assert.equal(toLabelResult({ ...good, incident: 'none', urgency: 'high' }, 'gemini')!.urgency, 'low');
  assert.deepEqual(Object.keys(pickLabels(good as never)), [...LABEL_FIELDS]);
  assert.deepEqual(Object.keys(toLabelResult(good, 'gemini')!), [...LABEL_FIELDS, 'confidence', 'provider']);
});

test('the JSON Schemas sent to the LLMs and served by the API list the table\'s fields and values', () => {
  const item = (ANSWER_JSON_SCHEMA as { properties: { answers: { items: { properties: Record<string, { enum?: string[]; type: string }>; required: string[] } } } }).properties.answers.items;
  const gemini = (ANSWER_GEMINI_SCHEMA as { properties: { answers: { items: { properties: Record<string, { enum?: string[]; type: string }>; propertyOrdering: string[] } } } }).properties.answers.items;
  assert.deepEqual(item.required, ['id', ...LABEL_FIELDS, 'confidence']);
  assert.deepEqual(gemini.propertyOrdering, ['id', ...LABEL_FIELDS, 'confidence']);
  for (const f of LABEL_TABLE) {
    const want = f.kind === 'boolean' ? undefined : [...f.values];
    assert.deepEqual(item.properties[f.name]!.enum, want, f.name);
    assert.deepEqual(gemini.properties[f.name]!.enum, want, f.name);
    assert.equal(gemini.properties[f.name]!.type, f.kind === 'boolean' ? 'BOOLEAN' : 'STRING');
    assert.deepEqual((labelResultSchema.properties as Record<string, { enum?: string[] }>)[f.name]!.enum, want);
  }
  assert.deepEqual(Object.keys(labelResultSchema.properties), [...LABEL_FIELDS, 'confidence', 'provider']);
  assert.deepEqual(labelTableJson().fields.map((f) => [f.name, f.values]), LABEL_FIELDS.map((f) => [f, FIELD_VALUES[f]]));
});
