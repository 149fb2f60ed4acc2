import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  getPurchaseWindow,
  completeOrderPurchase,
  verifyAdmissionProof,
} from '../../src/modules/queue/queue.admission.ts';
import { runRound } from '../../src/modules/queue/queue.engine.ts';
import { queueJobs } from '../../src/modules/queue/queue.jobs.ts';
import type { Job } from 'pg-boss';
import { useTestContext } from '../harness/context.ts';
import { auditEvents } from '../harness/audit.ts';
import { createMatch, createUsers, pushJobs } from './helpers.ts';

const t = useTestContext();

async function join(matchId: string, userId: string) {
  const r = await t.request({
    method: 'POST',
    url: `/queue/${matchId}/join`,
    token: await t.token(userId),
  });
  expect([200, 201]).toContain(r.statusCode);
  return r.json();
}

async function status(matchId: string, userId: string) {
  return (
    await t.request({
      method: 'GET',
      url: `/queue/${matchId}/status`,
      token: await t.token(userId),
    })
  ).json();
}

async function configure(matchId: string, body: Record<string, unknown>) {
  const [manager] = await createUsers(t.deps, 1);
  const r = await t.request({
    method: 'PUT',
    url: `/admin/matches/${matchId}/queue`,
    token: await t.token(manager!, ['MATCH_MANAGER']),
    payload: body,
  });
  expect(r.statusCode).toBe(200);
  return r.json();
}

