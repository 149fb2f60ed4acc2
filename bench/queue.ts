// Waiting room under an on-sale burst (issue 6, E5): BENCH_JOINS fans (default 100,000)
// join one match through the HTTP API (real listener, whole app: auth, rate-limit hook,
// Lua join, group-committed queue_entries upsert) from BENCH_CONNECTIONS keep-alive
// connections. Reports joins/s, join latency, Redis memory per waiting fan (INFO memory
// before/after), and, in the same run, raw ZADD throughput with the same concurrency (the
// ratio shows what HTTP + auth + PostgreSQL cost on top of the bare sorted-set insert).
// Then BENCH_WS_CLIENTS WebSocket clients (default 5,000) follow their positions, and the
// time until every one of them has received its update after an admission round is taken.
// Scratch database on TEST_DATABASE_URL's server (dropped afterwards); Redis from
// TEST_REDIS_URL under a private key prefix (deleted afterwards).
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { buildApp } from '../src/app.ts';
import { runRound } from '../src/modules/queue/queue.engine.ts';
import { keys } from '../src/modules/queue/queue.redis.ts';
import { TEST_REDIS_URL } from '../test/harness/context.ts';
import { requestJson } from './lib/http-client.ts';
import { randomSuffix } from '../test/harness/databases.ts';
import { openBenchWorld } from './lib/world.ts';
import { writeResult } from './lib/results.ts';
import { LatencyRecorder, round } from './lib/stats.ts';

const JOINS = Number(process.env.BENCH_JOINS ?? 100_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 256);
const WS_CLIENTS = Number(process.env.BENCH_WS_CLIENTS ?? 5_000);
const POOL = Number(process.env.BENCH_POOL ?? 20);
const ADMIT_PER_ROUND = 100;

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const raw = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, found] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5_000);
      cursor = next;
      if (found.length) await raw.del(...found);
    } while (cursor !== '0');
  } finally {
    raw.disconnect();
  }
}

/** Runs `work(i)` for i in [0, total) with `concurrency` workers. */
async function drive(total: number, concurrency: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) await work(i);
    }),
  );
}

