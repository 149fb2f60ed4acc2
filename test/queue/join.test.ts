import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runRound } from '../../src/modules/queue/queue.engine.ts';
import { keys } from '../../src/modules/queue/queue.redis.ts';
import { useTestContext } from '../harness/context.ts';
import { createMatch, createUsers } from './helpers.ts';

const t = useTestContext();

async function entries(matchId: string) {
  return t.deps.db
    .selectFrom('queue_entries')
    .select(['user_id', 'status', 'position'])
    .where('match_id', '=', matchId)
    .execute();
}

describe('joining the waiting room (E5-F1)', () => {
  it('answers position, estimated wait and queue size; joining again returns the same entry', async () => {
    const matchId = await createMatch(t.deps);
    const [a, b] = await createUsers(t.deps, 2);
    const first = await t.request({
      method: 'POST',
      url: `/queue/${matchId}/join`,
      token: await t.token(a!),
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      match_id: matchId,
      status: 'WAITING',
      position: 1,
      estimated_wait_time: 0,
      total_queue_size: 1,
    });

    const second = await t.request({
      method: 'POST',
      url: `/queue/${matchId}/join`,
      token: await t.token(b!),
    });
    expect(second.statusCode).toBe(201);
    // One fan ahead at the configured 600/min (no admissions measured yet): 0.1 s → 1 s.
    expect(second.json()).toMatchObject({
      position: 2,
      total_queue_size: 2,
      estimated_wait_time: 1,
    });

    const again = await t.request({
      method: 'POST',
      url: `/queue/${matchId}/join`,
      token: await t.token(a!),
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ position: 1, total_queue_size: 2 });
    expect(await entries(matchId)).toHaveLength(2);

    const status = await t.request({
      method: 'GET',
      url: `/queue/${matchId}/status`,
      token: await t.token(b!),
    });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ status: 'WAITING', position: 2 });
  });

  it('refuses unknown matches, matches not on sale, and anonymous callers with clear problems', async () => {
    const [fan] = await createUsers(t.deps, 1);
    const token = await t.token(fan!);
    const unknown = await t.request({ method: 'POST', url: `/queue/${randomUUID()}/join`, token });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('MATCH_NOT_FOUND');

    const draft = await createMatch(t.deps, { status: 'DRAFT' });
    const r1 = await t.request({ method: 'POST', url: `/queue/${draft}/join`, token });
    expect(r1.statusCode).toBe(409);
    expect(r1.json()).toMatchObject({ code: 'QUEUE_NOT_OPEN' });
    expect(r1.json().detail).toMatch(/draft/);

    const later = await createMatch(t.deps, { startsInMs: 2 * 3_600_000 });
    const r2 = await t.request({ method: 'POST', url: `/queue/${later}/join`, token });
    expect(r2.statusCode).toBe(409);
    expect(r2.json().detail).toMatch(/opens 30 minutes before/);

    const over = await createMatch(t.deps, { startsInMs: -3 * 3_600_000, durationMs: 3_600_000 });
    const r3 = await t.request({ method: 'POST', url: `/queue/${over}/join`, token });
    expect(r3.statusCode).toBe(409);

    const open = await createMatch(t.deps);
    const anon = await t.request({ method: 'POST', url: `/queue/${open}/join` });
    expect(anon.statusCode).toBe(401);

    const never = await t.request({ method: 'GET', url: `/queue/${open}/status`, token });
    expect(never.statusCode).toBe(404);
    expect(never.json().code).toBe('QUEUE_ENTRY_NOT_FOUND');
  });

  it('keeps positions dense and ordered under 1,000 concurrent joins, each sent twice', async () => {
    const matchId = await createMatch(t.deps);
    const users = await createUsers(t.deps, 1_000);
    const tokens = await Promise.all(users.map((u) => t.token(u)));
    const app = await t.app();
    // Every fan joins twice at the same moment (double tap, retry): 2,000 requests.
    const responses = await Promise.all(
      [...tokens, ...tokens].map((token) =>
        app.inject({
          method: 'POST',
          url: `/queue/${matchId}/join`,
          headers: { authorization: `Bearer ${token}` },
        }),
      ),
    );
    const failed = responses.filter((r) => r.statusCode !== 200 && r.statusCode !== 201);
    expect(failed.map((r) => r.body).slice(0, 3)).toEqual([]);
    expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(1_000);

    // Both answers of a fan name the same place.
    for (let i = 0; i < 1_000; i++) {
      expect(responses[i]!.json().position).toBe(responses[i + 1_000]!.json().position);
    }
    const rows = await entries(matchId);
    expect(rows).toHaveLength(1_000);
    expect(await t.deps.redis.zcard(keys.line(matchId))).toBe(1_000);

    // Live positions are exactly 1..1000, in the order of the durable line numbers.
    const statuses = await Promise.all(
      users.map((u, i) =>
        app.inject({
          method: 'GET',
          url: `/queue/${matchId}/status`,
          headers: { authorization: `Bearer ${tokens[i]}` },
        }),
      ),
    );
    const position = new Map(users.map((u, i) => [u, statuses[i]!.json().position as number]));
    expect([...position.values()].sort((x, y) => x - y)).toEqual(
      Array.from({ length: 1_000 }, (_, i) => i + 1),
    );
    const byLine = [...rows].sort((x, y) => x.position - y.position).map((r) => r.user_id);
    expect(byLine.map((u) => position.get(u))).toEqual(
      Array.from({ length: 1_000 }, (_, i) => i + 1),
    );
  });

  it('shuffles the fans who joined before the opening exactly once; later fans queue behind them', async () => {
    const matchId = await createMatch(t.deps, { startsInMs: 10 * 60_000 });
    const early = await createUsers(t.deps, 200);
    for (const u of early) {
      const r = await t.request({
        method: 'POST',
        url: `/queue/${matchId}/join`,
        token: await t.token(u),
      });
      expect(r.statusCode).toBe(201);
      expect(r.json().position_provisional).toBe(true);
    }
    const before = await t.deps.redis.zrange(keys.line(matchId), '0', '-1');
    expect(before).toEqual(early);

    // Before the opening no round shuffles or admits.
    expect((await runRound(t.deps, matchId)).shuffled).toBeNull();

    t.clock.advance(10 * 60_000 + 1_000);
    const [late] = await createUsers(t.deps, 1);
    const lateJoin = await t.request({
      method: 'POST',
      url: `/queue/${matchId}/join`,
      token: await t.token(late!),
    });
    expect(lateJoin.json().position).toBe(201);

    // Pause admissions so the line stays whole for inspection.
    await t.deps.db
      .insertInto('queue_settings')
      .values({
        match_id: matchId,
        admission_rate_per_minute: 10,
        max_active_buyers: 10,
        paused: true,
      })
      .execute();
    // Two workers at once: only one shuffles.
    const reports = await Promise.all([runRound(t.deps, matchId), runRound(t.deps, matchId)]);
    expect(reports.filter((r) => r.shuffled !== null)).toHaveLength(1);
    expect(reports.find((r) => r.shuffled !== null)!.shuffled).toBe(200);
    expect((await runRound(t.deps, matchId)).shuffled).toBeNull();

    const after = await t.deps.redis.zrange(keys.line(matchId), '0', '-1');
    // A permutation: nobody lost, nobody twice; the late fan still last.
    expect(after).toHaveLength(201);
    expect(new Set(after).size).toBe(201);
    expect([...after.slice(0, 200)].sort()).toEqual([...early].sort());
    expect(after[200]).toBe(late);
    expect(after.slice(0, 200)).not.toEqual(early);

    // The durable line numbers follow the shuffle.
    const rows = await entries(matchId);
    const byLine = [...rows].sort((x, y) => x.position - y.position).map((r) => r.user_id);
    expect(byLine).toEqual(after);
    const settings = await t.deps.db
      .selectFrom('queue_settings')
      .select('shuffled_at')
      .where('match_id', '=', matchId)
      .executeTakeFirstOrThrow();
    expect(settings.shuffled_at).not.toBeNull();
  });
});
