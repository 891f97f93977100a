import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram, commandPath } from '../../src/cli/program.js';
import { repoRoot, tempDir } from '../helpers.js';

// Issue #12, items 18 and 24: the README's commands run as written. Every `fmc` command line
// in its shell blocks parses against the real commander program (the command exists, every
// option exists and takes the value given); before "Operate it" (a clone, nothing installed
// globally) each one is `npx fmc`, and its input files exist or are marked `<placeholder>`.
// And `npx fmc` prints nothing of npm's own on stderr.

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const OPERATE = readme.indexOf('## Operate it');

interface Invocation {
  readonly line: string;
  /** Whether it is in the part of the README read on a clone (before "Operate it"). */
  readonly onClone: boolean;
  /** How fmc was named: "npx fmc", "fmc" or "node …/bin/fmc.js". */
  readonly via: string;
  readonly args: string[];
}

/** Shell words of one line: quotes, `$(…)` and backslashes kept together; a comment dropped. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (ch === "'" || ch === '"') {
      const end = line.indexOf(ch, i + 1);
      word += line.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? line.length : end;
      inWord = true;
    } else if (ch === '$' && line[i + 1] === '(') {
      let depth = 0;
      let j = i + 1;
      for (; j < line.length; j++) {
        if (line[j] === '(') depth++;
        else if (line[j] === ')' && --depth === 0) break;
      }
      word += line.slice(i, j + 1);
      i = j;
      inWord = true;
    } else if (ch === '#' && !inWord) break;
    else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Every fmc invocation in the README's sh blocks. */
function invocations(): Invocation[] {
  const found: Invocation[] = [];
  for (const block of readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    const onClone = block.index! < OPERATE;
    const lines = block[1]!.replace(/\\\n/g, ' ').split('\n');
    for (const line of lines) {
      const words = shellWords(line);
      const segments: string[][] = [[]];
      for (const w of words) (['|', '&&', ';', '||'].includes(w) ? segments.push([]) : segments.at(-1)!.push(w));
      for (let seg of segments) {
        while (seg.length > 0 && /^[A-Z_]+=/.test(seg[0]!)) seg = seg.slice(1); // VAR=value fmc …
        let via: string | undefined;
        let rest: string[] = [];
        if (seg[0] === 'npx' && seg[1] === 'fmc') [via, rest] = ['npx fmc', seg.slice(2)];
        else if (seg[0] === 'fmc') [via, rest] = ['fmc', seg.slice(1)];
        else if (/(^|\/)node$/.test(seg[0] ?? '') && /bin\/fmc\.js$/.test(seg[1] ?? '')) [via, rest] = ['node bin/fmc.js', seg.slice(2)];
        if (!via) continue;
        const args: string[] = [];
        for (const w of rest) {
          if (/^(\d?>>?|<)$/.test(w) || /^\d?>>?\S/.test(w)) break; // a redirection ends fmc's arguments
          args.push(w);
        }
        found.push({ line, onClone, via, args });
      }
    }
  }
  return found;
}

/** The real program with every action replaced by a recorder: parsing validates, nothing runs. */
function parseLike(args: readonly string[]): { command: string; positional: unknown[] } {
  const program = buildProgram(() => undefined);
  let seen: { command: string; positional: unknown[] } | undefined;
  const silence = (c: Command): void => {
    c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    // Groups (fmc, fmc cache…) keep their own behaviour: an action would swallow subcommands.
    if (c.commands.length === 0) {
      c.action((...received: unknown[]) => {
        const cmd = received.at(-1) as Command;
        seen = { command: commandPath(cmd), positional: received.slice(0, -2) };
      });
    }
    c.commands.forEach(silence);
  };
  silence(program);
  program.parse(['node', 'fmc', ...args]);
  assert.ok(seen, `no command ran for: fmc ${args.join(' ')}`);
  return seen;
}

const PLACEHOLDER = /^@?<[^<>]+>$/;
const concrete = (args: readonly string[]): string[] => args.map((a) => (PLACEHOLDER.test(a) ? 'placeholder-value' : a));

test("the README's fmc command lines parse against the real program", () => {
  const all = invocations();
  assert.ok(all.length >= 25, `found ${all.length} fmc command lines: the extraction works`);
  const failures: string[] = [];
  for (const inv of all) {
    try {
      parseLike(concrete(inv.args));
    } catch (err) {
      failures.push(`${inv.line.trim()}\n    -> ${(err as Error).message}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('on a clone (before "Operate it"), every command is npx fmc and every input file exists or is a <placeholder>', () => {
  const onClone = invocations().filter((i) => i.onClone);
  assert.deepEqual(
    onClone.filter((i) => i.via !== 'npx fmc').map((i) => i.line.trim()),
    [],
    'bare `fmc` is "command not found" after the quick start',
  );
  const missing: string[] = [];
  for (const inv of onClone) {
    const { command, positional } = parseLike(concrete(inv.args));
    if (!['fmc classify', 'fmc eval', 'fmc train'].includes(command)) continue;
    const files = positional.flat().map(String);
    for (const [i, file] of files.entries()) {
      const asWritten = inv.args.find((a) => a === file) ?? inv.args.filter((a) => PLACEHOLDER.test(a))[i];
      if (file === '-' || (asWritten && PLACEHOLDER.test(asWritten))) continue;
      // A /tmp file another README command writes (`-o /tmp/x.csv`), e.g. corrections to train on.
      const before = readme;
      const written = file.startsWith('/tmp/') && new RegExp(`(-o|--output|>) ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(before);
      if (!written && !existsSync(join(repoRoot, file))) missing.push(`${inv.line.trim()}: ${file}`);
    }
  }
  assert.deepEqual(missing, [], 'an input that is neither in the clone nor marked <like-this>');
  // The other side of the markers: no bare example name is left for a reader to trip on.
  assert.doesNotMatch(readme.slice(0, OPERATE), /[^<@]export\.csv/);
});

test('the extraction itself: words, placeholders, redirections, assignments', () => {
  assert.deepEqual(shellWords(`FMC_X=1 npx fmc classify <a.csv> -o - --x 'a b' # note`), ['FMC_X=1', 'npx', 'fmc', 'classify', '<a.csv>', '-o', '-', '--x', 'a b']);
  assert.deepEqual(shellWords('K=$(openssl rand -base64 32) fmc keys rotate'), ['K=$(openssl rand -base64 32)', 'fmc', 'keys', 'rotate']);
  assert.throws(() => parseLike(['classify', 'x.csv', '--no-such-flag']), /unknown option/);
  assert.throws(() => parseLike(['nonsense']), /unknown command/);
});

test('npx fmc prints nothing on stderr: no npm warning or notice, with a fresh home', () => {
  const { dir, cleanup } = tempDir('fmc-12-npx-');
  try {
    // A user's shell, not npm's: no npm_* variables inherited from `npm test`.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    const r = spawnSync('npx', ['fmc', '--version'], { cwd: repoRoot, encoding: 'utf8', env: { ...env, HOME: dir } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
    assert.equal(r.stderr, '');
  } finally {
    cleanup();
  }
});
