// A real PostgreSQL server for the tests: Debian's binaries, a cluster made by initdb in a
// temp dir, listening on a random loopback port, torn down after. PostgreSQL refuses to run
// as root and CI runs as root, so there the cluster belongs to the `postgres` user the
// Debian package creates (spawned with its uid and gid, so signals reach postgres itself).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const INSTALL = 'apt-get update && apt-get install -y --no-install-recommends postgresql';

/** The folder holding initdb and postgres: PATH first, then Debian's versioned folders. */
export function postgresBinDir(): string {
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) {
    const real = spawnSync('readlink', ['-f', which.stdout.trim()], { encoding: 'utf8' }).stdout.trim();
    return real.slice(0, real.lastIndexOf('/'));
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error(`PostgreSQL's server binaries (initdb, postgres) are not installed; run: ${INSTALL}`);
  return join(root, versions[0]!, 'bin');
}

interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

/** Root runs the server as `postgres`; anyone else runs it as themselves. */
function runAs(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error(`no "postgres" user to run the test server as (CI runs as root); run: ${INSTALL}`);
  return { uid, gid };
}

/** A free loopback port, asked of the kernel (the tiny race before postgres binds it is retried). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface TestPostgres {
  /** A connection URL for the `fmc` superuser's database `fmc`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server (fast shutdown); the cluster stays, so start() brings the same data back. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops the server and removes the cluster. */
  destroy(): Promise<void>;
  /** Creates an empty database `name` on this server (a test's own, no tables) and returns its URL. */
  createDatabase(name: string): Promise<string>;
}

export interface PostgresOptions {
  /** Extra server settings (`-c name=value`), e.g. the bench's shared_preload_libraries. */
  readonly settings?: Readonly<Record<string, string>>;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const as = runAs();
  const root = mkdtempSync(join(tmpdir(), 'fmc-pg-'));
  const dataDir = join(root, 'data');
  if (as.uid !== undefined) {
    chownSync(root, as.uid, as.gid!);
    chmodSync(root, 0o700);
  }
  const init = spawnSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'fmc', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { ...as, cwd: root, encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr.trim().split('\n').pop()}`);
  }

  let port = await freePort();
  let server: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const args = [
        '-D', dataDir, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1',
        '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200',
        ...Object.entries(options.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      ];
      const child = spawn(join(bin, 'postgres'), args, { ...as, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const ready = await waitReady(`postgres://fmc@127.0.0.1:${port}/postgres`, child);
      if (ready) {
        server = child;
        // A test process that dies must not leave a server behind: immediate shutdown on exit.
        const reap = (): void => void child.kill('SIGQUIT');
        process.once('exit', reap);
        child.once('exit', () => process.off('exit', reap));
        return;
      }
      if (attempt < 3 && /could not bind|already in use/i.test(stderr)) {
        port = await freePort();
        continue;
      }
      throw new Error(`postgres did not start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
  };

  const stop = async (): Promise<void> => {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT'); // fast shutdown: disconnect clients, checkpoint, exit
    await exited;
  };

  const urlOf = (name: string): string => `postgres://fmc@127.0.0.1:${port}/${name}`;
  const createDatabase = async (name: string): Promise<string> => {
    const admin = new pg.Client({ connectionString: urlOf('postgres') });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    return urlOf(name);
  };

  await start();
  await createDatabase('fmc');

  return {
    get url() {
      return urlOf('fmc');
    },
    get port() {
      return port;
    },
    dataDir,
    stop,
    start,
    createDatabase,
    async destroy() {
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Polls until the server answers a query, or its process exits. */
async function waitReady(url: string, child: ChildProcess): Promise<boolean> {
  const exited = new Promise<false>((resolve) => child.once('exit', () => resolve(false)));
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) return false;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => undefined);
      const slept = await Promise.race([new Promise<true>((resolve) => setTimeout(() => resolve(true), 100)), exited]);
      if (!slept) return false;
    }
  }
  return false;
}
