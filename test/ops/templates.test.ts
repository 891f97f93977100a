import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, holdLock, repoRoot, tempDir } from '../helpers.js';
import { OUTPUT_COLUMNS } from '../../src/labels.js';
import { localizeTemplate, run } from './helpers.js';

// The shipped operations templates: the unit passes systemd's own checker, the cron lines run
// as written (paths moved under a temp dir), and the README's variable table stays complete.

const templates = join(repoRoot, 'src', 'ops', 'templates');
const read = (name: string): string => readFileSync(join(templates, name), 'utf8');
const directive = (unit: string, key: string): string[] => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);

let root: string;
let cleanup: () => void;
before(() => ({ dir: root, cleanup } = tempDir('fmc-templates-')));
after(() => cleanup());

/** systemd's own checker on a shipped unit, as `unit` (a template's instance, e.g. fmc@8502.service, for fmc@.service). */
async function verifyUnit(file: string, unit = file): Promise<void> {
  const dir = join(root, `unit-${file}`);
  mkdirSync(dir);
  copyFileSync(join(templates, file), join(dir, file));
  const r = await run('systemd-analyze', ['verify', join(dir, unit)]);
  assert.equal(r.code, 0, r.stderr);
  // Unknown or misspelt directives are only warnings, and a warning means a protection is off.
  assert.doesNotMatch(r.stderr, /Unknown key|ignoring|Failed to parse/i, r.stderr);
}

test('fmc.service: systemd-analyze verify is clean, and the hardening the issue asks for is there', async () => {
  const unit = read('fmc.service');
  await verifyUnit('fmc.service');

  assert.deepEqual(directive(unit, 'User'), ['fmc']);
  assert.deepEqual(directive(unit, 'EnvironmentFile'), ['/etc/fmc/fmc.env']);
  assert.deepEqual(directive(unit, 'Restart'), ['on-failure']);
  assert.deepEqual(directive(unit, 'NoNewPrivileges'), ['yes']);
  assert.deepEqual(directive(unit, 'ProtectSystem'), ['strict']);
  // Behind nginx on loopback: the rate limits key on the client nginx names, not on nginx.
  assert.match(directive(unit, 'ExecStart')[0]!, / --trust-proxy 127\.0\.0\.1( |$)/);
  // Every path fmc writes, per the env template, is inside ReadWritePaths.
  const writable = directive(unit, 'ReadWritePaths')[0]!.split(' ');
  const env = read('fmc.env');
  for (const key of ['FMC_DATA_DIR', 'FMC_CACHE', 'XDG_CACHE_HOME']) {
    const value = new RegExp(`^${key}=(.*)$`, 'm').exec(env)![1]!;
    assert.ok(writable.some((w) => value === w || value.startsWith(`${w}/`) || `${value}/fmc` === w), `${key}=${value} is not under ReadWritePaths=${writable.join(' ')}`);
  }
});

test('fmc@.service: systemd-analyze verify is clean for an instance, which listens on its own port after PostgreSQL', async () => {
  await verifyUnit('fmc@.service', 'fmc@8502.service');
  const unit = read('fmc@.service');
  assert.match(directive(unit, 'ExecStart')[0]!, / --port %i( |$)/);
  assert.match(directive(unit, 'After')[0]!, /\bpostgresql\.service\b/);
  assert.deepEqual(directive(unit, 'NoNewPrivileges'), ['yes']);
});

test('nginx.conf: TLS, the WebSocket upgrade on /ws, and the port the unit listens on', () => {
  const conf = read('nginx.conf');
  const port = /--port (\d+)/.exec(read('fmc.service'))![1];
  assert.match(conf, new RegExp(`server 127\\.0\\.0\\.1:${port};`));
  assert.match(conf, /listen 443 ssl http2;/);
  assert.match(conf, /ssl_certificate_key /);
  const ws = /location \/ws \{([^}]*)\}/.exec(conf)?.[1] ?? '';
  assert.match(ws, /proxy_http_version 1\.1;/);
  assert.match(ws, /proxy_set_header Upgrade \$http_upgrade;/);
  assert.match(ws, /proxy_set_header Connection \$connection_upgrade;/);
  assert.match(conf, /map \$http_upgrade \$connection_upgrade/);
  // Issue 12: no access log line may carry a query (tickets, tokens).
  assert.match(ws, /access_log off;/);
  const format = /log_format (\w+) ([^;]*);/.exec(conf);
  assert.ok(format, 'a log format of its own');
  assert.doesNotMatch(format[2]!, /\$request\b|\$request_uri|\$args|\$query_string/);
  for (const line of conf.split('\n').filter((l) => /^\s*access_log /.test(l))) assert.match(line, new RegExp(`access_log (off|\\S+ ${format[1]});`));
  // deploy.sh waits on the same address by default.
  assert.match(readFileSync(join(repoRoot, 'deploy.sh'), 'utf8'), new RegExp(`FMC_HEALTH_URL:-http://127\\.0\\.0\\.1:${port}\\}`));
});

