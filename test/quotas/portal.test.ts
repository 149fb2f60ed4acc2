import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLockedMatch, type LockedMatch } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { startDrupalOidc } from '../harness/servers/oidc.ts';
import { createQuotaViaApi } from './helpers.ts';

const drupal = await startDrupalOidc();
afterAll(() => drupal.close());

const t = useTestContext({
  env: { DRUPAL_USERINFO_URL: drupal.userinfoUrl, RATE_LIMIT_MAX: '100000' },
});

let manager: TestUser;
let holderA: TestUser;
let holderB: TestUser;
let match: LockedMatch;
let redom: { id: string; seats: { quota_seat_id: string }[] };
let nm: { id: string };
let quotaB: { id: string };

const get = (url: string, token?: string) => t.request({ method: 'GET', url, token });

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  holderA = await createUser(t.deps, { roles: ['QUOTA_HOLDER'], email: 'club-a@example.test' });
  holderB = await createUser(t.deps, { roles: ['QUOTA_HOLDER'], email: 'club-b@example.test' });
  match = await createLockedMatch(t.deps, { rows: 3, seatsPerRow: 6, sectors: 2 });
  const [s1, s2] = match.sectors;
  redom = await createQuotaViaApi(t, manager, {
    match_id: match.matchId,
    sector_ids: [s1!.matchSectorId],
    total_quantity: 8,
    allocation_algorithm: 'REDOM',
    recipient_email: holderA.email,
  });
  nm = await createQuotaViaApi(t, manager, {
    match_id: match.matchId,
    sector_ids: [s2!.matchSectorId],
    total_quantity: 5,
    allocation_algorithm: 'NM',
    recipient_email: holderA.email,
  });
  quotaB = await createQuotaViaApi(t, manager, {
    match_id: match.matchId,
    sector_ids: [s2!.matchSectorId],
    total_quantity: 3,
    recipient_email: holderB.email,
  });
});

describe('quota holder login (E7-F4: same credentials as the app)', () => {
  it('a Drupal login of a quota recipient carries QUOTA_HOLDER and opens the portal', async () => {
    const email = 'sponsor@example.hr';
    await createQuotaViaApi(t, manager, {
      match_id: match.matchId,
      sector_ids: [match.sectors[0]!.matchSectorId],
      total_quantity: 1,
      recipient_email: email,
    });
    const res = await t.request({
      method: 'POST',
      url: '/auth/login',
      payload: {
        drupal_token: await drupal.issue({
          sub: '7001',
          email,
          status: 1,
          roles: ['authenticated'],
        }),
        device_id: 'portal-browser',
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.user.roles).toEqual(['FAN', 'QUOTA_HOLDER']);
    const dash = await get('/quota-portal/dashboard', body.access_token);
    expect(dash.statusCode, dash.body).toBe(200);
    expect(dash.json().quotas).toHaveLength(1);
  });

  it('a fan with no quota logs in without the role and is refused by the portal', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/auth/login',
      payload: {
        drupal_token: await drupal.issue({
          sub: '7002',
          email: 'plain-fan@example.hr',
          status: 1,
          roles: ['authenticated'],
        }),
        device_id: 'phone',
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user.roles).toEqual(['FAN']);
    const dash = await get('/quota-portal/dashboard', res.json().access_token);
    expect(dash.statusCode).toBe(403);
    expect(dash.json().code).toBe('FORBIDDEN');
  });
});

describe('GET /quota-portal/dashboard (E7-F4)', () => {
  it('shows each own quota with the ALLOCATED / RESERVED / SOLD / DELEGATED breakdown', async () => {
    // Put three seats of the REDOM quota in other quota seat states (as claims and
    // sub-quotas leave them) to check each count.
    const [a, b, c] = redom.seats;
    await t.deps.db
      .updateTable('quota_seats')
      .set({ status: 'RESERVED' })
      .where('id', '=', a!.quota_seat_id)
      .execute();
    await t.deps.db
      .updateTable('quota_seats')
      .set({ status: 'SOLD' })
      .where('id', '=', b!.quota_seat_id)
      .execute();
    const sub = await t.deps.db
      .insertInto('subquotas')
      .values({ parent_quota_id: redom.id, recipient_email: holderB.email, quantity: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.deps.db
      .updateTable('quota_seats')
      .set({ status: 'DELEGATED', subquota_id: sub.id })
      .where('id', '=', c!.quota_seat_id)
      .execute();

    const res = await get('/quota-portal/dashboard', holderA.token);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.quotas.map((q: { id: string }) => q.id).sort()).toEqual([redom.id, nm.id].sort());
    const r = body.quotas.find((q: { id: string }) => q.id === redom.id);
    expect(r.counts).toEqual({ allocated: 5, reserved: 1, sold: 1, delegated: 1 });
    expect(r.match).toMatchObject({ id: match.matchId });
    // numbered allocation: the seat numbers are listed
    expect(r.seats).toHaveLength(8);
    for (const seat of r.seats) {
      expect(seat).toMatchObject({
        sector_code: 'S1',
        row: expect.any(String),
        seat_number: expect.any(Number),
      });
    }
    expect(
      r.seats.find((s: { quota_seat_id: string }) => s.quota_seat_id === c!.quota_seat_id)
        .subquota_id,
    ).toBe(sub.id);
    // NM: a count of places, no seat numbers
    const n = body.quotas.find((q: { id: string }) => q.id === nm.id);
    expect(n.counts).toEqual({ allocated: 5, reserved: 0, sold: 0, delegated: 0 });
    expect(n.seats).toBeNull();
    expect(body.subquotas).toEqual([]);

    // The sub-recipient sees the sub-quota (not the parent quota), with its own counts.
    const other = await get('/quota-portal/dashboard', holderB.token);
    const ob = other.json();
    expect(ob.quotas.map((q: { id: string }) => q.id)).toEqual([quotaB.id]);
    expect(ob.subquotas).toHaveLength(1);
    expect(ob.subquotas[0]).toMatchObject({
      id: sub.id,
      parent_quota_id: redom.id,
      status: 'ALLOCATED',
      quantity: 1,
      counts: { allocated: 1, reserved: 0, sold: 0 },
    });
    expect(ob.subquotas[0].seats).toHaveLength(1);
  });

  it("a holder sees only their own quotas: another holder's quota is a 404", async () => {
    const own = await get(`/quota-portal/quotas/${quotaB.id}`, holderB.token);
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json().counts).toEqual({ allocated: 3, reserved: 0, sold: 0, delegated: 0 });
    const foreign = await get(`/quota-portal/quotas/${redom.id}`, holderB.token);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().code).toBe('NOT_FOUND');
    const unknown = await get(
      '/quota-portal/quotas/00000000-0000-4000-8000-000000000000',
      holderA.token,
    );
    expect(unknown.statusCode).toBe(404);
  });

  it('is for quota holders: fans and match managers are refused, anonymous is 401', async () => {
    const fan = await createUser(t.deps);
    for (const user of [fan, manager]) {
      for (const url of ['/quota-portal/dashboard', `/quota-portal/quotas/${redom.id}`]) {
        const res = await get(url, user.token);
        expect(res.statusCode, `${url}: ${res.body}`).toBe(403);
        expect(res.json().code).toBe('FORBIDDEN');
      }
    }
    expect((await get('/quota-portal/dashboard')).statusCode).toBe(401);
  });
});
