import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createDatabase } from '../../src/platform/db/database.ts';
import { createRedis } from '../../src/platform/redis.ts';
import { useTestContext } from '../harness/context.ts';
import { sendEmail } from '../../src/modules/notifications/notify.ts';

const t = useTestContext();

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await new Promise((r) => setTimeout(r, 300));
  return child;
}

async function until<T>(
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    last = await probe();
  }
  return last;
}

describe('health', () => {
  it('is live and ready when PostgreSQL and Redis answer', async () => {
    expect((await t.request({ method: 'GET', url: '/health/live' })).json()).toEqual({
      status: 'ok',
    });
    const ready = await t.request({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'up', redis: 'up' } });
  });

  it('turns 503 naming Redis when it stops, and recovers by itself when it returns', async () => {
    const port = await freePort();
    let server = await startRedis(port);
    const redis = createRedis(`redis://127.0.0.1:${port}`, 'health:');
    const app = await buildApp({ ...t.deps, redis });
    const ready = () => app.inject({ method: 'GET', url: '/health/ready' });
    try {
      expect((await until(ready, (r) => r.statusCode === 200)).statusCode).toBe(200);

      server.kill('SIGKILL');
      const down = await until(ready, (r) => r.statusCode === 503);
      expect(down.statusCode).toBe(503);
      expect(down.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(down.json()).toMatchObject({
        code: 'DEPENDENCY_UNAVAILABLE',
        checks: { redis: 'down', postgres: 'up' },
      });
      expect(down.json().detail).toContain('redis');

      server = await startRedis(port);
      expect((await until(ready, (r) => r.statusCode === 200, 15_000)).statusCode).toBe(200);
    } finally {
      await app.close();
      redis.disconnect();
      server.kill('SIGKILL');
    }
  });

  it('turns 503 naming PostgreSQL when it cannot be reached', async () => {
    const database = createDatabase(`postgres://postgres@127.0.0.1:${await freePort()}/none`, 1);
    const app = await buildApp({ ...t.deps, db: database.db, pool: database.pool });
    const res = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks).toEqual({ postgres: 'down', redis: 'up' });
    await app.close();
    await database.close();
  });

  it('exposes Prometheus metrics with per-route request histograms and pool figures', async () => {
    await t.request({ method: 'GET', url: '/health/live' });
    const res = await t.request({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toMatch(/http_request_duration_seconds_bucket\{.*route="\/health\/live".*\}/);
    expect(res.body).toMatch(/db_pool_connections\{state="total"\}/);
    expect(res.body).toMatch(/job_queue_jobs/);
  });

  it('exposes the backlog of each outbox', async () => {
    await t.deps.db
      .transaction()
      .execute((trx) =>
        sendEmail(t.deps, trx, { template_key: 'welcome', to: 'fan@example.test', variables: {} }),
      );
    const res = await t.request({ method: 'GET', url: '/metrics' });
    expect(res.body).toMatch(/^outbox_rows\{outbox="email"\} [1-9]\d*$/m);
    expect(res.body).toMatch(/^outbox_rows\{outbox="push"\} \d+$/m);
    expect(res.body).toMatch(/^outbox_rows\{outbox="audit"\} \d+$/m);
  });
});
