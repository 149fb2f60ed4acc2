import Fastify from 'fastify';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { installRateLimit } from '../../src/platform/http/rate-limit.ts';
import {
  decide,
  learn,
  type Counter,
  type SharedCounters,
} from '../../src/platform/http/rate-limit-store.ts';
import { createRedis } from '../../src/platform/redis.ts';
import { TEST_REDIS_URL, useTestContext } from '../harness/context.ts';

const t = useTestContext();

const clients: Redis[] = [];
afterAll(() => clients.forEach((c) => c.disconnect()));

/** An instance's own Redis connection (as in production), counting what it sends. */
async function instanceRedis(url = TEST_REDIS_URL, options = {}) {
  const redis = createRedis(url, t.redisPrefix, options);
  clients.push(redis);
  const sent: string[] = [];
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command, ...rest) => {
    sent.push(command.name);
    return send(command, ...rest);
  }) as typeof redis.sendCommand;
  return { redis, sent };
}

interface Limits {
  max: number;
  windowMs?: number;
  flushMs?: number;
  maxKeys?: number;
}

/** A bare app with the public API's limiter (keyed by IP here) and one route. */
async function limitedApp(redis: Redis, limits: Limits) {
  const config = {
    ...t.config,
    RATE_LIMIT_MAX: limits.max,
    RATE_LIMIT_WINDOW_MS: limits.windowMs ?? 60_000,
    // Long by default: the tests flush by hand unless they test the timer.
    RATE_LIMIT_FLUSH_MS: limits.flushMs ?? 60_000,
  } satisfies Config;
  const app = Fastify();
  let counters!: SharedCounters;
  await app.register(async (child) => {
    counters = await installRateLimit(child, { config, redis }, { maxKeys: limits.maxKeys });
    child.get('/limited', async () => ({ ok: true }));
  });
  await app.ready();
  const call = (ip: string) => app.inject({ method: 'GET', url: '/limited', remoteAddress: ip });
  return { app, counters, call };
}

