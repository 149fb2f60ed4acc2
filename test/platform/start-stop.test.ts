import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../harness/context.ts';
import { freePort } from '../harness/services.ts';

// `npm start` as a newcomer runs it: the embedded PostgreSQL, the mail catcher and the
// local OIDC issuer, with its data directory inside a private (0700) directory. A CLI
// command beside it uses its database; Ctrl-C, SIGTERM to npm and SIGTERM to node each stop
// everything within seconds with exit 0 and nothing left running.

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/hns-ticketing.js');
const RELOCATED_ROOT = '/var/lib/hns-ticketing/';
const privateDir = mkdtempSync(path.join(tmpdir(), 'hns-start-')); // mode 0700
const env: Record<string, string> = {};
const relocated = new Set<string>();

interface Started {
  npm: ChildProcess;
  log: () => string;
  exited: Promise<string>;
  databaseDir: string;
}
let current: Started | undefined;

afterEach(() => {
  // A failed test must not leave its server to the next one.
  if (current && current.npm.exitCode === null) {
    try {
      process.kill(-current.npm.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  const pid = current ? postmasterOf(current) : undefined;
  if (pid && alive(pid)) process.kill(pid, 'SIGQUIT');
  current = undefined;
});

afterAll(() => {
  // Only ever what the server said it used, and only under the relocation root.
  for (const dir of relocated) {
    const parent = path.dirname(dir);
    if (path.isAbsolute(dir) && parent.startsWith(RELOCATED_ROOT) && parent !== RELOCATED_ROOT)
      rmSync(parent, { recursive: true, force: true });
  }
  if (privateDir.startsWith(path.join(tmpdir(), 'hns-start-')))
    rmSync(privateDir, { recursive: true, force: true });
});

async function baseEnv(): Promise<Record<string, string>> {
  if (env.PORT) return env;
  const ports = [
    'PORT',
    'DEV_OIDC_PORT',
    'MAILDEV_SMTP_PORT',
    'MAILDEV_WEB_PORT',
    'EMBEDDED_PG_PORT',
    'EMBEDDED_REDIS_PORT',
  ];
  for (const name of ports) env[name] = String(await freePort());
  Object.assign(env, {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    DATA_DIR: path.join(privateDir, 'data'),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: `start-${randomUUID()}:`,
  });
  return env;
}

async function npmStart(): Promise<Started> {
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    env: await baseEnv(),
    detached: true, // its own process group, as a terminal's foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  npm.stdout!.on('data', (d) => (log += d));
  npm.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<string>((resolve) =>
    npm.once('exit', (code, signal) => resolve(`exit ${code ?? signal}`)),
  );
  current = { npm, log: () => log, exited, databaseDir: '' };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (Date.now() > deadline || npm.exitCode !== null) throw new Error(`npm start: ${log}`);
    const ok = await fetch(`http://127.0.0.1:${env.PORT}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const running = logLines(log).find((l) => l.msg === 'embedded PostgreSQL running');
  expect(running, log).toBeDefined();
  current.databaseDir = String(running!.databaseDir);
  if (current.databaseDir !== path.join(env.DATA_DIR!, 'postgres'))
    relocated.add(current.databaseDir);
  return current;
}

function postmasterOf(started: Started): number | undefined {
  if (!started.databaseDir) return undefined;
  try {
    const pidFile = path.join(started.databaseDir, 'postmaster.pid');
    return Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

function logLines(log: string): Array<Record<string, unknown>> {
  return log
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [BIN, ...args], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number | null; stdout: string; stderr: string };
    return { status: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

function processesInGroup(pgid: number): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '-g', String(pgid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // ps exits 1 when the group is empty
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops it, then checks the exit code, the time, the log and what is left running. */
async function expectCleanStop(started: Started, stop: () => void) {
  const postmaster = postmasterOf(started)!;
  expect(alive(postmaster)).toBe(true);
  const began = Date.now();
  stop();
  const code = await started.exited;
  const tookMs = Date.now() - began;
  expect(code, started.log().slice(-3000)).toBe('exit 0');
  expect(tookMs).toBeLessThan(5_000);
  // The database was stopped by the app (last), not left running.
  for (let i = 0; i < 50 && alive(postmaster); i++) await new Promise((r) => setTimeout(r, 100));
  expect(alive(postmaster)).toBe(false);
  expect(processesInGroup(started.npm.pid!)).toEqual([]);
  const lines = logLines(started.log());
  expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  const shutdown = lines.findIndex((l) => l.msg === 'shutting down');
  expect(shutdown).toBeGreaterThan(-1);
  expect(lines.slice(shutdown).filter((l) => Number(l.level) >= 40)).toEqual([]);
}

describe('npm start from a private directory', () => {
  it('the data directory is inside a private (0700) directory, as under /root or mktemp -d', () => {
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
  });

  it('serves, lets CLI commands use its database, and stops on Ctrl-C', async () => {
    const started = await npmStart();

    // A fan logs in through the local issuer; then the README's admin grant, beside it.
    const token = cli(['dev-token', 'ana@example.hr']);
    expect(token.status, token.stderr).toBe(0);
    const login = await fetch(`http://127.0.0.1:${env.PORT}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ drupal_token: token.stdout.trim(), device_id: 'laptop' }),
    });
    expect(login.status).toBe(200);
    const grant = cli(['admin', 'grant', 'ana@example.hr', 'SUPER_ADMIN']);
    expect(grant.status, grant.stderr).toBe(0);

    // It reached the database: the match is looked up (and not found), said in one line.
    const audit = cli(['audit-invariants', '--match', randomUUID()]);
    expect(audit.status).toBe(1);
    expect(audit.stderr.trim()).toBe('hns-ticketing audit-invariants failed: Match was not found');
    const unknown = cli(['admin', 'grant', 'nobody@example.hr', 'SUPER_ADMIN']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/nobody@example\.hr/);

    // Ctrl-C: SIGINT to the whole foreground process group.
    await expectCleanStop(started, () => process.kill(-started.npm.pid!, 'SIGINT'));
  }, 180_000);

  it('stops on SIGTERM to npm', async () => {
    const started = await npmStart();
    await expectCleanStop(started, () => started.npm.kill('SIGTERM'));
  }, 120_000);

  it('stops on SIGTERM to node', async () => {
    const started = await npmStart();
    const node = Number(
      execFileSync('pgrep', ['-P', String(started.npm.pid)], { encoding: 'utf8' }).trim(),
    );
    expect(node).toBeGreaterThan(0);
    await expectCleanStop(started, () => process.kill(node, 'SIGTERM'));
  }, 120_000);
});
