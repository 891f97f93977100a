// The logger's two formats: pino-pretty is loaded only when a person reads the lines (it is
// required lazily, see log.ts), so both paths are checked in a child process writing to fd 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers.js';

const logModule = pathToFileURL(join(repoRoot, 'dist', 'src', 'log.js')).href;

function logOnce(pretty: boolean): string {
  const script = `import { createLogger } from ${JSON.stringify(logModule)};
createLogger('info', { pretty: ${pretty}, color: false }).warn({ rows: 3 }, 'cache is read-only');`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return child.stderr;
}

test('a terminal gets one readable line: time, level, message and details (pino-pretty)', () => {
  assert.match(logOnce(true), /^\[\d\d:\d\d:\d\d\] WARN: cache is read-only \{"rows":3\}\n$/);
});

test('a pipe gets one JSON object a line', () => {
  const line = JSON.parse(logOnce(false)) as Record<string, unknown>;
  assert.equal(line.level, 40);
  assert.equal(line.msg, 'cache is read-only');
  assert.equal(line.rows, 3);
  assert.equal(line.name, 'fmc');
});