const counterOf = async (ip: string) => Number(await t.deps.redis.get(`ratelimit:ip:${ip}`));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rate-limit store (src/platform/http/rate-limit-store.ts)', () => {
  it('decides requests far below the limit without Redis; the flush writes them in one round trip', async () => {
    const { redis, sent } = await instanceRedis();
    const { app, counters, call } = await limitedApp(redis, { max: 100 });
    // Load the script on this connection first, so the flush below is the steady state.
    await redis.ping();
    await counters.flush();
    sent.length = 0;

    const ips = ['10.2.0.1', '10.2.0.2', '10.2.0.3'];
    for (const ip of ips) {
      for (let i = 0; i < 50; i++) {
        const res = await call(ip);
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-ratelimit-remaining']).toBe(String(100 - (i + 1)));
      }
    }
    // 50 × 2 ≤ 100: all local.
    expect(sent).toEqual([]);
    expect(counters.pending).toBe(150);

    let writes = 0;
    const write = redis.stream.write.bind(redis.stream);
    redis.stream.write = ((...args: Parameters<typeof write>) => {
      writes += 1;
      return write(...args);
    }) as typeof redis.stream.write;
    await counters.flush();
    redis.stream.write = write;
    expect(writes).toBe(1);
    expect(sent.every((name) => name === 'evalsha')).toBe(true);
    expect(sent.length).toBeLessThanOrEqual(3);
    for (const ip of ips) {
      expect(await counterOf(ip)).toBe(50);
      const ttl = await t.deps.redis.pttl(`ratelimit:ip:${ip}`);
      expect(ttl).toBeGreaterThan(50_000);
    }
    expect(counters.pending).toBe(0);
    await app.close();
  });

  it('decides exactly in the top half of the limit: one instance refuses at max + 1', async () => {
    const { redis, sent } = await instanceRedis();
    const { app, counters, call } = await limitedApp(redis, { max: 10 });
    await redis.ping(); // connected: no handshake or offline-queue replays in `sent`
    sent.length = 0;
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await call('10.3.0.1')).statusCode);
    expect(statuses).toEqual([...Array<number>(10).fill(200), ...Array<number>(5).fill(429)]);
    // 5 local, then one script call per request.
    expect(sent).toEqual(Array<string>(10).fill('evalsha'));
    await counters.flush();
    // Refused requests count too, as with the plugin's RedisStore.
    expect(await counterOf('10.3.0.1')).toBe(15);

    // Concurrent requests on one instance: still exactly max.
    const burst = await Promise.all(Array.from({ length: 40 }, () => call('10.3.0.2')));
    expect(burst.filter((r) => r.statusCode === 200)).toHaveLength(10);
    await counters.flush();
    expect(await counterOf('10.3.0.2')).toBe(40);
    await app.close();
  });

  it('two instances sharing Redis never admit more than max + max/2 in a burst', async () => {
    const max = 20;
    const a = await limitedApp((await instanceRedis()).redis, { max, flushMs: 50 });
    const b = await limitedApp((await instanceRedis()).redis, { max, flushMs: 50 });
    for (let round = 0; round < 5; round++) {
      const ip = `10.4.0.${round}`;
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).call(ip)),
      );
      const admitted = responses.filter((r) => r.statusCode === 200).length;
      expect(admitted).toBeGreaterThanOrEqual(max);
      expect(admitted).toBeLessThanOrEqual(max + max / 2);
      expect(responses.every((r) => [200, 429].includes(r.statusCode))).toBe(true);
      await Promise.all([a.counters.flush(), b.counters.flush()]);
      expect(await counterOf(ip)).toBe(200);
    }
    await a.app.close();
    await b.app.close();
  });

  it('starts a new window after RATE_LIMIT_WINDOW_MS and forgets the ended one', async () => {
    const { redis } = await instanceRedis();
    const { app, counters, call } = await limitedApp(redis, {
      max: 4,
      windowMs: 300,
      flushMs: 50,
    });
    const ip = '10.5.0.1';
    const first: number[] = [];
    for (let i = 0; i < 5; i++) first.push((await call(ip)).statusCode);
    expect(first).toEqual([200, 200, 200, 200, 429]);
    await sleep(400);
    expect(await t.deps.redis.exists(`ratelimit:ip:${ip}`)).toBe(0);
    // The timer has run and dropped the ended window from memory.
    expect(counters.size).toBe(0);
    const second: number[] = [];
    for (let i = 0; i < 5; i++) second.push((await call(ip)).statusCode);
    expect(second).toEqual([200, 200, 200, 200, 429]);
    await app.close();
  });

  it('lets requests through while Redis is down, with memory bounded', async () => {
    const { redis } = await instanceRedis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    const maxKeys = 20;
    const max = 10;
    const { app, counters, call } = await limitedApp(redis, { max, flushMs: 20, maxKeys });
    for (let round = 0; round < 4; round++) {
      const statuses = await Promise.all(
        Array.from({ length: 400 }, (_, i) => call(`10.6.${round}.${i % 50}`)),
      );
      expect(statuses.every((r) => r.statusCode === 200)).toBe(true);
      await sleep(30); // let failing flushes run
      expect(counters.size).toBeLessThanOrEqual(maxKeys);
      expect(counters.pending).toBeLessThanOrEqual(maxKeys * (max / 2));
    }
    await app.close();
    expect(counters.closed).toBe(true);
  });

  it('flushes pending increments on close and stops its timer', async () => {
    const { redis } = await instanceRedis();
    const { app, counters, call } = await limitedApp(redis, { max: 100 });
    for (let i = 0; i < 7; i++) expect((await call('10.7.0.1')).statusCode).toBe(200);
    expect(await t.deps.redis.exists('ratelimit:ip:10.7.0.1')).toBe(0);
    expect(counters.closed).toBe(false);
    await app.close();
    expect(counters.closed).toBe(true);
    expect(counters.pending).toBe(0);
    expect(await counterOf('10.7.0.1')).toBe(7);
  });
});