if (import.meta.main) {
  const world = await openBenchWorld({
    pool: POOL,
    tokenTtlSeconds: 3 * 3600,
    env: { RATE_LIMIT_MAX: '100000000' },
  });
  const { deps } = world;
  const { tokens, redis } = deps;
  const sockets: WebSocket[] = [];
  try {
    // A match on sale now, admissions paused during the burst (no worker runs here).
    const now = Date.now();
    const match = await deps.db
      .insertInto('matches')
      .values({
        home_team: 'Hrvatska',
        away_team: 'Španjolska',
        competition: 'Bench',
        kick_off_time: new Date(now + 30 * 86_400_000),
        match_type: 'HOME',
        status: 'PUBLISHED',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await deps.db
      .insertInto('sales_phases')
      .values({
        match_id: match.id,
        phase_type: 'GENERAL_PUBLIC',
        name: 'Bench',
        start_at: new Date(now - 3_600_000),
        end_at: new Date(now + 86_400_000),
      })
      .execute();
    await deps.db
      .insertInto('queue_settings')
      .values({
        match_id: match.id,
        admission_rate_per_minute: ADMIT_PER_ROUND * 30, // per 2-second round
        max_active_buyers: 1_000_000,
        paused: true,
        shuffled_at: new Date(),
      })
      .execute();
    await redis.hset(keys.meta(match.id), 'shuffled', '1');

    console.log(`creating ${JOINS} users and tokens…`);
    const { rows: users } = await sql<{ id: string }>`
      INSERT INTO users (drupal_user_id, email)
      SELECT 'bench-' || g || '-' || ${randomSuffix()}, 'bench-' || g || '-' || ${randomUUID()} || '@example.test'
        FROM generate_series(1, ${JOINS}::int) g ORDER BY g
      RETURNING id`.execute(deps.db);
    const fanTokens = await Promise.all(
      users.map((u) => tokens.sign({ userId: u.id, roles: ['FAN'] })),
    );

    const app = await buildApp(deps);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;

    // --- the burst -----------------------------------------------------------------------
    const memoryBefore = await usedMemory(redis);
    const latency = new LatencyRecorder();
    const failures: Record<string, number> = {};
    console.log(`joining ${JOINS} fans over ${CONNECTIONS} connections…`);
    const joinStart = performance.now();
    await drive(JOINS, CONNECTIONS, async (i) => {
      const t0 = performance.now();
      try {
        const res = await requestJson<{ position?: number; code?: string }>(
          base,
          'POST',
          `/queue/${match.id}/join`,
          { token: fanTokens[i] },
        );
        latency.record('join', performance.now() - t0);
        if (res.status !== 201) {
          const key = `${res.status} ${res.body.code ?? ''}`;
          failures[key] = (failures[key] ?? 0) + 1;
        }
      } catch (err) {
        failures[String(err)] = (failures[String(err)] ?? 0) + 1;
      }
    });
    const joinSeconds = (performance.now() - joinStart) / 1000;
    const memoryAfter = await usedMemory(redis);
    const lineSize = await redis.zcard(keys.line(match.id));
    const rows = await deps.db
      .selectFrom('queue_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const joinsPerSecond = JOINS / joinSeconds;
    const joinStats = latency.summary().join!;
    console.log(
      `joins: ${round(joinsPerSecond)}/s, p50 ${joinStats.p50} ms, p99 ${joinStats.p99} ms, line ${lineSize}, rows ${rows.n}`,
    );

    // --- the HTTP floor in the same run: GET /health/live, same driver and connections ---
    const floorCount = Math.min(JOINS, 20_000);
    const floorStart = performance.now();
    await drive(floorCount, CONNECTIONS, async () => {
      await requestJson(base, 'GET', '/health/live');
    });
    const floorPerSecond = floorCount / ((performance.now() - floorStart) / 1000);
    console.log(`HTTP floor: ${round(floorPerSecond)}/s`);

    // --- raw ZADD, same concurrency, same Redis ------------------------------------------
    const rawKey = `queue:{raw-${randomSuffix()}}`;
    const rawStart = performance.now();
    await drive(JOINS, CONNECTIONS, async (i) => {
      await redis.zadd(rawKey, 'NX', i, users[i]!.id);
    });
    const rawSeconds = (performance.now() - rawStart) / 1000;
    const rawPerSecond = JOINS / rawSeconds;
    await redis.del(rawKey);
    console.log(`raw ZADD: ${round(rawPerSecond)}/s`);

    // --- WebSocket fan-out -----------------------------------------------------------------
    const wsCount = Math.min(WS_CLIENTS, users.length);
    console.log(`connecting ${wsCount} WebSocket clients…`);
    const lastMessageAt = new Array<number>(wsCount).fill(0);
    const received = new Array<number>(wsCount).fill(0);
    let connectFailures = 0;
    const wsBase = `ws://127.0.0.1:${port}/queue/${match.id}/ws?access_token=`;
    // The last wsCount fans: all of them move when the front is admitted.
    const offset = users.length - wsCount;
    await drive(wsCount, 200, async (i) => {
      await new Promise<void>((resolve) => {
        const socket = new WebSocket(wsBase + fanTokens[offset + i]!);
        sockets.push(socket);
        socket.on('message', () => {
          received[i]!++;
          lastMessageAt[i] = performance.now();
          if (received[i] === 1) resolve();
        });
        socket.on('error', () => {
          connectFailures++;
          resolve();
        });
      });
    });
    console.log(`connected (${connectFailures} failed); admission round…`);
    await deps.db
      .updateTable('queue_settings')
      .set({ paused: false })
      .where('match_id', '=', match.id)
      .execute();
    const before = received.slice();
    const roundStart = performance.now();
    const report = await runRound(deps, match.id);
    const roundDone = performance.now();
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && received.some((n, i) => n <= before[i]!)) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const updated = received.filter((n, i) => n > before[i]!).length;
    const fanoutSeconds =
      (Math.max(...lastMessageAt.filter((_, i) => received[i]! > before[i]!)) - roundStart) / 1000;
    console.log(
      `admitted ${report.admitted.length}; ${updated}/${wsCount} clients updated in ${round(fanoutSeconds, 3)} s`,
    );

    for (const s of sockets) s.terminate();
    await app.close();

    const file = await writeResult('queue', {
      joins: JOINS,
      connections: CONNECTIONS,
      pool: POOL,
      joins_per_second: round(joinsPerSecond),
      join_latency_ms: joinStats,
      p50_ms: joinStats.p50,
      p99_ms: joinStats.p99,
      join_failures: failures,
      line_size_after: lineSize,
      queue_entries_rows: rows.n,
      raw_zadd_per_second: round(rawPerSecond),
      ratio: round(joinsPerSecond / rawPerSecond, 4),
      http_floor_per_second: round(floorPerSecond),
      joins_vs_http_floor: round(joinsPerSecond / floorPerSecond, 3),
      redis_bytes_per_waiting_fan: round((memoryAfter - memoryBefore) / JOINS),
      redis_used_memory_before: memoryBefore,
      redis_used_memory_after: memoryAfter,
      ws_clients: wsCount,
      ws_connect_failures: connectFailures,
      ws_clients_updated: updated,
      ws_admitted_in_round: report.admitted.length,
      ws_admission_round_seconds: round((roundDone - roundStart) / 1000, 3),
      ws_fanout_seconds: round(fanoutSeconds, 3),
      notes:
        'One process on this machine runs the app, the HTTP driver and the WebSocket clients; ' +
        'ws_fanout_seconds runs from the start of the admission round (PostgreSQL update, ' +
        'pushes to the outbox, Redis, publish) until the last client has its new position.',
    });
    console.log(`wrote ${file}`);
  } finally {
    for (const s of sockets) s.terminate();
    await deleteKeys(TEST_REDIS_URL, world.redisPrefix);
    await world.close();
  }
}
