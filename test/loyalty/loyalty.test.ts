import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestContext } from '../harness/context.ts';
import { createUser } from '../factories/users.ts';
import { createFan, createSale, type Fan, type SaleFixture } from '../sales/helpers.ts';

/** Loyalty points (E6-F1) and LOYALTY phase eligibility at the cart (E6-F2). */

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

const DAY = 24 * 3_600_000;
const YEAR = 365 * DAY;

/** A played match of the past (points are earned for matches). */
async function pastMatch(matchType: 'HOME' | 'AWAY', ago: number) {
  const row = await t.deps.db
    .insertInto('matches')
    .values({
      home_team: matchType === 'HOME' ? 'Hrvatska' : `Rival ${randomUUID().slice(0, 6)}`,
      away_team: matchType === 'HOME' ? `Rival ${randomUUID().slice(0, 6)}` : 'Hrvatska',
      competition: 'Friendly',
      kick_off_time: new Date(t.clock.now().getTime() - ago),
      match_type: matchType,
      status: 'CLOSED',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Points earned `ago` ms before now, one row per match. */
async function earn(userId: string, ...agos: Array<number | [number, 'HOME' | 'AWAY']>) {
  for (const a of agos) {
    const [ago, type] = Array.isArray(a) ? a : [a, 'HOME' as const];
    const matchId = await pastMatch(type, ago + 3_600_000);
    await t.deps.db
      .insertInto('loyalty_points')
      .values({
        user_id: userId,
        match_id: matchId,
        points: 1,
        earned_at: new Date(t.clock.now().getTime() - ago),
      })
      .execute();
  }
}

const TIERS = [
  { min_points: 5, ticket_limit: 4 },
  { min_points: 2, ticket_limit: 2 },
];

async function loyaltySale(): Promise<SaleFixture> {
  const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
  await t.deps.db
    .updateTable('sales_phases')
    .set({
      phase_type: 'LOYALTY',
      name: 'Loyalty members',
      eligibility_rules_json: JSON.stringify({ loyalty_tiers: TIERS }),
    })
    .where('id', '=', sale.phaseId)
    .execute();
  return sale;
}

const addToCart = (fan: Fan, sale: SaleFixture, quantity: number) =>
  t.request({
    method: 'POST',
    url: '/cart/add',
    token: fan.token,
    payload: { match_id: sale.matchId, match_sector_id: sale.zoneId, quantity },
  });

const zonesFor = (sale: SaleFixture, token?: string) =>
  t.request({ method: 'GET', url: `/matches/${sale.matchId}/zones`, token });

describe('loyalty points (E6-F1)', () => {
  it('sums the points of the rolling 5-year window, HOME and AWAY alike', async () => {
    const fan = await createFan(t.deps);
    await earn(
      fan.id,
      [30 * DAY, 'AWAY'],
      [YEAR, 'HOME'],
      [5 * YEAR - 10 * DAY, 'HOME'], // still inside (5 calendar years incl. a leap day)
      [5 * YEAR + 10 * DAY, 'AWAY'], // outside the window
    );
    const me = await t.request({ method: 'GET', url: '/users/me/loyalty', token: fan.token });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user_id: fan.id, balance: 3, window_years: 5 });
    const windowStart = new Date(me.json().window_start);
    const expected = new Date(t.clock.now());
    expected.setUTCFullYear(expected.getUTCFullYear() - 5);
    expect(windowStart.toISOString()).toBe(expected.toISOString());

    // the window rolls with the clock: 20 days on, the 4y355d-old point has left it
    const saved = t.clock.now();
    t.clock.advance(20 * DAY);
    try {
      const later = await t.request({
        method: 'GET',
        url: '/users/me/loyalty',
        token: await t.deps.tokens.sign({ userId: fan.id, roles: ['FAN'] }),
      });
      expect(later.json().balance).toBe(2);
    } finally {
      t.clock.set(saved);
    }
  });

  it('lists the history match by match, newest first, paginated', async () => {
    const fan = await createFan(t.deps);
    await earn(fan.id, [2 * DAY, 'AWAY'], [100 * DAY, 'HOME'], [6 * YEAR, 'HOME']);
    const page1 = await t.request({
      method: 'GET',
      url: '/users/me/loyalty/history?limit=2',
      token: fan.token,
    });
    expect(page1.statusCode).toBe(200);
    const body = page1.json();
    expect(body).toMatchObject({ total: 3, page: 1, limit: 2 });
    expect(body.items).toHaveLength(2);
    expect(body.items[0]).toMatchObject({ match_type: 'AWAY', points: 1, counts: true });
    expect(body.items[1]).toMatchObject({ match_type: 'HOME', counts: true });
    expect(new Date(body.items[0].earned_at) > new Date(body.items[1].earned_at)).toBe(true);
    const earned = new Date(body.items[0].earned_at);
    expect(new Date(body.items[0].expires_at).getUTCFullYear()).toBe(earned.getUTCFullYear() + 5);
    const page2 = await t.request({
      method: 'GET',
      url: '/users/me/loyalty/history?limit=2&page=2',
      token: fan.token,
    });
    expect(page2.json().items).toEqual([expect.objectContaining({ counts: false })]);

    // another fan sees only their own (empty) history
    const other = await createFan(t.deps);
    const theirs = await t.request({
      method: 'GET',
      url: '/users/me/loyalty/history',
      token: other.token,
    });
    expect(theirs.json()).toMatchObject({ items: [], total: 0 });
    const anonymous = await t.request({ method: 'GET', url: '/users/me/loyalty/history' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('stores one row per user and match', async () => {
    const fan = await createFan(t.deps);
    const matchId = await pastMatch('HOME', DAY);
    const row = { user_id: fan.id, match_id: matchId, points: 1, earned_at: t.clock.now() };
    await t.deps.db.insertInto('loyalty_points').values(row).execute();
    await expect(t.deps.db.insertInto('loyalty_points').values(row).execute()).rejects.toThrow(
      /loyalty_points_user_match_key/,
    );
  });

  it("lets staff view any user's points; fans may not", async () => {
    const fan = await createFan(t.deps);
    await earn(fan.id, [10 * DAY, 'HOME'], [20 * DAY, 'AWAY']);
    const manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    for (const staff of [manager, agent]) {
      const res = await t.request({
        method: 'GET',
        url: `/admin/users/${fan.id}/loyalty`,
        token: staff.token,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ user_id: fan.id, email: fan.email, balance: 2 });
      expect(res.json().history).toHaveLength(2);
    }
    const asFan = await t.request({
      method: 'GET',
      url: `/admin/users/${fan.id}/loyalty`,
      token: fan.token,
    });
    expect(asFan.statusCode).toBe(403);
    const missing = await t.request({
      method: 'GET',
      url: `/admin/users/${randomUUID()}/loyalty`,
      token: manager.token,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('NOT_FOUND');
  });
});

describe('LOYALTY phase eligibility at the cart (E6-F2)', () => {
  it('refuses a fan whose points reach no tier, with a clear problem', async () => {
    const sale = await loyaltySale();
    const fan = await createFan(t.deps);
    await earn(fan.id, 30 * DAY); // 1 point, the lowest tier needs 2
    const res = await addToCart(fan, sale, 1);
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({
      code: 'LOYALTY_NOT_ELIGIBLE',
      balance: 1,
      required_points: 2,
    });
    expect(res.json().detail).toMatch(/at least 2 points/);
    const held = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('id')
      .where('match_id', '=', sale.matchId)
      .where('status', '=', 'RESERVED')
      .execute();
    expect(held).toHaveLength(0);

    const zones = await zonesFor(sale, fan.token);
    expect(zones.json()).toMatchObject({
      phase_type: 'LOYALTY',
      fan_remaining: 0,
      loyalty: { balance: 1, tier: null, eligible: false },
      zones: [{ max_quantity: 0 }],
    });

    const me = await t.request({ method: 'GET', url: '/users/me/loyalty', token: fan.token });
    const phase = me
      .json()
      .loyalty_phases.find((p: { match_id: string }) => p.match_id === sale.matchId);
    expect(phase).toMatchObject({
      open: true,
      eligible: false,
      tier: null,
      ticket_limit: 0,
      next_tier: { min_points: 2, ticket_limit: 2 },
      points_to_next_tier: 1,
    });
  });

  it("limits a fan to their tier's ticket_limit across holds and orders", async () => {
    const sale = await loyaltySale();
    const fan = await createFan(t.deps);
    await earn(fan.id, DAY, 2 * DAY, 3 * DAY); // 3 points: the 2-point tier, 2 tickets
    const zones = await zonesFor(sale, fan.token);
    expect(zones.json()).toMatchObject({
      fan_remaining: 2,
      loyalty: { balance: 3, tier: { min_points: 2, ticket_limit: 2 }, eligible: true },
      zones: [{ max_quantity: 2 }],
    });
    expect((await addToCart(fan, sale, 1)).statusCode).toBe(200);
    const over = await addToCart(fan, sale, 2);
    expect(over.statusCode).toBe(409);
    expect(over.json()).toMatchObject({
      code: 'PURCHASE_LIMIT_EXCEEDED',
      limit: 2,
      remaining: 1,
      loyalty_tier: { min_points: 2, ticket_limit: 2 },
    });
    expect((await addToCart(fan, sale, 1)).statusCode).toBe(200);
    const after = await zonesFor(sale, fan.token);
    expect(after.json()).toMatchObject({ fan_remaining: 0, zones: [{ max_quantity: 0 }] });

    // a ticket bought earlier (any phase) counts towards the tier limit as well
    const buyer = await createFan(t.deps);
    await earn(buyer.id, DAY, 2 * DAY);
    const order = await t.deps.db
      .insertInto('orders')
      .values({
        user_id: buyer.id,
        match_id: sale.matchId,
        status: 'COMPLETED',
        ticket_amount: 2500,
        ticket_vat_amount: 119,
        fee_amount: 150,
        fee_vat_amount: 30,
        total_amount: 2650,
        fee_percent_bp: 600,
        ticket_vat_bp: 500,
        fee_vat_bp: 2500,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const seat = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('id')
      .where('match_sector_id', '=', sale.zoneId)
      .where('status', '=', 'AVAILABLE')
      .orderBy('snake_order', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    await t.deps.db
      .updateTable('match_seat_inventory')
      .set({ status: 'SOLD' })
      .where('id', '=', seat.id)
      .execute();
    await t.deps.db
      .insertInto('tickets')
      .values({
        order_id: order.id,
        match_id: sale.matchId,
        match_seat_inventory_id: seat.id,
        owner_user_id: buyer.id,
        barcode: '123456789012345678',
        qr_code_data: 'test',
        price_amount: 2500,
        fee_amount: 150,
      })
      .execute();
    const buyerZones = await zonesFor(sale, buyer.token);
    expect(buyerZones.json()).toMatchObject({ fan_remaining: 1, zones: [{ max_quantity: 1 }] });
    const tooMany = await addToCart(buyer, sale, 2);
    expect(tooMany.json()).toMatchObject({ code: 'PURCHASE_LIMIT_EXCEEDED', remaining: 1 });
    expect((await addToCart(buyer, sale, 1)).statusCode).toBe(200);
  });

  it('gives the highest tier reached, never above the 4-per-match limit', async () => {
    const sale = await loyaltySale();
    const fan = await createFan(t.deps);
    await earn(fan.id, DAY, 2 * DAY, 3 * DAY, 4 * DAY, 5 * DAY, 6 * DAY); // 6 points
    const zones = await zonesFor(sale, fan.token);
    expect(zones.json()).toMatchObject({
      fan_remaining: 4,
      loyalty: { tier: { min_points: 5, ticket_limit: 4 } },
      zones: [{ max_quantity: 4 }],
    });
    expect((await addToCart(fan, sale, 4)).statusCode).toBe(200);
    expect((await addToCart(fan, sale, 1)).json().code).toBe('PURCHASE_LIMIT_EXCEEDED');
  });

  it('drops a fan whose points leave the 5-year window', async () => {
    const sale = await loyaltySale();
    const fan = await createFan(t.deps);
    // one point two days inside the window's start (5 calendar years ago): gone in 3 days
    const windowStart = new Date(t.clock.now());
    windowStart.setUTCFullYear(windowStart.getUTCFullYear() - 5);
    const nearEdge = t.clock.now().getTime() - windowStart.getTime() - 2 * DAY;
    await earn(fan.id, DAY, nearEdge);
    const zones = await zonesFor(sale, fan.token);
    expect(zones.json().loyalty).toMatchObject({ balance: 2, eligible: true });
    const saved = t.clock.now();
    t.clock.advance(3 * DAY);
    try {
      fan.token = await t.deps.tokens.sign({ userId: fan.id, roles: ['FAN'] });
      const res = await addToCart(fan, sale, 1);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'LOYALTY_NOT_ELIGIBLE', balance: 1 });
    } finally {
      t.clock.set(saved);
    }
  });

  it('shows the phase tiers to anonymous callers and applies no tier to a GENERAL_PUBLIC phase', async () => {
    const sale = await loyaltySale();
    const anonymous = await zonesFor(sale);
    expect(anonymous.json()).toMatchObject({
      phase_type: 'LOYALTY',
      loyalty: {
        tiers: [
          { min_points: 2, ticket_limit: 2 },
          { min_points: 5, ticket_limit: 4 },
        ],
        balance: null,
        tier: null,
        eligible: null,
      },
      zones: [{ max_quantity: 4 }],
    });

    const general = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps); // no points at all
    const zones = await zonesFor(general, fan.token);
    expect(zones.json()).toMatchObject({
      phase_type: 'GENERAL_PUBLIC',
      loyalty: null,
      zones: [{ max_quantity: 4 }],
    });
    expect((await addToCart(fan, general, 2)).statusCode).toBe(200);
  });
});
