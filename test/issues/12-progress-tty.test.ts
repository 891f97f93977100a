import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { announceStartup, modelToBuild } from '../../src/cli/startup.js';
import { fixture, fmcBin, runFmc, tempDir } from '../helpers.js';

// Issue #12, items 19 and 21, as a person at a terminal sees them: fmc runs under a
// pseudo-terminal (util-linux `script`), where stderr is a TTY; the same commands without
// one must print no bar, no spinner and JSON logs.

let dir: string;
let cleanup: () => void;
before(() => ({ dir, cleanup } = tempDir('fmc-12-tty-')));
after(() => cleanup());

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** Runs fmc with stdout and stderr on a pseudo-terminal; returns everything it drew. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; screen: string } {
  const command = [process.execPath, fmcBin, ...args].map(quote).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FMC_CACHE: join(dir, 'cache.sqlite'), COLUMNS: '200', ...env },
  });
  assert.equal(r.error, undefined, `script(1) from util-linux is needed: ${r.error?.message}`);
  return { status: r.status, screen: r.stdout };
}

// eslint-disable-next-line no-control-regex
const plain = (screen: string): string => screen.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '');

test('classify on a terminal: a bar with percent, rows, rows/s, elapsed, ETA and the tier mix; then the summary table', () => {
  const { status, screen } = onTerminal(['classify', fixture('tweets.csv'), '-o', join(dir, 'out.csv'), '--provider', 'rules']);
  assert.equal(status, 0, screen);
  const text = plain(screen);
  // The last frame drawn before the bar clears itself.
  assert.match(text, /█{24} 100% {2}3,464 rows {2}[\d,]+ rows\/s {2}\d+:\d\d elapsed {2}rules 100% {2}ETA 0:00/);
  assert.match(screen, /\x1b\[\?25l/, 'cursor hidden while drawing');
  assert.match(screen, /\x1b\[\?25h/, 'and shown again');
  // The bar draws over one line (cursor moves, no newline): the summary follows on it.
  assert.match(text, /3,464 rows in .* rows\/s\); 24 duplicates reused; no invalid rows\r?$/m);
  assert.match(text, /^ {2}providers +rules 100\.0%\r?$/m);
});

test('classify without a terminal, or with --quiet: no bar, no escape codes', () => {
  const piped = runFmc(['classify', fixture('tweets.csv'), '-o', join(dir, 'piped.csv'), '--provider', 'rules']);
  assert.equal(piped.status, 0, piped.stderr);
  assert.doesNotMatch(piped.stderr, /\x1b|\r|ETA|█/);
  const quiet = onTerminal(['classify', fixture('tweets.csv'), '-o', join(dir, 'quiet.csv'), '--provider', 'rules', '--quiet']);
  assert.equal(quiet.status, 0, quiet.screen);
  assert.equal(quiet.screen, '');
});

test('stdin of unknown size on a terminal: a spinner with the same figures', () => {
  // stdin redirected from a file inside the terminal session: its size is unknown to fmc.
  const csv = join(dir, 'small.csv');
  writeFileSync(csv, 'text\npanne fibre\nmerci\n');
  const shell = spawnSync('script', ['-qec', `${quote(process.execPath)} ${quote(fmcBin)} classify - -o ${quote(join(dir, 'stdin.csv'))} --provider rules < ${quote(csv)}`, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.equal(shell.status, 0, shell.stdout);
  assert.match(plain(shell.stdout), /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] 2 rows {2}[\d,]+ rows\/s {2}\d+:\d\d elapsed {2}rules 100%/);
});

test('logs: human lines on a terminal, one JSON object a line elsewhere', () => {
  const args = ['classify', fixture('tweets.csv'), '-o', join(dir, 'logs.csv'), '--provider', 'rules', '--log-level', 'info', '--quiet'];
  const tty = onTerminal(args);
  assert.equal(tty.status, 0, tty.screen);
  assert.match(tty.screen, /^\[\d\d:\d\d:\d\d\] INFO: tier chain \{"live":\["rules"\],/m);
  assert.doesNotMatch(tty.screen, /"level":/);
  const piped = runFmc(args);
  assert.equal(piped.status, 0, piped.stderr);
  const lines = piped.stderr.trim().split('\n');
  assert.ok(lines.length > 0);
  for (const line of lines) assert.equal(typeof (JSON.parse(line) as { level: number }).level, 'number', line);
});

test('eval and train on a terminal draw a bar', () => {
  const evaluated = onTerminal(['eval', fixture('dev.csv'), '--provider', 'rules']);
  assert.equal(evaluated.status, 0, evaluated.screen);
  assert.match(plain(evaluated.screen), /classifying █{24} 100% {2}300\/300 rows {2}[\d,.]+ rows\/s {2}\d+:\d\d elapsed {2}ETA 0:00/);
  const trained = onTerminal(['train', fixture('dev.csv'), '--out', join(dir, 'model'), '--no-hybrid']);
  assert.equal(trained.status, 0, trained.screen);
  assert.match(plain(trained.screen), /training [█░]{24} +\d+% {2}\d\/4 steps .* elapsed {2}ETA [\d:–]+ {2}(fitting|writing)/);
  assert.match(plain(trained.screen), /wrote .*model: 300 labeled rows/);
});

test('the first run is announced: which folder gets the built-in model, in a human line; a spinner on a terminal', async () => {
  const models = join(dir, 'models');
  mkdirSync(models);
  const tiers = { modelDir: undefined, modelsDir: models };
  const building = await modelToBuild('auto', tiers);
  assert.ok(building?.startsWith(join(models, 'default-')), String(building));
  assert.equal(await modelToBuild('rules', tiers), undefined, 'the rules need no model');
  assert.equal(await modelToBuild('auto', { ...tiers, modelDir: join(dir, 'mine') }), undefined, "a user's folder is never built");

  const notTty = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
  let written = '';
  notTty.on('data', (c: Buffer) => (written += c));
  announceStartup(notTty, building).done();
  assert.equal(written, `fmc: first run: building the built-in local model from the bundled labeled tweets (2-3 min on two cores, once; kept in ${building})\n`);

  const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 120 }) as unknown as NodeJS.WriteStream;
  let drawn = '';
  tty.on('data', (c: Buffer) => (drawn += c));
  const notice = announceStartup(tty, building);
  await sleep(250);
  notice.done();
  assert.match(plain(drawn), /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] building the built-in local model {2}0:0\d/);
  assert.match(drawn, /\x1b\[\?25h/, 'cursor restored');

  const quiet = Object.assign(new PassThrough(), { isTTY: true, columns: 120 }) as unknown as NodeJS.WriteStream;
  let none = '';
  quiet.on('data', (c: Buffer) => (none += c));
  announceStartup(quiet, building, { quiet: true }).done();
  assert.equal(none, '');
});
