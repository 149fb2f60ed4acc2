import { beforeAll, describe, expect, it } from 'vitest';
import { createLockedMatch, type LockedMatch } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { manualHolder } from '../sales/helpers.ts';
import { createQuotaViaApi, emailsOf, quotaInvariantViolations } from './helpers.ts';

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

let manager: TestUser;
let holder: TestUser;
let subHolder: TestUser;
let match: LockedMatch;

const post = (url: string, payload: object, token = holder.token) =>
  t.request({ method: 'POST', url, token, payload });

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  holder = await createUser(t.deps, { roles: ['QUOTA_HOLDER'], email: 'club@example.test' });
  subHolder = await createUser(t.deps, {
    roles: ['QUOTA_HOLDER'],
    email: 'youth-section@example.test',
  });
  match = await createLockedMatch(t.deps, { rows: 4, seatsPerRow: 10, status: 'PUBLISHED' });
});

const newQuota = (extra: Record<string, unknown> = {}) =>
  createQuotaViaApi(t, manager, {
    match_id: match.matchId,
    sector_ids: [match.sectors[0]!.matchSectorId],
    total_quantity: 4,
    recipient_email: holder.email,
    can_create_subquotas: true,
    ...extra,
  });

async function counts(quotaId: string, token = holder.token) {
  const res = await t.request({ method: 'GET', url: `/quota-portal/quotas/${quotaId}`, token });
  return res.json().counts;
}

