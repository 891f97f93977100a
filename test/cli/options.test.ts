import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from 'commander';
import { pipelineOptionsFrom, type ChainFlags } from '../../src/cli/chain-options.js';
import { buildProgram } from '../../src/cli/program.js';
import { loadConfig } from '../../src/config.js';
import type { PipelineOptions } from '../../src/pipeline/pipeline.js';

// argv -> the options a command receives -> the engine's options: a table, as changesets'
// cli.test does. The actions are replaced so nothing runs.

const env = { FMC_CACHE: '/tmp/env-cache.sqlite', FMC_TIMEOUT_MS: '12000', XDG_CACHE_HOME: '/tmp/xdg' };

async function parse(argv: readonly string[]): Promise<{ command: string; options: Record<string, unknown> }> {
  const program = buildProgram(() => undefined);
  let seen: { command: string; options: Record<string, unknown> } | undefined;
  const replace = (commands: readonly Command[]): void => {
    for (const command of commands) {
      command.action(function (this: Command) {
        seen = { command: this.name(), options: this.opts() };
      });
      replace(command.commands);
    }
  };
  replace(program.commands);
  await program.parseAsync(['node', 'fmc', ...argv]);
  return seen!;
}

const engine = async (argv: readonly string[]): Promise<PipelineOptions> => pipelineOptionsFrom(loadConfig(env), (await parse(argv)).options as unknown as ChainFlags);

const TABLE: readonly { argv: readonly string[]; want: Partial<PipelineOptions> & { timeoutMs?: number; rpm?: number; maxWaitMs?: number; modelDir?: string } }[] = [
  { argv: ['classify', 'in.csv'], want: { provider: 'auto', concurrency: 4, batchSize: 20, cachePath: '/tmp/env-cache.sqlite', escalateBelow: undefined, keepHashtags: true, timeoutMs: 12_000, rpm: 0 } },
  { argv: ['classify', 'in.csv', '--no-cache', '--provider', 'openai'], want: { provider: 'openai', cachePath: undefined } },
  { argv: ['classify', 'in.csv', '--cache', 'mine.sqlite', '--no-hashtags'], want: { cachePath: 'mine.sqlite', keepHashtags: false } },
  { argv: ['classify', 'in.csv', '--timeout', '2.5', '--max-wait', '10', '--rpm', '30', '--escalate-below', '0.6'], want: { timeoutMs: 2500, maxWaitMs: 10_000, rpm: 30, escalateBelow: 0.6 } },
  { argv: ['classify', 'in.csv', '--concurrency', '8', '--batch-size', '50', '--model-dir', '/m'], want: { concurrency: 8, batchSize: 50, modelDir: '/m' } },
  { argv: ['eval', 'dev.csv', '--provider', 'rules'], want: { provider: 'rules', cachePath: '/tmp/env-cache.sqlite', timeoutMs: 12_000 } },
  { argv: ['serve', '--provider', 'gemini', '--rpm', '60', '--no-cache'], want: { provider: 'gemini', rpm: 60, cachePath: undefined } },
  { argv: ['classify', 'in.csv', '--provider', 'model'], want: { provider: 'model' } },
];

for (const { argv, want } of TABLE) {
  test(`fmc ${argv.join(' ')}`, async () => {
    const got = await engine(argv);
    const flat: Record<string, unknown> = { ...got, ...got.tiers };
    for (const [key, value] of Object.entries(want)) assert.deepEqual(flat[key], value, key);
  });
}

test('a value outside the choices is refused before any command runs', async () => {
  await assert.rejects(parse(['classify', 'in.csv', '--provider', 'gpt']), /Allowed choices are auto, gemini, openai, ollama, model, rules/);
  await assert.rejects(parse(['classify', 'in.csv', '--escalate-below', '2']), /between 0 and 1/);
});

test('the old --provider/--tier transformers still works as model, with a one-line note on stderr', async () => {
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stderr.write;
  try {
    assert.equal((await engine(['classify', 'in.csv', '--provider', 'transformers'])).provider, 'model');
    assert.equal((await parse(['health', '--provider', 'transformers'])).options.provider, 'model');
    assert.equal((await parse(['cache', 'clear', '--tier', 'transformers'])).options.tier, 'model');
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(written, [
    ...Array(2).fill('fmc: --provider transformers is deprecated: it is now --provider model\n'),
    'fmc: --tier transformers is deprecated: it is now --tier model\n',
  ]);
});

test('fmc replies and fmc corrections take --database-url (the PostgreSQL every fmc serve shares)', async () => {
  const url = 'postgres://fmc@db.example:5432/fmc';
  for (const argv of [
    ['replies', 'list', '--json'],
    ['replies', 'add', 'delai', 'Comptez', '48', 'heures'],
    ['replies', 'remove', 'delai'],
    ['corrections', 'export', '-o', '-'],
    ['corrections', 'stats'],
  ]) {
    assert.equal((await parse([...argv, '--database-url', url])).options.databaseUrl, url, argv.join(' '));
    assert.equal((await parse(argv)).options.databaseUrl, undefined, `${argv.join(' ')}: FMC_DATABASE_URL decides later`);
  }
});