describe('admission and the purchase window (E5-F4)', () => {
  it('admits from the front at the rate, up to the cap, with a 20-minute window, proof and push', async () => {
    const matchId = await createMatch(t.deps);
    const fans = await createUsers(t.deps, 60);
    for (const f of fans) await join(matchId, f);
    await configure(matchId, { admission_rate_per_minute: 600, max_active_buyers: 5 });

    // Not admitted yet: the cart sees a queued match and the fan's position.
    expect(await getPurchaseWindow(t.deps, fans[0]!, matchId)).toEqual({
      queued: true,
      admitted: false,
      position: 1,
      status: 'WAITING',
    });

    const first = await runRound(t.deps, matchId);
    expect(first.admitted).toEqual(fans.slice(0, 5)); // 600/min for 2 s = 20, capped at 5

    const now = t.clock.now();
    const window = await getPurchaseWindow(t.deps, fans[0]!, matchId);
    expect(window).toEqual({
      queued: true,
      admitted: true,
      window_started_at: now,
      window_expires_at: new Date(now.getTime() + 20 * 60_000),
    });
    const admitted = await status(matchId, fans[0]!);
    expect(admitted).toMatchObject({
      status: 'ACTIVE',
      position: null,
      window_expires_at: new Date(now.getTime() + 20 * 60_000).toISOString(),
      purchase_url: `hns://purchase/${matchId}`,
    });
    expect(await verifyAdmissionProof(t.deps, admitted.admission_token, fans[0]!, matchId)).toEqual(
      {
        window_expires_at: new Date(now.getTime() + 20 * 60_000),
      },
    );
    expect(
      await verifyAdmissionProof(t.deps, admitted.admission_token, fans[1]!, matchId),
    ).toBeNull();
    // Everybody else moved up by five.
    expect(await status(matchId, fans[5]!)).toMatchObject({ status: 'WAITING', position: 1 });

    const turns = await pushJobs(t.deps, 'queue_turn');
    expect(turns.map((p) => p.user_id).sort()).toEqual(fans.slice(0, 5).sort());
    expect(turns[0]).toMatchObject({
      title: 'Vi ste na redu!',
      data: { deeplink: `hns://purchase/${matchId}`, title_en: "It's your turn!" },
    });
    // Fans who moved to position 50 or better (from 51..55): "You're almost at the front!".
    const near = await pushJobs(t.deps, 'queue_almost_front');
    expect(near.map((p) => p.user_id).sort()).toEqual(fans.slice(50, 55).sort());
    expect(near[0]!.data.title_en).toBe("You're almost at the front!");

    // The cap is reached: the next round admits nobody.
    t.clock.advance(2_000);
    expect((await runRound(t.deps, matchId)).admitted).toEqual([]);

    // A completed purchase frees a slot (in the order's transaction; the order row itself
    // is the sales module's and is not needed to free the slot).
    await t.deps.db.transaction().execute((trx) =>
      completeOrderPurchase(t.deps, trx, {
        id: randomUUID(),
        user_id: fans[0]!,
        match_id: matchId,
      }),
    );
    t.clock.advance(2_000);
    expect((await runRound(t.deps, matchId)).admitted).toEqual([fans[5]]);
    expect(await status(matchId, fans[0]!)).toMatchObject({ status: 'COMPLETED' });
    // Joining again after buying shows the completed entry, it does not queue again.
    expect(await join(matchId, fans[0]!)).toMatchObject({ status: 'COMPLETED', position: null });
    expect(await runRound(t.deps, matchId)).toMatchObject({ locked: true, admitted: [] });

    // The measured rate now drives the estimate.
    const admin = await t.request({
      method: 'GET',
      url: `/admin/matches/${matchId}/queue`,
      token: await t.token(fans[59]!, ['MATCH_MANAGER']),
    });
    expect(admin.json()).toMatchObject({
      counts: { waiting: 54, active: 5, completed: 1, expired: 0 },
      total_admitted: 6,
      settings: { admission_rate_per_minute: 600, max_active_buyers: 5, paused: false },
    });
    expect(admin.json().admitted_per_minute).toBeGreaterThan(0);
  });

  it('pushes a significant move (crossing 100) once, and near-front only at 50 or better', async () => {
    const matchId = await createMatch(t.deps);
    const fans = await createUsers(t.deps, 120);
    for (const f of fans) await join(matchId, f);
    await configure(matchId, { admission_rate_per_minute: 300, max_active_buyers: 1000 });
    expect((await runRound(t.deps, matchId)).admitted).toHaveLength(10);
    const moved = await pushJobs(t.deps, 'queue_position', matchId);
    const near = await pushJobs(t.deps, 'queue_almost_front', matchId);
    // Only crossings count: 101..110 moved to 91..100 (crossed 100), 51..60 to 41..50
    // (reached 50); nobody else crossed a milestone since joining.
    expect(moved.map((p) => p.user_id).sort()).toEqual(fans.slice(100, 110).sort());
    expect(near.map((p) => p.user_id).sort()).toEqual(fans.slice(50, 60).sort());
    expect(moved[0]).toMatchObject({
      title: 'Napredujete u redu',
      data: { deeplink: `hns://queue/${matchId}`, title_en: 'You are moving up' },
    });
    t.clock.advance(2_000);
    await runRound(t.deps, matchId);
    // Ten more each; nobody heard the same news twice.
    expect(await pushJobs(t.deps, 'queue_position', matchId)).toHaveLength(20);
    expect(await pushJobs(t.deps, 'queue_almost_front', matchId)).toHaveLength(20);
  });

  it('pauses and resumes admissions', async () => {
    const matchId = await createMatch(t.deps);
    const fans = await createUsers(t.deps, 3);
    for (const f of fans) await join(matchId, f);
    await configure(matchId, { paused: true });
    expect((await runRound(t.deps, matchId)).admitted).toEqual([]);
    t.clock.advance(60_000);
    expect((await runRound(t.deps, matchId)).admitted).toEqual([]);
    await configure(matchId, { paused: false, admission_rate_per_minute: 60 });
    t.clock.advance(2_000);
    // 60/min for 2 s = 2: no burst from the paused minute.
    expect((await runRound(t.deps, matchId)).admitted).toEqual(fans.slice(0, 2));

    // Every settings change is audited.
    const audits = await auditEvents(t.deps.db, matchId);
    expect(audits.map((e) => e.action)).toEqual([
      'queue_settings_updated',
      'queue_settings_updated',
    ]);
  });

  it('runs rounds from the worker job for every match on sale, under one lease', async () => {
    const matchId = await createMatch(t.deps);
    const fans = await createUsers(t.deps, 2);
    for (const f of fans) await join(matchId, f);
    const [tick] = queueJobs(t.deps);
    const controller = new AbortController();
    const job = { id: 'tick', name: tick!.name, data: {}, signal: controller.signal };
    const running = tick!.handler({}, job as unknown as Job<object>);
    const waitAdmitted = async () => {
      for (let i = 0; i < 200; i++) {
        const w = await getPurchaseWindow(t.deps, fans[0]!, matchId);
        if ('admitted' in w && w.admitted) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('not admitted');
    };
    await waitAdmitted();
    controller.abort();
    await running;
  });

  it('expires a window after 20 minutes: removed, pushed, and a rejoin goes to the end', async () => {
    const matchId = await createMatch(t.deps);
    const fans = await createUsers(t.deps, 4);
    for (const f of fans) await join(matchId, f);
    await configure(matchId, { admission_rate_per_minute: 30 });
    expect((await runRound(t.deps, matchId)).admitted).toEqual([fans[0]]); // 30/min × 2 s = 1

    t.clock.advance(20 * 60_000 - 1_000);
    expect(await getPurchaseWindow(t.deps, fans[0]!, matchId)).toMatchObject({ admitted: true });
    t.clock.advance(1_000);
    // Over at the second, even before the sweep runs.
    expect(await getPurchaseWindow(t.deps, fans[0]!, matchId)).toMatchObject({
      admitted: false,
      status: 'EXPIRED',
    });
    // Keep the others' places alive through the 20 minutes.
    for (const f of fans.slice(1)) {
      await t.request({
        method: 'POST',
        url: `/queue/${matchId}/heartbeat`,
        token: await t.token(f),
      });
    }
    await configure(matchId, { paused: true });
    const round = await runRound(t.deps, matchId);
    expect(round.expired).toEqual([fans[0]]);
    expect(await status(matchId, fans[0]!)).toMatchObject({ status: 'EXPIRED' });
    const pushes = await pushJobs(t.deps, 'queue_window_expired');
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({
      user_id: fans[0],
      data: { title_en: 'Your purchase window has expired' },
    });

    const rejoin = await t.request({
      method: 'POST',
      url: `/queue/${matchId}/join`,
      token: await t.token(fans[0]!),
    });
    expect(rejoin.statusCode).toBe(201);
    expect(rejoin.json()).toMatchObject({ status: 'WAITING', position: 4, total_queue_size: 4 });
  });
});