describe('sub-quotas (E7-F6)', () => {
  it('only when can_create_subquotas: 403 otherwise', async () => {
    const quota = await newQuota({ can_create_subquotas: false });
    const res = await post(`/quota-portal/quotas/${quota.id}/subquotas`, {
      recipient_email: subHolder.email,
      quantity: 1,
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('SUBQUOTAS_NOT_ALLOWED');
  });

  it('passes picked seats on: DELEGATED, the sub-recipient emailed and pushed, listed', async () => {
    const quota = await newQuota();
    const picked = quota.seats.slice(0, 2).map((s) => s.quota_seat_id);
    const res = await post(`/quota-portal/quotas/${quota.id}/subquotas`, {
      recipient_email: subHolder.email,
      recipient_name: 'Youth section',
      quota_seat_ids: picked,
    });
    expect(res.statusCode, res.body).toBe(201);
    const sub = res.json();
    expect(sub).toMatchObject({
      status: 'ALLOCATED',
      quantity: 2,
      counts: { allocated: 2, reserved: 0, sold: 0 },
    });
    expect(sub.seats.map((s: { quota_seat_id: string }) => s.quota_seat_id).sort()).toEqual(
      [...picked].sort(),
    );
    const rows = await t.deps.db
      .selectFrom('quota_seats')
      .select(['status', 'subquota_id'])
      .where('id', 'in', picked)
      .execute();
    expect(rows).toEqual([
      { status: 'DELEGATED', subquota_id: sub.id },
      { status: 'DELEGATED', subquota_id: sub.id },
    ]);
    const links = await t.deps.db
      .selectFrom('subquota_seats')
      .select('quota_seat_id')
      .where('subquota_id', '=', sub.id)
      .execute();
    expect(links.map((l) => l.quota_seat_id).sort()).toEqual([...picked].sort());
    const email = (await emailsOf(t, 'subquota_invitation')).find(
      (e) => e.recipient_email === subHolder.email,
    );
    expect(email?.variables_json).toMatchObject({
      ticket_count: 2,
      accept_url: `${t.config.PUBLIC_BASE_URL}/quota-portal/quotas/${quota.id}?subquota=${sub.id}`,
    });
    const pushes = await t.deps.db
      .selectFrom('push_logs')
      .select(['user_id', 'notification_type'])
      .where('user_id', '=', subHolder.id)
      .execute();
    expect(pushes).toContainEqual({
      user_id: subHolder.id,
      notification_type: 'subquota_received',
    });
    expect(await counts(quota.id)).toEqual({ allocated: 2, reserved: 0, sold: 0, delegated: 2 });
    const list = await t.request({
      method: 'GET',
      url: `/quota-portal/quotas/${quota.id}/subquotas`,
      token: holder.token,
    });
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([sub.id]);
    // the seats stay the quota's in the inventory
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('the sub-recipient claims from the sub-quota; a claimed sub-quota cannot be retracted', async () => {
    const quota = await newQuota({ discount_percent: 100 });
    const sub = (
      await post(`/quota-portal/quotas/${quota.id}/subquotas`, {
        recipient_email: subHolder.email,
        quantity: 2,
      })
    ).json();
    // the parent holder cannot claim the delegated seats
    const parentTry = await post(`/quota-portal/quotas/${quota.id}/select-seats`, {
      quota_seat_ids: [sub.seats[0].quota_seat_id],
    });
    expect(parentTry.json().code).toBe('QUOTA_SEAT_UNAVAILABLE');
    const claim = await post(
      `/quota-portal/quotas/${quota.id}/select-seats`,
      { quantity: 2, subquota_id: sub.id },
      subHolder.token,
    );
    expect(claim.statusCode, claim.body).toBe(201);
    await post(
      `/quota-portal/quotas/${quota.id}/ticket-holders`,
      { claim_id: claim.json().id, holders: [manualHolder('Junior A'), manualHolder('Junior B')] },
      subHolder.token,
    );
    const paid = await post(
      `/quota-portal/quotas/${quota.id}/payment`,
      { claim_id: claim.json().id },
      subHolder.token,
    );
    expect(paid.json()).toMatchObject({ status: 'COMPLETED', payment_status: 'FREE' });
    const dash = (
      await t.request({ method: 'GET', url: '/quota-portal/dashboard', token: subHolder.token })
    ).json();
    expect(dash.subquotas.find((s: { id: string }) => s.id === sub.id)).toMatchObject({
      status: 'SOLD',
      counts: { allocated: 0, reserved: 0, sold: 2 },
    });
    expect(await counts(quota.id)).toEqual({ allocated: 2, reserved: 0, sold: 0, delegated: 2 });
    const retract = await t.request({
      method: 'DELETE',
      url: `/quota-portal/subquotas/${sub.id}`,
      token: holder.token,
    });
    expect(retract.statusCode).toBe(400);
    expect(retract.json()).toMatchObject({ code: 'SUBQUOTA_NOT_RETRACTABLE', status: 400 });
  });

  it('retracts an ALLOCATED sub-quota: the seats are the parent’s free balance again', async () => {
    const quota = await newQuota();
    const sub = (
      await post(`/quota-portal/quotas/${quota.id}/subquotas`, {
        recipient_email: subHolder.email,
        quantity: 3,
      })
    ).json();
    expect(await counts(quota.id)).toEqual({ allocated: 1, reserved: 0, sold: 0, delegated: 3 });
    // not the sub-recipient's to retract, and not another holder's
    const foreign = await t.request({
      method: 'DELETE',
      url: `/quota-portal/subquotas/${sub.id}`,
      token: subHolder.token,
    });
    expect(foreign.statusCode).toBe(404);
    const res = await t.request({
      method: 'DELETE',
      url: `/quota-portal/subquotas/${sub.id}`,
      token: holder.token,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'RETRACTED', returned_seats: 3 });
    expect(await counts(quota.id)).toEqual({ allocated: 4, reserved: 0, sold: 0, delegated: 0 });
    expect(
      await t.deps.db
        .selectFrom('subquota_seats')
        .select('id')
        .where('subquota_id', '=', sub.id)
        .execute(),
    ).toEqual([]);
    // retracted seats can be passed on again
    const again = await post(`/quota-portal/quotas/${quota.id}/subquotas`, {
      recipient_email: subHolder.email,
      quantity: 4,
    });
    expect(again.statusCode, again.body).toBe(201);
    const twice = await t.request({
      method: 'DELETE',
      url: `/quota-portal/subquotas/${sub.id}`,
      token: holder.token,
    });
    expect(twice.json().code).toBe('SUBQUOTA_NOT_RETRACTABLE');
  });

  it('concurrent creation over the same seats: one winner', async () => {
    const quota = await newQuota();
    const picked = quota.seats.slice(0, 3).map((s) => s.quota_seat_id);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        post(`/quota-portal/quotas/${quota.id}/subquotas`, {
          recipient_email: `friend-${i}@example.test`,
          quota_seat_ids: picked,
        }),
      ),
    );
    const won = results.filter((r) => r.statusCode === 201);
    expect(won).toHaveLength(1);
    for (const r of results.filter((x) => x.statusCode !== 201)) {
      expect(r.statusCode, r.body).toBe(409);
      expect(r.json().code).toBe('QUOTA_SEAT_UNAVAILABLE');
    }
    const links = await t.deps.db
      .selectFrom('subquota_seats')
      .select('quota_seat_id')
      .where('quota_seat_id', 'in', picked)
      .execute();
    expect(links).toHaveLength(3);
    const subs = await t.deps.db
      .selectFrom('subquotas')
      .select('id')
      .where('parent_quota_id', '=', quota.id)
      .execute();
    expect(subs).toHaveLength(1);
  });

  it('bad input and roles', async () => {
    const quota = await newQuota();
    const cases: [object, number, string][] = [
      [{ recipient_email: 'x@example.test', quantity: 5 }, 409, 'QUOTA_SEATS_INSUFFICIENT'],
      [{ recipient_email: 'nope', quantity: 1 }, 400, 'VALIDATION_FAILED'],
      [{ recipient_email: 'x@example.test' }, 400, 'VALIDATION_FAILED'],
      [
        {
          recipient_email: 'x@example.test',
          quota_seat_ids: ['00000000-0000-4000-8000-000000000000'],
        },
        409,
        'QUOTA_SEAT_UNAVAILABLE',
      ],
      [
        { recipient_email: 'x@example.test', quantity: 1, expires_at: '2000-01-01T00:00:00Z' },
        400,
        'VALIDATION_FAILED',
      ],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(`/quota-portal/quotas/${quota.id}/subquotas`, body);
      expect(res.statusCode, `${JSON.stringify(body)}: ${res.body}`).toBe(status);
      expect(res.json().code).toBe(code);
    }
    const fan = await createUser(t.deps);
    for (const user of [fan, manager]) {
      const res = await post(
        `/quota-portal/quotas/${quota.id}/subquotas`,
        { recipient_email: 'x@example.test', quantity: 1 },
        user.token,
      );
      expect(res.statusCode).toBe(403);
    }
    const notMine = await post(
      `/quota-portal/quotas/${quota.id}/subquotas`,
      { recipient_email: 'x@example.test', quantity: 1 },
      subHolder.token,
    );
    expect(notMine.statusCode).toBe(404);
    expect(await counts(quota.id)).toEqual({ allocated: 4, reserved: 0, sold: 0, delegated: 0 });
  });
});