test('fmc.cron: both lines run as written: dated labels and summary, a held lock exits 75, a backup', async () => {
  const localized = localizeTemplate(read('fmc.cron'), root);
  // "min hour dom month dow user command"; cron turns \% into %.
  const commands = localized
    .split('\n')
    .filter((l) => /^[\d*]/.test(l))
    .map((l) => l.split(/\s+/).slice(6).join(' ').replaceAll('\\%', '%').replace('--quiet', '--quiet --provider rules'));
  assert.equal(commands.length, 2);
  for (const d of ['etc/fmc', 'srv/exports', 'srv/labeled', 'var/cache/fmc', 'var/lib/fmc', 'var/log/fmc', 'var/backups/fmc']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'etc', 'fmc', 'fmc.env'), localizeTemplate(read('fmc.env'), root));
  mkdirSync(join(root, 'opt', 'fmc'), { recursive: true });
  symlinkSync(repoRoot, join(root, 'opt', 'fmc', 'app'));
  const day = (await run('date', ['-d', 'yesterday', '+%F'])).stdout.trim();
  copyFileSync(fixture('dev.csv'), join(root, 'srv', 'exports', `tweets-${day}.csv`));
  // cron's environment is nearly empty: no HOME-derived paths may leak in from this process.
  const cronEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', SHELL: '/bin/bash', HOME: join(root, 'home') };

  const labeled = await run('bash', ['-c', commands[0]!], { env: cronEnv });
  assert.equal(labeled.code, 0, readFileSync(join(root, 'var', 'log', 'fmc', 'classify.log'), 'utf8'));
  const out = readFileSync(join(root, 'srv', 'labeled', `tweets-${day}.classified.csv`), 'utf8');
  assert.ok(out.split('\n')[0]!.includes(OUTPUT_COLUMNS.join(',')), out.split('\n')[0]);
  const summary = JSON.parse(readFileSync(join(root, 'srv', 'labeled', `summary-${day}.json`), 'utf8')) as Record<string, unknown>;
  assert.ok(Object.keys(summary).length > 0);
  assert.ok(!existsSync(join(root, 'var', 'cache', 'fmc', 'classify.lock')), 'the lock is released');

  const lock = await holdLock(join(root, 'var', 'cache', 'fmc', 'classify.lock'));
  try {
    const second = await run('bash', ['-c', commands[0]!], { env: cronEnv });
    assert.equal(second.code, 75);
  } finally {
    await lock.release();
  }

  const backup = await run('bash', ['-c', commands[1]!], { env: cronEnv });
  assert.equal(backup.code, 0, readFileSync(join(root, 'var', 'log', 'fmc', 'backup.log'), 'utf8'));
  assert.equal(readdirSync(join(root, 'var', 'backups', 'fmc', 'nightly')).filter((n) => n.startsWith('fmc-backup-')).length, 1);
});

test('README "Operate it": the variable table names every variable fmc and deploy.sh read', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Operate it'), readme.indexOf('\n## ', readme.indexOf('## Operate it') + 1));
  const documented = new Set([...section.matchAll(/^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \|/gm)].flatMap((m) => m[1]!.split(', ').map((v) => v.replaceAll('`', ''))));

  const read = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.ts')) for (const m of readFileSync(join(dir, e.name), 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) read.add(m[1]!);
    }
  };
  walk(join(repoRoot, 'src'));
  for (const m of readFileSync(join(repoRoot, 'deploy.sh'), 'utf8').matchAll(/\$\{([A-Z][A-Z0-9_]+):-/g)) read.add(m[1]!);
  assert.ok(read.has('FMC_DATA_DIR') && read.has('FMC_HEALTH_URL'), 'the scan finds variables');
  assert.deepEqual([...read].filter((v) => !documented.has(v)).sort(), [], 'read but missing from the README table');
  assert.deepEqual([...documented].filter((v) => !read.has(v)).sort(), [], 'in the README table but read nowhere');
});