describe('rate-limit decision (decide, learn)', () => {
  const counter = fc.record({
    known: fc.nat(1_000),
    pending: fc.nat(1_000),
    inflight: fc.nat(1_000),
    expiresAt: fc.integer({ min: 0, max: 200_000 }),
  });

  it('decides locally only while the view stays within half the limit', () => {
    fc.assert(
      fc.property(
        fc.option(counter, { nil: undefined }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 200_000 }),
        (state, max, windowMs, now) => {
          const live = state && state.expiresAt > now ? state : undefined;
          const view = live ? live.known + live.pending + live.inflight : 0;
          const d = decide(state, max, windowMs, now);
          expect(d.local).toBe((view + 1) * 2 <= max);
          if (!d.local) return;
          expect(d.current).toBe(view + 1);
          expect(d.current).toBeLessThanOrEqual(max / 2);
          expect(d.next.pending).toBe((live?.pending ?? 0) + 1);
          expect(d.next.known).toBe(live?.known ?? 0);
          expect(d.next.expiresAt).toBe(live?.expiresAt ?? now + windowMs);
          expect(d.ttl).toBe(d.next.expiresAt - now);
          expect(d.ttl).toBeGreaterThan(0);
        },
      ),
    );
  });

  type Step =
    | { kind: 'request' | 'flush' | 'apply' | 'answer'; instance: number }
    | { kind: 'noop'; instance: number };

  /**
   * N instances against one Redis counter, every interleaving of requests, flushes, Redis
   * applying a sent write (in order per connection) and the answer arriving.
   */
  function simulate(instances: number, max: number, steps: Step[]) {
    const W = 60_000;
    let redis = 0;
    let requests = 0;
    let admitted = 0;
    const nodes = Array.from({ length: instances }, () => ({
      counter: undefined as Counter | undefined,
      sent: [] as Array<{ take: number; exact: boolean }>,
      applied: [] as Array<{ take: number; exact: boolean; count: number }>,
    }));
    const fresh = (): Counter => ({ known: 0, pending: 0, inflight: 0, expiresAt: W });
    const send = (node: (typeof nodes)[number], take: number, exact: boolean) => {
      const c = node.counter ?? fresh();
      node.counter = { ...c, pending: 0, inflight: c.inflight + take };
      node.sent.push({ take, exact });
    };
    const run = (step: Step) => {
      const node = nodes[step.instance % instances]!;
      if (step.kind === 'request') {
        requests += 1;
        const d = decide(node.counter, max, W, 0);
        if (d.local) {
          node.counter = d.next;
          admitted += 1;
        } else send(node, (node.counter?.pending ?? 0) + 1, true);
      } else if (step.kind === 'flush') {
        if (node.counter?.pending) send(node, node.counter.pending, false);
      } else if (step.kind === 'apply') {
        const op = node.sent.shift();
        if (op) {
          redis += op.take;
          node.applied.push({ ...op, count: redis });
        }
      } else if (step.kind === 'answer') {
        const op = node.applied.shift();
        if (op) {
          const c = node.counter!;
          node.counter = learn({ ...c, inflight: c.inflight - op.take }, op.count, W, W, 0);
          if (op.exact && op.count <= max) admitted += 1;
        }
      }
    };
    steps.forEach(run);
    for (const [i, node] of nodes.entries()) {
      run({ kind: 'flush', instance: i });
      while (node.sent.length) run({ kind: 'apply', instance: i });
      while (node.applied.length) run({ kind: 'answer', instance: i });
    }
    return { redis, requests, admitted };
  }

  const steps = (instances: number) =>
    fc.array(
      fc.record({
        kind: fc.constantFrom('request', 'request', 'request', 'flush', 'apply', 'answer'),
        instance: fc.nat(instances - 1),
      }) as fc.Arbitrary<Step>,
      { maxLength: 400 },
    );

  it('N instances admit at most max + (N − 1) × max/2, and Redis counts every request', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 4 })
          .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: 60 }), steps(n))),
        ([instances, max, plan]) => {
          const { redis, requests, admitted } = simulate(instances, max, plan);
          expect(redis).toBe(requests);
          expect(admitted).toBeLessThanOrEqual(max + (instances - 1) * Math.floor(max / 2));
          expect(admitted).toBeGreaterThanOrEqual(Math.min(max, requests));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('one instance admits exactly min(max, requests), however writes and answers interleave', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), steps(1), (max, plan) => {
        const { redis, requests, admitted } = simulate(1, max, plan);
        expect(redis).toBe(requests);
        expect(admitted).toBe(Math.min(max, requests));
      }),
      { numRuns: 500 },
    );
  });
});
