// deploy.sh with FMC_INSTANCES: two real `fmc serve` instances on one PostgreSQL, from the
// shipped fmc@.service, restarted one at a time by the systemctl stand-in. At every moment of
// the roll one of them answers /api/health; a release that does not come up stops the roll.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot, tempDir } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../pg/postgres.js';
import { run } from './helpers.js';

let root: string;
let cleanup: () => void;
let pg: TestPostgres;
let env: NodeJS.ProcessEnv;
const ports: number[] = [];
const units = (): string[] => ports.map((p) => `fmc@${p}.service`);

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const health = async (port: number): Promise<number> => {
  try {
    return (await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(1000) })).status;
  } catch {
    return 0;
  }
};
const pidOf = (unit: string): string => readFileSync(join(root, 'systemd', `${unit}.pid`), 'utf8').trim();
const systemctl = (...args: string[]) => run(join(repoRoot, 'test', 'ops', 'systemctl-stand-in.sh'), args, { env });
const deploy = (args: string[], extra: NodeJS.ProcessEnv = {}) => run('bash', [join(repoRoot, 'deploy.sh'), ...args], { env: { ...env, ...extra } });

/** The shipped instance unit for `port`, with this test's paths (the stand-in does not expand %i). */
function writeUnit(port: number, extra = ''): void {
  const unit = readFileSync(join(repoRoot, 'src', 'ops', 'templates', 'fmc@.service'), 'utf8')
    .replaceAll('%i', String(port))
    .replace('WorkingDirectory=/opt/fmc/app', `WorkingDirectory=${repoRoot}`)
    .replace('/usr/bin/node /opt/fmc/app/bin/fmc.js', `${process.execPath} ${join(repoRoot, 'bin', 'fmc.js')}`)
    .replace('EnvironmentFile=/etc/fmc/fmc.env', `EnvironmentFile=${join(root, 'fmc.env')}`)
    .replace('--trust-proxy 127.0.0.1', `--trust-proxy 127.0.0.1 --provider rules${extra}`);
  writeFileSync(join(root, 'units', `fmc@${port}.service`), unit);
}

async function waitHealthy(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await health(port)) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`instance on ${port} did not come up: ${readFileSync(join(root, 'systemd', `fmc@${port}.service.log`), 'utf8')}`);
}

before(async () => {
  ({ dir: root, cleanup } = tempDir('fmc-roll-'));
  pg = await startPostgres();
  mkdirSync(join(root, 'units'));
  mkdirSync(join(root, 'systemd'));
  writeFileSync(
    join(root, 'fmc.env'),
    [`FMC_DATA_DIR=${join(root, 'data')}`, `FMC_CACHE=${join(root, 'cache', 'cache.sqlite')}`, `XDG_CACHE_HOME=${join(root, 'xdg')}`, `FMC_DATABASE_URL=${pg.url}`, `FMC_MASTER_KEY=${randomBytes(32).toString('base64')}`, `FMC_JWT_SECRET=${randomBytes(36).toString('base64url')}`, 'FMC_LOG_LEVEL=warn'].join('\n') + '\n',
  );
  for (let i = 0; i < 2; i++) ports.push(await freePort());
  for (const port of ports) writeUnit(port);
  env = {
    ...process.env,
    FAKE_SYSTEMD_DIR: join(root, 'systemd'),
    FAKE_UNIT_DIR: join(root, 'units'),
    SYSTEMCTL: join(repoRoot, 'test', 'ops', 'systemctl-stand-in.sh'),
    FMC_INSTANCES: ports.map((p, i) => `${units()[i]}=http://127.0.0.1:${p}`).join(' '),
    FMC_ENV_FILE: join(root, 'fmc.env'),
    FMC_HEALTH_TIMEOUT: '30',
  };
  for (const unit of units()) assert.equal((await systemctl('start', unit)).code, 0);
  for (const port of ports) await waitHealthy(port);
});

after(async () => {
  for (const unit of units()) await systemctl('stop', unit);
  await pg?.destroy();
  cleanup?.();
});

test('deploy.sh restart with FMC_INSTANCES: one instance at a time, the other serving throughout', async () => {
  const before = units().map(pidOf);
  let polling = true;
  const seen: number[][] = [];
  const poll = (async () => {
    while (polling) {
      seen.push(await Promise.all(ports.map(health)));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const r = await deploy(['restart']);
  polling = false;
  await poll;
  assert.equal(r.code, 0, r.stderr);
  const [first, second] = units();
  const order = [`restarting ${first}`, `127.0.0.1:${ports[0]}/api/health is ready`, `restarting ${second}`, `127.0.0.1:${ports[1]}/api/health is ready`];
  const at = order.map((line) => r.stderr.indexOf(line));
  assert.ok(at.every((i) => i >= 0) && at.every((i, k) => k === 0 || i > at[k - 1]!), r.stderr);
  assert.ok(seen.some((s) => s[0] !== 200), 'the poll saw the first instance down while it restarted');
  for (const s of seen) assert.ok(s.includes(200), `both instances down at once: ${JSON.stringify(s)}`);
  assert.deepEqual(units().map(pidOf).map((p, i) => p !== before[i]), [true, true]);
});

test('an instance that does not come up stops the roll: the next one is not touched and keeps serving', async () => {
  const second = pidOf(units()[1]!);
  writeUnit(ports[0]!, ' --no-such-flag');
  const r = await deploy(['restart'], { FMC_HEALTH_TIMEOUT: '3' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`stopped rolling at ${units()[0]!.replace('.', '\\.')}`));
  assert.doesNotMatch(r.stderr, new RegExp(`restarting ${units()[1]!.replace('.', '\\.')}`));
  assert.equal(pidOf(units()[1]!), second);
  assert.equal(await health(ports[1]!), 200);
  writeUnit(ports[0]!);
  assert.equal((await systemctl('start', units()[0]!)).code, 0);
  await waitHealthy(ports[0]!);
});
