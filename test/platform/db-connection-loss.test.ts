import { createServer, connect, type Server, type Socket } from 'node:net';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createDatabase, isDatabaseUnavailable } from '../../src/platform/db/database.ts';
import { useTestContext } from '../harness/context.ts';
import { sleep, waitFor } from '../harness/wait.ts';

/**
 * PostgreSQL going away under a running process (issue 17): a restart or failover ends every
 * connection with 57P01 and refuses new ones for a few seconds. Here the server ends only
 * this file's own backends (pg_terminate_backend sends 57P01), and a TCP relay in front of
 * the shared PostgreSQL stands in for a server that refuses connections; the real restart
 * of a private PostgreSQL is in test/onsale/faults.test.ts.
 */
const t = useTestContext();
const manager = () => t.token('00000000-0000-4000-8000-0000000000aa', ['MATCH_MANAGER']);

/** Ends the backends of this file's database (never anyone else's), except `keep`. */
async function terminateBackends(where: string = 'true', keep: number[] = []): Promise<number> {
  const admin = new pg.Client({ connectionString: t.databaseUrl });
  await admin.connect();
  try {
    const res = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid() AND NOT (pid = ANY($2::int[])) AND ${where}`,
      [t.databaseName, keep],
    );
    return res.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

/** A session of its own on this file's database that can hold a table lock. */
async function lockTable(table: string): Promise<{ pid: number; release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  return {
    pid,
    async release() {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

const waitingOnLock = (pids: number[]) =>
  `wait_event_type = 'Lock' AND NOT (pid = ANY('{${pids.join(',')}}'::int[]))`;

/** A TCP relay to the shared PostgreSQL that can be cut (resets) and refuse connections. */
function relay(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((inbound) => {
        const outbound = connect(target.port, target.host);
        sockets.add(inbound).add(outbound);
        inbound.pipe(outbound).pipe(inbound);
        const drop = () => {
          inbound.destroy();
          outbound.destroy();
          sockets.delete(inbound);
          sockets.delete(outbound);
        };
        inbound.on('error', drop).on('close', drop);
        outbound.on('error', drop).on('close', drop);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  return {
    open,
    get port() {
      return port;
    },
    /** Every connection reset, new ones refused: the database is gone. */
    async cut() {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const s of sockets) s.resetAndDestroy();
      sockets.clear();
      await closed;
    },
  };
}

describe('the database going away (issue 17)', () => {
  it('an idle pooled client ended by the server (57P01) does not crash the process; the next request works', async () => {
    // Warm the pool (and pg-boss's): several idle connections to end.
    await Promise.all(
      Array.from({ length: 4 }, () => t.request({ method: 'GET', url: '/matches' })),
    );
    expect(t.deps.pool.idleCount).toBeGreaterThan(0);
    expect(await terminateBackends()).toBeGreaterThan(0);
    await sleep(200);
    const res = await t.request({ method: 'GET', url: '/matches' });
    expect(res.statusCode).toBe(200);
  });

  it('a client ended while checked out between two statements does not crash the process', async () => {
    let second: unknown = null;
    await t.deps.db
      .transaction()
      .execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        await terminateBackends(`pid = ${rows[0]!.pid}`);
        // The client now emits 'error' with no statement in flight: unheard, the process exits.
        await sleep(200);
        await sql`SELECT 1`.execute(trx);
      })
      .catch((err: unknown) => (second = err));
    expect(isDatabaseUnavailable(second)).toBe(true);
    const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(t.deps.db);
    expect(rows[0]!.one).toBe(1);
  });

  it('a read cut by the lost connection runs once more and answers 200', async () => {
    const lock = await lockTable('matches');
    const pending = t.request({ method: 'GET', url: '/matches' });
    await waitFor(async () => (await terminateBackends(waitingOnLock([lock.pid]))) > 0, {
      what: 'the read waiting on the lock was ended',
    });
    await lock.release();
    const res = await pending;
    expect(res.statusCode).toBe(200);
  });

  it('a write cut mid-transaction answers 503 SERVICE_BUSY with Retry-After, nothing half-written', async () => {
    // The stadium row is written, then the audit event waits on the lock and is cut.
    const lock = await lockTable('audit_outbox');
    const pending = t.request({
      method: 'POST',
      url: '/admin/stadiums',
      token: await manager(),
      payload: { name: 'Stadion Cut Mid-Write', city: 'Rijeka' },
    });
    await waitFor(async () => (await terminateBackends(waitingOnLock([lock.pid]))) > 0, {
      what: 'the write waiting on the lock was ended',
    });
    await lock.release();
    const res = await pending;
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json()).toMatchObject({ code: 'SERVICE_BUSY', status: 503 });
    const { rows } = await sql<{ n: number }>`
      SELECT count(*) AS n FROM stadiums WHERE name = 'Stadion Cut Mid-Write'`.execute(t.deps.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('a database whose Unix socket is gone (server stopped) answers 503 SERVICE_BUSY, not 500', async () => {
    const database = createDatabase(
      'postgres://postgres@localhost:5432/none?host=/nonexistent-hns-socket-dir',
      1,
    );
    const app = await buildApp({ ...t.deps, db: database.db, pool: database.pool });
    try {
      const res = await app.inject({ method: 'GET', url: '/matches' });
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('SERVICE_BUSY');
    } finally {
      await app.close();
      await database.close();
    }
  });

  it('a database that is gone: 503 SERVICE_BUSY and readiness 503, both back by themselves when it returns', async () => {
    const target = new URL(t.databaseUrl);
    const proxy = relay({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.open();
    const url = new URL(t.databaseUrl);
    url.port = String(proxy.port);
    const database = createDatabase(url.toString(), 4, 2_000);
    const app = await buildApp({ ...t.deps, db: database.db, pool: database.pool });
    const get = (path: string) => app.inject({ method: 'GET', url: path });
    try {
      expect((await get('/matches')).statusCode).toBe(200);
      expect((await get('/health/ready')).statusCode).toBe(200);

      await proxy.cut();
      const busy = await get('/matches');
      expect(busy.statusCode).toBe(503);
      expect(busy.headers['retry-after']).toBe('2');
      expect(busy.json().code).toBe('SERVICE_BUSY');
      const ready = await get('/health/ready');
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks).toEqual({ postgres: 'down', redis: 'up' });

      await proxy.open();
      await waitFor(async () => (await get('/health/ready')).statusCode === 200, {
        timeoutMs: 5_000,
        what: 'ready again',
      });
      expect((await get('/matches')).statusCode).toBe(200);
    } finally {
      await proxy.cut().catch(() => undefined);
      await app.close();
      await database.close();
    }
  });
});
