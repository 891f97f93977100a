import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isOperatorAccount, parseOperatorAccounts } from '../../src/clean/author.js';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { loadConfig } from '../../src/config.js';
import { readLabeledFile } from '../../src/eval/read-labeled.js';
import { RULE_SIGNALS, viewByRules } from '../../src/model/rule-view.js';
import { packCleaned, unpackCleaned } from '../../src/pipeline/worker-protocol.js';
import { classifyByRules } from '../../src/rules/classify-by-rules.js';
import { tempDir } from '../helpers.js';

test('operator accounts: the built-in list, FMC_OPERATOR_ACCOUNTS replacing it, handles without @ or case', () => {
  const builtIn = parseOperatorAccounts(undefined);
  assert.ok(isOperatorAccount('Freebox', builtIn));
  assert.ok(isOperatorAccount('@free', builtIn));
  assert.ok(!isOperatorAccount('freeboxfan', builtIn));
  assert.ok(!isOperatorAccount(undefined, builtIn));
  const mine = loadConfig({ FMC_OPERATOR_ACCOUNTS: ' @Orange , sosh' }).operatorAccounts;
  assert.deepEqual([...mine], ['orange', 'sosh']);
  assert.ok(!isOperatorAccount('Freebox', mine));
  assert.ok(isOperatorAccount('Sosh', mine));
  assert.ok(isOperatorAccount('freebox', loadConfig({}).operatorAccounts));
});

test('a tweet from the operator is no claim for the rules, and a signal for the combiner', () => {
  // The operator announcing a change in the first person, which the rules read as a customer's.
  const text = 'je suis sur le réseau mobile, il évolue : ipv6 activé par défaut sur mon forfait';
  const customer = cleanTweet(text);
  const operator = { ...customer, fromOperator: true };
  const fromOperator = classifyByRules(operator);
  assert.equal(fromOperator.is_claim, false);
  assert.equal(fromOperator.incident, 'none');
  const flag = RULE_SIGNALS.indexOf('author:operator');
  assert.ok(flag >= 0);
  assert.equal(viewByRules(operator).signals[flag], 1);
  assert.equal(viewByRules(customer).signals[flag], 0);
  // The flag survives the trip to the engine thread.
  assert.deepEqual(unpackCleaned(packCleaned([operator, customer])).map((t) => t.fromOperator === true), [true, false]);
});

test('labeled files: the author column is sniffed, or named with --author-column', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'labeled.csv');
    writeFileSync(path, 'screen_name,handle,text,is_claim,sentiment,topic,incident,urgency\nFreebox,x,promo,false,positive,tv,none,low\n');
    assert.equal((await readLabeledFile(path))[0]!.author, 'Freebox');
    assert.equal((await readLabeledFile(path, { authorColumn: 'handle' }))[0]!.author, 'x');
    await assert.rejects(readLabeledFile(path, { authorColumn: 'nope' }), /labeled\.csv:1.*--author-column "nope" not found/);
    const none = join(dir, 'none.csv');
    writeFileSync(none, 'text,is_claim,sentiment,topic,incident,urgency\npromo,false,positive,tv,none,low\n');
    assert.equal((await readLabeledFile(none))[0]!.author, undefined);
  } finally {
    cleanup();
  }
});
