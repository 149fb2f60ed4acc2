import { describe, expect, it } from 'vitest';
import { runRound } from '../../src/modules/queue/queue.engine.ts';
import { useTestContext } from '../harness/context.ts';
import { createMatch, createUsers } from './helpers.ts';

const t = useTestContext();
const MINUTE = 60_000;

async function call(method: 'GET' | 'POST', url: string, userId: string) {
  return t.request({ method, url, token: await t.token(userId) });
}

describe('connection resilience (E5-F5)', () => {
  it('keeps a place for 30 minutes after the last heartbeat, then loses it', async () => {
    const matchId = await createMatch(t.deps, { durationMs: 6 * 3_600_000 });
    await t.deps.db
      .insertInto('queue_settings')
      .values({
        match_id: matchId,
        admission_rate_per_minute: 1,
        max_active_buyers: 1,
        paused: true,
      })
      .execute();
    const [a, b, c] = await createUsers(t.deps, 3);
    for (const u of [a!, b!, c!]) {
      expect((await call('POST', `/queue/${matchId}/join`, u)).statusCode).toBe(201);
    }

    // b heartbeats at +29 min: still second, and the clock restarts.
    t.clock.advance(29 * MINUTE);
    const hb = await call('POST', `/queue/${matchId}/heartbeat`, b!);
    expect(hb.json()).toMatchObject({ status: 'WAITING', position: 2 });
    await call('POST', `/queue/${matchId}/heartbeat`, c!);
    const row = await t.deps.db
      .selectFrom('queue_entries')
      .select(['last_heartbeat', 'grace_period_expires_at'])
      .where('user_id', '=', b!)
      .executeTakeFirstOrThrow();
    expect(row.last_heartbeat).toEqual(t.clock.now());
    expect(row.grace_period_expires_at).toEqual(new Date(t.clock.now().getTime() + 30 * MINUTE));

    // +29:59 after a's join: a reconnects just in time and gets the same place back.
    t.clock.advance(59_000);
    expect((await call('GET', `/queue/${matchId}/status`, a!)).json()).toMatchObject({
      status: 'WAITING',
      position: 1,
    });

    // +31 min after a's join with no heartbeat: the sweeper removes a; b and c move up.
    t.clock.advance(62_000);
    const round = await runRound(t.deps, matchId);
    expect(round.swept).toEqual([a]);
    expect((await call('GET', `/queue/${matchId}/status`, a!)).json()).toMatchObject({
      status: 'LEFT',
      position: null,
    });
    expect((await call('GET', `/queue/${matchId}/status`, b!)).json()).toMatchObject({
      position: 1,
    });

    // c reconnects 31 minutes after its last heartbeat: the place is gone even before a sweep.
    t.clock.set(new Date(t.clock.now().getTime() + 30 * MINUTE));
    await call('POST', `/queue/${matchId}/heartbeat`, b!); // b was just as late: also gone
    const late = await call('POST', `/queue/${matchId}/heartbeat`, c!);
    expect(late.json()).toMatchObject({ status: 'LEFT', position: null });
    const rows = await t.deps.db
      .selectFrom('queue_entries')
      .select(['user_id', 'status', 'is_connected'])
      .where('match_id', '=', matchId)
      .execute();
    expect(rows.every((r) => r.status === 'LEFT' && !r.is_connected)).toBe(true);

    // Joining again starts a new place at the end of the line.
    const rejoin = await call('POST', `/queue/${matchId}/join`, a!);
    expect(rejoin.statusCode).toBe(201);
    expect(rejoin.json()).toMatchObject({ status: 'WAITING', position: 1, total_queue_size: 1 });
  });

  it('lets a fan leave', async () => {
    const matchId = await createMatch(t.deps);
    const [a, b] = await createUsers(t.deps, 2);
    await call('POST', `/queue/${matchId}/join`, a!);
    await call('POST', `/queue/${matchId}/join`, b!);
    const left = await call('POST', `/queue/${matchId}/leave`, a!);
    expect(left.json()).toMatchObject({ status: 'LEFT', position: null, total_queue_size: 1 });
    expect((await call('GET', `/queue/${matchId}/status`, b!)).json()).toMatchObject({
      position: 1,
    });
  });
});
