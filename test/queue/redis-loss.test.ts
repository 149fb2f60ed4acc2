import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startPrivateRedis, type PrivateRedis } from '../../bench/lib/private-servers.ts';
import type { AppDeps } from '../../src/deps.ts';
import { buildApp } from '../../src/app.ts';
import { getPurchaseWindow } from '../../src/modules/queue/queue.admission.ts';
import { runRound } from '../../src/modules/queue/queue.engine.ts';
import { createRedis } from '../../src/platform/redis.ts';
import { useTestContext } from '../harness/context.ts';
import { createMatch, createUsers, waitFor } from './helpers.ts';

/**
 * Redis restarted without its data mid-sale (issue 17): a private redis-server of this file,
 * SIGKILLed and started again empty. PostgreSQL's queue_entries is the durable record; the
 * line comes back from it in its order, admission resumes, sockets get their place.
 */
const t = useTestContext();
let server: PrivateRedis;
let redis: Redis;
let deps: AppDeps;
let app: FastifyInstance;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  server = await startPrivateRedis();
  redis = createRedis(server.url, t.redisPrefix);
  deps = { ...t.deps, redis };
  app = await buildApp(deps);
  await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  for (const s of sockets) s.terminate();
  await app?.close();
  redis?.disconnect();
  await server?.stop();
});

const call = async (
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  userId: string,
  payload?: object,
) =>
  app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.token(userId, ['FAN', 'MATCH_MANAGER'])}` },
    ...(payload ? { payload } : {}),
  });

function live(matchId: string, userId: string, token: string) {
  const port = (app.server.address() as AddressInfo).port;
  const socket = new WebSocket(`ws://127.0.0.1:${port}/queue/${matchId}/ws`, {
    headers: { authorization: `Bearer ${token}` },
  });
  sockets.push(socket);
  const updates: { status: string; position: number | null }[] = [];
  socket.on('message', (data) => updates.push(JSON.parse(String(data))));
  return { socket, updates, userId };
}

async function restartRedisEmpty() {
  await server.restartEmpty();
  await waitFor(async () => (await redis.ping().catch(() => null)) === 'PONG', 10_000);
}

describe('the waiting room survives losing Redis (issue 17)', () => {
  it('rebuilds the line from PostgreSQL in its order, keeps windows, resumes admission and live positions', async () => {
    const matchId = await createMatch(t.deps);
    const fans = await createUsers(t.deps, 8);
    for (const f of fans)
      expect((await call('POST', `/queue/${matchId}/join`, f)).statusCode).toBe(201);
    const put = await call('PUT', `/admin/matches/${matchId}/queue`, fans[0]!, {
      admission_rate_per_minute: 600,
      max_active_buyers: 2,
    });
    expect(put.statusCode).toBe(200);
    t.clock.advance(2_000);
    expect((await runRound(deps, matchId)).admitted).toEqual([fans[0], fans[1]]);

    const watcher = live(matchId, fans[5]!, await t.token(fans[5]!));
    await waitFor(() => watcher.updates.at(-1)?.position === 4);

    await restartRedisEmpty();

    // A fan already waiting gets the same place back (200, not a new place at the end).
    const again = await call('POST', `/queue/${matchId}/join`, fans[4]!);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'WAITING', position: 3, total_queue_size: 6 });
    expect((await call('GET', `/queue/${matchId}/status`, fans[3]!)).json()).toMatchObject({
      status: 'WAITING',
      position: 2,
    });
    // The admitted windows are PostgreSQL's: still open.
    expect(await getPurchaseWindow(deps, fans[1]!, matchId)).toMatchObject({
      queued: true,
      admitted: true,
    });
    // A fan joining now goes to the end, behind everyone restored.
    const [late] = await createUsers(t.deps, 1);
    const joined = await call('POST', `/queue/${matchId}/join`, late!);
    expect(joined.statusCode).toBe(201);
    expect(joined.json().position).toBe(7);

    // A reconnecting socket gets its place.
    const reconnected = live(matchId, fans[6]!, await t.token(fans[6]!));
    await waitFor(() => reconnected.updates.at(-1)?.position === 5);

    // Admission resumes in the old order once a slot frees: fan 0 leaves, fan 2 is next.
    expect((await call('POST', `/queue/${matchId}/leave`, fans[0]!)).json().status).toBe('LEFT');
    t.clock.advance(2_000);
    expect((await runRound(deps, matchId)).admitted).toEqual([fans[2]]);
    // The socket that stayed open through the loss follows the line.
    await waitFor(() => watcher.updates.at(-1)?.position === 3);
    expect(watcher.updates.at(-1)).toMatchObject({ status: 'WAITING', position: 3 });
    const { rows } = await sql<{ n: number }>`
      SELECT count(*) AS n FROM queue_entries WHERE match_id = ${matchId} AND status = 'LEFT'`.execute(
      t.deps.db,
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('a join whose row was committed after the rebuild keeps its line number', async () => {
    const matchId = await createMatch(t.deps);
    const [first, inFlight, second] = await createUsers(t.deps, 3);
    expect((await call('POST', `/queue/${matchId}/join`, first!)).statusCode).toBe(201);
    const base = t.clock.now();

    await restartRedisEmpty();
    t.clock.advance(1_000);
    // The rebuild happens on this call; the in-flight join's row is not there yet.
    expect((await call('GET', `/queue/${matchId}/status`, first!)).json().position).toBe(1);
    expect((await call('POST', `/queue/${matchId}/join`, second!)).statusCode).toBe(201);
    // Its row arrives now, with the line number the lost copy had given it (2).
    await t.deps.db
      .insertInto('queue_entries')
      .values({
        user_id: inFlight!,
        match_id: matchId,
        position: 2,
        status: 'WAITING',
        joined_at: base,
        last_heartbeat: base,
        grace_period_expires_at: new Date(base.getTime() + 30 * 60_000),
      })
      .execute();
    expect((await call('GET', `/queue/${matchId}/status`, inFlight!)).json()).toMatchObject({
      status: 'WAITING',
      position: 2,
    });
    expect((await call('GET', `/queue/${matchId}/status`, second!)).json().position).toBe(3);
  });
});
