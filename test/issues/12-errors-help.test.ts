import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram, commandPath } from '../../src/cli/program.js';
import { FmcError } from '../../src/errors.js';
import { fmcBin, repoRoot, runFmc, tempDir } from '../helpers.js';
import { call, errorCode, startServer, type TestServer } from '../server/helpers.js';

// Issue #12, item 23: commander's own errors look like every other fmc error (one line,
// `fmc: … [FMC_ERR_USAGE]`, exit 2); no message says "fmc: fmc …"; a bad --port is a usage
// error; an HTTP caller is told about query parameters, not flags; `cache clear` refuses an
// unknown tier; every option's help shows its default, every command has examples; `fmc
// serve` says where the dashboard is.

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir('fmc-12-errors-')));
after(() => cleanup());

const oneUsageLine = (args: string[], message: RegExp): void => {
  const r = runFmc(args, { env: { FMC_CACHE: join(dir, 'cache.sqlite'), FMC_DATA_DIR: join(dir, 'data') } });
  assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}, stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr for ${args.join(' ')}, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^fmc: .* \[FMC_ERR_USAGE\]$/);
  assert.match(lines[0]!, message);
  assert.equal(r.stdout, '');
};

test("commander's errors: one fmc line, FMC_ERR_USAGE, exit 2, naming the help to read", () => {
  oneUsageLine(['classify', 'x.csv', '--bogus'], /^fmc: unknown option '--bogus'; see `fmc classify --help`/);
  oneUsageLine(['classify'], /^fmc: missing required argument 'input'; see `fmc classify --help`/);
  oneUsageLine(['clasify'], /^fmc: unknown command 'clasify' \(Did you mean classify\?\); see `fmc --help`/);
  oneUsageLine(['classify', 'x.csv', '--provider', 'gpt'], /argument 'gpt' is invalid.*Allowed choices are auto, /);
  oneUsageLine(['cache', 'clear', '--tier'], /option '--tier <name>' argument missing; see `fmc cache clear --help`/);
  oneUsageLine(['--nope'], /^fmc: unknown option '--nope'; see `fmc --help`/);
});

test('a bad --port is a usage error (exit 2) before anything starts', () => {
  oneUsageLine(['serve', '--port', '99999'], /--port must be an integer from 0 to 65535/);
  oneUsageLine(['serve', '--port', 'http'], /--port must be an integer from 0 to 65535/);
});

test('cache clear --tier refuses a tier that does not exist, and clears one that does', () => {
  oneUsageLine(['cache', 'clear', '--tier', 'bogus'], /argument 'bogus' is invalid\. Allowed choices are .*gemini/);
  const ok = runFmc(['cache', 'clear', '--tier', 'gemini', '--cache', join(dir, 'c.sqlite')]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^removed 0 entries of tier gemini from /);
});

test('no error message repeats the "fmc:" prefix main.ts adds', async () => {
  // Statically: no message in the source starts with "fmc " (it would print "fmc: fmc …").
  const offenders: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.ts')) {
        for (const m of readFileSync(join(d, e.name), 'utf8').matchAll(/new FmcError\(\s*'FMC_ERR_\w+',\s*[`'"](fmc[ :][^`'"]*)/g)) offenders.push(`${e.name}: ${m[1]}`);
        for (const m of readFileSync(join(d, e.name), 'utf8').matchAll(/new FmcError\(\s*'FMC_ERR_\w+',\s*`\$\{what\}/g)) offenders.push(`${e.name}: ${m[0]}`);
      }
    }
  };
  walk(join(repoRoot, 'src'));
  assert.deepEqual(offenders, []);
  // And the case the issue met: a data dir held by another server.
  const { lockDataDir } = await import('../../src/server/relay/data-lock.js');
  mkdirSync(join(dir, 'held'));
  const lock = lockDataDir(join(dir, 'held'), 'test');
  try {
    assert.throws(
      () => lockDataDir(join(dir, 'held'), 'fmc serve'),
      (err: FmcError) => err.code === 'FMC_ERR_LOCKED' && !/^fmc/.test(err.message) && err.message.includes(join(dir, 'held')),
    );
  } finally {
    lock.release();
  }
});

test('help: every option that takes a value shows its default; every command has examples, the root too', () => {
  let out = '';
  const program = buildProgram(() => undefined);
  const commands: Command[] = [];
  const walk = (c: Command): void => {
    c.configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (out += s) });
    commands.push(c);
    c.commands.forEach(walk);
  };
  walk(program);
  const missingDefault: string[] = [];
  const missingExamples: string[] = [];
  for (const cmd of commands) {
    const help = cmd.createHelp();
    for (const opt of cmd.options) {
      if (!(opt.required || opt.optional)) continue; // flags: off unless given
      const text = help.optionDescription(opt);
      if (!/[(,] ?(default|required)\b/.test(text) && !opt.mandatory) missingDefault.push(`${commandPath(cmd)} ${opt.flags}: ${text}`);
    }
    out = '';
    cmd.outputHelp();
    if (!/\nExamples:\n {2}(npx )?fmc /.test(out)) missingExamples.push(commandPath(cmd));
  }
  assert.deepEqual(missingDefault, []);
  assert.deepEqual(missingExamples, []);
  assert.ok(commands.length >= 15, `walked ${commands.length} commands`);
});

test('--help and --version exit 0 on stdout; a group without its subcommand is a usage error', () => {
  const help = runFmc(['classify', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Examples:/);
  assert.equal(help.stderr, '');
  const bare = runFmc(['cache']);
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /Usage: fmc cache/);
});

let server: TestServer | undefined;
after(() => server?.close());

test('over HTTP, a CSV without a text column points at the text_column query parameter, not a CLI flag', async () => {
  server = await startServer();
  const r = await call(`${server.url}/api/classify`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'id,body\n1,panne\n' });
  assert.equal(r.status, 400, r.text);
  assert.equal(errorCode(r), 'FMC_ERR_NO_TEXT_COLUMN');
  const message = (r.body as { error: { message: string } }).error.message;
  assert.match(message, /text_column=<name>/);
  assert.doesNotMatch(message, /--text-column/);
  const id = await call(`${server.url}/api/classify?id_column=nope`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'text\npanne\n' });
  assert.equal(id.status, 400, id.text);
  assert.doesNotMatch((id.body as { error: { message: string } }).error.message, /--id-column/);
});

test('fmc serve says where the dashboard is, in a human line on stderr', async () => {
  const child = spawn(process.execPath, [fmcBin, 'serve', '--port', '0', '--provider', 'rules', '--data-dir', join(dir, 'serve-data'), '--no-cache'], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let text = '';
  const line = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /^fmc serve: dashboard at (http:\/\/127\.0\.0\.1:(\d+)\/) .*$/m.exec(text);
      if (m) resolve(m[0]);
    });
    void exited.then(() => reject(new Error(`fmc serve exited: ${text}`)));
  });
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  const url = /(http:\S+\/)/.exec(line)![1]!;
  assert.ok(text.includes(`listening on ${url.slice(0, -1)} `), text);
});
