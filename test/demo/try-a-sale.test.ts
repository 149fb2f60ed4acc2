import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, useTestContext } from '../harness/context.ts';

/**
 * The README's "Try a sale" walkthrough, exactly as written: its shell blocks between the
 * try-a-sale markers run in one bash against a real `npm start` child (own data directory,
 * own ports, a fresh database on the test PostgreSQL), then the database and the mail catcher
 * must show what the README promises.
 */
const t = useTestContext();
const ROOT = path.resolve(import.meta.dirname, '../..');

/** The sh blocks of README.md between the try-a-sale markers, in order. */
function readmeSaleScript(readme: string): string {
  const begin = readme.indexOf('<!-- try-a-sale:begin');
  const end = readme.indexOf('<!-- try-a-sale:end -->');
  if (begin < 0 || end < begin) throw new Error('README.md: try-a-sale markers not found');
  const blocks = [...readme.slice(begin, end).matchAll(/^```sh\n([\s\S]*?)^```$/gm)];
  return blocks.map((m) => m[1]).join('\n');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function collect(child: ChildProcess) {
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { exited, output: () => output };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: { child: ChildProcess; exited: Promise<number | null> } | undefined;
let dataDir: string | undefined;

/** Whether any process of the group `pgid` (npm and what it started) is still alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  // Only if the test failed before stopping it: the whole group (npm and node).
  if (server?.child.pid && groupAlive(server.child.pid)) {
    process.kill(-server.child.pid, 'SIGKILL');
    await server.exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('README "Try a sale"', () => {
  it('buys two adjacent seats through npm start, pays at the local Stripe server and gets tickets and the email', async () => {
    const script = readmeSaleScript(await readFile(path.join(ROOT, 'README.md'), 'utf8'));
    expect(script).toMatch(/dev-token/);
    dataDir = await mkdtemp(path.join(tmpdir(), 'hns-try-a-sale-'));
    const [port, oidc, smtp, web, stripe] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    // What a newcomer's shell has, plus where this run's servers are: no Stripe key, no
    // Drupal, no SMTP, so npm start runs its development stand-ins.
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dataDir,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      DEV_OIDC_PORT: String(oidc),
      TMPDIR: dataDir,
    };
    const started = Date.now();
    const child = spawn('npm', ['start'], {
      cwd: ROOT,
      detached: true, // its own process group, stopped as a terminal's Ctrl-C would
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        DATABASE_URL: t.databaseUrl,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: t.redisPrefix,
        HOST: '127.0.0.1',
        PORT: String(port),
        MAILDEV_SMTP_PORT: String(smtp),
        MAILDEV_WEB_PORT: String(web),
        DEV_STRIPE_PORT: String(stripe),
      },
    });
    const app = collect(child);
    server = { child, exited: app.exited };

    const api = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    let ready = false;
    while (!ready && Date.now() < deadline && child.exitCode === null) {
      ready = await fetch(`${api}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (!ready) await sleep(200);
    }
    expect(ready, app.output()).toBe(true);

    const readyAfter = Date.now() - started;
    const walking = Date.now();
    const walk = spawn('bash', ['-eu', '-c', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        API: `127.0.0.1:${port}`,
        MAIL: `127.0.0.1:${web}`,
        STRIPE: `127.0.0.1:${stripe}`,
      },
    });
    const steps = collect(walk);
    const timer = setTimeout(() => walk.kill('SIGKILL'), 90_000);
    const code = await steps.exited;
    const walked = Date.now() - walking;
    clearTimeout(timer);
    expect(code, `${steps.output()}\n--- npm start ---\n${app.output()}`).toBe(0);
    // What the README says the fan sees along the way.
    expect(steps.output()).toMatch(/admitted until /);
    expect(steps.output()).toMatch(/W-A row \S+ seat \d+: 60 EUR/);
    expect(steps.output()).toMatch(/^succeeded$/m);
    // A month ahead the tickets show the order only, and the QR code its opening (E9-F2).
    expect(steps.output()).toMatch(/^SOLD ORDER_INFO: Marko Marić, seat from \S+Z$/m);
    const qrLine = /^QR_NOT_YET_AVAILABLE: QR code from (\S+)$/m.exec(steps.output());
    expect(qrLine, steps.output()).not.toBeNull();
    expect(steps.output()).toMatch(/^ana@example\.hr: Potvrda narudžbe HNS-/m);

    // One completed order of Ana's: two tickets, side by side in one row, named as typed.
    const tickets = await t.deps.db
      .selectFrom('tickets as tk')
      .innerJoin('orders as o', 'o.id', 'tk.order_id')
      .innerJoin('users as u', 'u.id', 'o.user_id')
      .innerJoin('match_seat_inventory as i', 'i.id', 'tk.match_seat_inventory_id')
      .innerJoin('seats as s', 's.id', 'i.seat_id')
      .innerJoin('ticket_holders as h', 'h.ticket_id', 'tk.id')
      .innerJoin('matches as m', 'm.id', 'tk.match_id')
      .select([
        'tk.id',
        'tk.status',
        'm.kick_off_time',
        'o.status as order_status',
        's.row_index',
        's.seat_number',
        'h.full_name',
      ])
      .where('u.email', '=', 'ana@example.hr')
      .orderBy('s.seat_number')
      .execute();
    expect(tickets).toHaveLength(2);
    expect(tickets.every((x) => x.status === 'SOLD' && x.order_status === 'COMPLETED')).toBe(true);
    expect(tickets[0]!.row_index).toBe(tickets[1]!.row_index);
    expect(tickets[1]!.seat_number - tickets[0]!.seat_number).toBe(1);
    expect(tickets.map((x) => x.full_name).sort()).toEqual(['Ana Anić', 'Marko Marić']);

    // The QR code opens 5 hours before the demo match's kick-off, to the millisecond; the
    // seats appear 4 days before it.
    const kickOff = tickets[0]!.kick_off_time.getTime();
    expect(qrLine![1]).toBe(new Date(kickOff - 5 * 3_600_000).toISOString());
    expect(steps.output()).toContain(
      `seat from ${new Date(kickOff - 4 * 24 * 3_600_000).toISOString()}`,
    );

    // The confirmation went through SMTP to the mail catcher.
    const emails = (await (await fetch(`http://127.0.0.1:${web}/api/email`)).json()) as {
      subject: string;
      to: { address: string }[];
    }[];
    expect(
      emails.some(
        (e) => e.to[0]?.address === 'ana@example.hr' && e.subject.startsWith('Potvrda narudžbe'),
      ),
    ).toBe(true);

    // Stopped as Ctrl-C in its terminal would: SIGINT to the whole process group. It exits
    // 0 within 5 s (the waiting room's tick loop included), without errors, leaving nothing.
    const stopping = Date.now();
    process.kill(-child.pid!, 'SIGINT');
    expect(await app.exited).toBe(0);
    while (groupAlive(child.pid!) && Date.now() - stopping < 5_000) await sleep(100);
    expect(groupAlive(child.pid!), app.output()).toBe(false);
    expect(Date.now() - stopping).toBeLessThan(5_000);
    console.log(
      `npm start ready after ${readyAfter} ms, README walkthrough ${walked} ms, stopped in ${Date.now() - stopping} ms`,
    );
    expect(app.output()).toMatch(/"msg":"shutting down"/);
    expect(app.output(), 'error lines in the log').not.toMatch(/"level":(50|60)/);
    expect(
      await fetch(`${api}/health/live`).then(
        () => 'answering',
        () => 'gone',
      ),
    ).toBe('gone');
  }, 180_000);
});
