import { randomUUID } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildApp } from '../../src/app.ts';
import { createDatabase } from '../../src/platform/db/database.ts';
import { AppError } from '../../src/platform/errors.ts';
import { installRateLimit } from '../../src/platform/http/rate-limit.ts';
import { closeGracefully } from '../../src/platform/http/shutdown.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext({
  env: { CORS_ORIGINS: 'https://shop.hns.hr', BODY_LIMIT_BYTES: '2048', RATE_LIMIT_MAX: '5' },
});

/** The real app plus a few routes that exercise the platform's error paths. */
async function appWithProbeRoutes() {
  const app = await buildApp(t.deps);
  app.post(
    '/probe/echo',
    {
      config: { access: 'public' },
      schema: {
        body: z.object({
          name: z.string().min(2),
          age: z.number().int().min(18),
          email: z.email(),
        }),
      },
    },
    async (request) => request.body,
  );
  app.get('/probe/conflict', { config: { access: 'public' } }, async () => {
    throw new AppError('CONFLICT', 'Seat already taken', { extra: { seat_id: 'abc' } });
  });
  app.get('/probe/crash', { config: { access: 'public' } }, async () => {
    throw new Error('database password is hunter2');
  });
  await app.ready();
  return app;
}

describe('RFC 9457 problem responses', () => {
  it('lists every invalid field of a validation error', async () => {
    const app = await appWithProbeRoutes();
    const res = await app.inject({
      method: 'POST',
      url: '/probe/echo',
      payload: { name: 'x', age: 12, email: 'nope' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', instance: '/probe/echo' });
    expect(body.type).toMatch(/^https:\/\//);
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'body.age',
      'body.email',
      'body.name',
    ]);
    await app.close();
  });

  it('answers malformed JSON, unknown routes, oversized bodies and thrown AppErrors as problems', async () => {
    const app = await appWithProbeRoutes();
    const malformed = await app.inject({
      method: 'POST',
      url: '/probe/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('MALFORMED_JSON');

    const unknown = await app.inject({ method: 'GET', url: '/no/such/route' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(unknown.json().code).toBe('ROUTE_NOT_FOUND');

    const big = await app.inject({
      method: 'POST',
      url: '/probe/echo',
      payload: { name: 'x'.repeat(5000), age: 30, email: 'a@b.hr' },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('PAYLOAD_TOO_LARGE');

    const conflict = await app.inject({ method: 'GET', url: '/probe/conflict' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({
      code: 'CONFLICT',
      detail: 'Seat already taken',
      seat_id: 'abc',
    });
    await app.close();
  });

  it('sheds load with 503 SERVICE_BUSY and Retry-After when no connection frees up in time', async () => {
    const tiny = createDatabase(t.databaseUrl, 1, 500);
    const app = await buildApp({ ...t.deps, db: tiny.db, pool: tiny.pool });
    app.get('/probe/db', { config: { access: 'public' } }, async () => {
      await sql`SELECT 1`.execute(tiny.db);
      return { ok: true };
    });
    await app.ready();
    await sql`SELECT 1`.execute(tiny.db); // the one connection is open and idle
    const hog = sql`SELECT pg_sleep(2.5) /* hog */`.execute(tiny.db);
    // Only once the hog holds the pool's one connection is the probe sure to wait.
    for (let i = 0; i < 100; i++) {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE '%pg_sleep(2.5) /* hog */%' AND state = 'active'
          AND pid <> pg_backend_pid()`.execute(t.deps.db);
      if (rows[0]!.n > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const res = await app.inject({ method: 'GET', url: '/probe/db' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json().code).toBe('SERVICE_BUSY');
    await hog;
    expect((await app.inject({ method: 'GET', url: '/probe/db' })).statusCode).toBe(200);
    await app.close();
    await tiny.close();
  });

  it('hides internals of unexpected errors', async () => {
    const app = await appWithProbeRoutes();
    const res = await app.inject({ method: 'GET', url: '/probe/crash' });
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('INTERNAL_ERROR');
    expect(res.body).not.toContain('hunter2');
    await app.close();
  });
});

describe('request handling', () => {
  it('echoes a well-formed request id and generates one otherwise', async () => {
    const given = await t.request({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'abc-123-def-456' },
    });
    expect(given.headers['x-request-id']).toBe('abc-123-def-456');
    const generated = await t.request({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'bad id!' },
    });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers and CORS only for configured origins', async () => {
    const allowed = await t.request({
      method: 'GET',
      url: '/health/live',
      headers: { origin: 'https://shop.hns.hr' },
    });
    expect(allowed.headers['x-content-type-options']).toBe('nosniff');
    expect(allowed.headers['strict-transport-security']).toBeDefined();
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.hns.hr');
    const other = await t.request({
      method: 'GET',
      url: '/health/live',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('rate limits per caller with counters in Redis shared by instances', async () => {
    const withLimitedRoute = async () => {
      const app = await buildApp(t.deps);
      await app.register(async (child) => {
        await installRateLimit(child, t.deps);
        child.get('/probe/limited', { config: { access: 'public' } }, async () => ({ ok: true }));
      });
      await app.ready();
      return app;
    };
    const [app1, app2] = [await withLimitedRoute(), await withLimitedRoute()];
    const call = (app: typeof app1, ip: string) =>
      app.inject({ method: 'GET', url: '/probe/limited', remoteAddress: ip });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(app1, '10.1.1.1')).statusCode);
    for (let i = 0; i < 3; i++) statuses.push((await call(app2, '10.1.1.1')).statusCode);
    // RATE_LIMIT_MAX=5 across both instances: the sixth call is refused.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await call(app1, '10.1.1.1');
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.json().code).toBe('RATE_LIMITED');
    expect((await call(app2, '10.1.1.2')).statusCode).toBe(200);
    await app1.close();
    await app2.close();
  });
});

/** Sends a WebSocket upgrade over a raw TCP socket; resolves with all bytes once the server ends it. */
function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}) {
  const socket = connect(port, '127.0.0.1');
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  let received = '';
  socket.on('data', (chunk) => (received += String(chunk)));
  // The client never closes its side: only the server ending the connection settles this.
  const ended = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`server left the upgrade socket open; received: ${received}`));
    }, 2_000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
  return ended.then((raw) => {
    const [head, body = ''] = raw.split('\r\n\r\n');
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head!)?.[1]), head: head!, body };
  });
}

async function openConnections(app: {
  server: { getConnections(cb: (e: Error | null, n: number) => void): void };
}) {
  return new Promise<number>((resolve, reject) =>
    app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );
}

describe('WebSocket upgrades', () => {
  it('answers an upgrade refused by the auth hook with a problem and closes the socket, on any websocket route', async () => {
    const app = await buildApp(t.deps);
    app.get('/probe/ws', { websocket: true, config: { access: 'authenticated' } }, (socket) => {
      socket.send('hello');
    });
    app.get(
      '/probe/ws-staff',
      { websocket: true, config: { access: ['SUPPORT_AGENT'] } },
      (socket) => {
        socket.send('hello');
      },
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;

    const anonymous = await rawUpgrade(port, '/probe/ws');
    expect(anonymous.status).toBe(401);
    expect(anonymous.head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(JSON.parse(anonymous.body)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });

    const badToken = await rawUpgrade(port, '/probe/ws', { Authorization: 'Bearer not-a-token' });
    expect(badToken.status).toBe(401);
    expect(JSON.parse(badToken.body)).toMatchObject({ code: 'TOKEN_INVALID' });

    const fan = await t.token(randomUUID());
    const forbidden = await rawUpgrade(port, '/probe/ws-staff', { Authorization: `Bearer ${fan}` });
    expect(forbidden.status).toBe(403);
    expect(JSON.parse(forbidden.body)).toMatchObject({ code: 'FORBIDDEN' });

    // The server holds no connection for any refused upgrade.
    for (let i = 0; i < 50 && (await openConnections(app)) > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await openConnections(app)).toBe(0);

    // An accepted upgrade still opens.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/probe/ws`, {
      headers: { authorization: `Bearer ${fan}` },
    });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    expect(first).toBe('hello');
    ws.terminate();
    await app.close();
  });
});

describe('graceful shutdown', () => {
  it('lets a request in flight finish when the server closes, and refuses new ones', async () => {
    const app = await buildApp(t.deps);
    let release!: () => void;
    const started = new Promise<void>((resolveStarted) => {
      app.get('/probe/slow', { config: { access: 'public' } }, async () => {
        resolveStarted();
        await new Promise<void>((r) => (release = r));
        return { done: true };
      });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const inFlight = fetch(`http://127.0.0.1:${port}/probe/slow`);
    await started;
    const closing = closeGracefully(app);
    setTimeout(() => release(), 200);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    await closing;
    await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
  });
});
