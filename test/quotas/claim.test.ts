import { sql } from 'kysely';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { expireClaims } from '../../src/modules/quotas/claims.service.ts';
import { runHoldSweep } from '../../src/modules/sales/sales.jobs.ts';
import { blacklistOib } from '../factories/blacklist.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import {
  addToCart,
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  expectSignedTicket,
  manualHolder,
  MINUTE,
  orderStatusOf,
  useStripeTestContext,
  type SaleFixture,
} from '../sales/helpers.ts';
import { createQuotaViaApi, inventoryStatuses, quotaInvariantViolations } from './helpers.ts';

const { t, stripe } = await useStripeTestContext();

let manager: TestUser;
let holder: TestUser;

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  holder = await createUser(t.deps, { roles: ['QUOTA_HOLDER'], email: 'club@example.test' });
});

// Tests move the clock past the tokens' 15 minutes: fresh tokens after each move.
async function freshTokens() {
  manager.token = await t.token(manager.id, ['FAN', 'MATCH_MANAGER']);
  holder.token = await t.token(holder.id, ['FAN', 'QUOTA_HOLDER']);
}
beforeEach(freshTokens);

async function advance(ms: number) {
  t.clock.advance(ms);
  await freshTokens();
}

const post = (url: string, payload: object, token = holder.token) =>
  t.request({ method: 'POST', url, token, payload });

async function quotaOn(sale: SaleFixture, extra: Record<string, unknown> = {}) {
  return createQuotaViaApi(t, manager, {
    match_id: sale.matchId,
    sector_ids: [sale.zoneId],
    total_quantity: 4,
    recipient_email: holder.email,
    ...extra,
  });
}

const holders = (n: number) => Array.from({ length: n }, (_, i) => manualHolder(`Guest ${i + 1}`));

async function dashboardCounts(quotaId: string) {
  const res = await t.request({
    method: 'GET',
    url: `/quota-portal/quotas/${quotaId}`,
    token: holder.token,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().counts;
}

describe('claiming a quota (E7-F5)', () => {
  it('select seats → holders → Stripe payment with the discount → SOLD with real tickets', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 8, price: 2500 });
    const quota = await quotaOn(sale, { discount_percent: 20 });
    const picked = quota.seats.slice(1, 3).map((s) => s.quota_seat_id);

    // Step 1: seats selected
    const sel = await post(`/quota-portal/quotas/${quota.id}/select-seats`, {
      quota_seat_ids: picked,
    });
    expect(sel.statusCode, sel.body).toBe(201);
    const claim = sel.json();
    expect(claim).toMatchObject({ status: 'ACTIVE', payment_status: 'PENDING', order_id: null });
    expect(claim.seats.map((s: { quota_seat_id: string }) => s.quota_seat_id).sort()).toEqual(
      [...picked].sort(),
    );
    expect(new Date(claim.expires_at).getTime()).toBe(t.clock.now().getTime() + 20 * MINUTE);
    const inv = await inventoryStatuses(
      t,
      claim.seats.map((s: { inventory_id: string }) => s.inventory_id),
    );
    for (const row of inv.values())
      expect(row).toMatchObject({
        status: 'RESERVED',
        hold_kind: 'QUOTA',
        hold_owner_id: claim.id,
      });
    expect(await dashboardCounts(quota.id)).toEqual({
      allocated: 2,
      reserved: 2,
      sold: 0,
      delegated: 0,
    });

    // Step 2: holders named, status stays RESERVED, priced with the discount
    const named = await post(`/quota-portal/quotas/${quota.id}/ticket-holders`, {
      claim_id: claim.id,
      holders: holders(2),
    });
    expect(named.statusCode, named.body).toBe(200);
    const priced = named.json();
    expect(priced.subtotal).toBe(2 * 2000);
    expect(priced.total).toBe(priced.subtotal + priced.service_fee);
    expect(priced.holders.map((h: { full_name: string }) => h.full_name)).toEqual([
      'Guest 1',
      'Guest 2',
    ]);
    expect(priced.seats.every((s: { status: string }) => s.status === 'RESERVED')).toBe(true);
    expect(await orderStatusOf(t, priced.order_id)).toBe('PENDING');

    // Step 3: payment through Stripe for the discounted total
    const pay = await post(`/quota-portal/quotas/${quota.id}/payment`, { claim_id: claim.id });
    expect(pay.statusCode, pay.body).toBe(200);
    const payment = pay.json().payment;
    expect(payment.amount).toBe(priced.total);
    expect(await orderStatusOf(t, priced.order_id)).toBe('PAYMENT_PENDING');
    const ok = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
    expect(ok.json()).toEqual({ received: true, outcome: 'completed' });

    expect(await orderStatusOf(t, priced.order_id)).toBe('COMPLETED');
    const cart = await t.deps.db
      .selectFrom('quota_claim_carts')
      .selectAll()
      .where('id', '=', claim.id)
      .executeTakeFirstOrThrow();
    expect(cart).toMatchObject({
      status: 'COMPLETED',
      payment_status: 'PAID',
      stripe_payment_intent_id: payment.payment_intent_id,
    });
    const seats = await t.deps.db
      .selectFrom('quota_seats')
      .selectAll()
      .where('id', 'in', picked)
      .execute();
    const tickets = await t.deps.db
      .selectFrom('tickets')
      .selectAll()
      .where(
        'id',
        'in',
        seats.map((s) => s.ticket_id!),
      )
      .execute();
    expect(tickets).toHaveLength(2);
    for (const s of seats) {
      expect(s.status).toBe('SOLD');
      const ticket = tickets.find((x) => x.id === s.ticket_id)!;
      expect(ticket.match_seat_inventory_id).toBe(s.match_seat_inventory_id);
      expect(ticket).toMatchObject({
        status: 'SOLD',
        owner_user_id: holder.id,
        price_amount: 2000,
      });
      expectSignedTicket(t, ticket, sale.matchId);
    }
    expect(await dashboardCounts(quota.id)).toEqual({
      allocated: 2,
      reserved: 0,
      sold: 2,
      delegated: 0,
    });
    // the holder sees the tickets like any fan
    const mine = await t.request({ method: 'GET', url: '/users/me/tickets', token: holder.token });
    expect(
      mine
        .json()
        .items.map((x: { id: string }) => x.id)
        .sort(),
    ).toEqual(tickets.map((x) => x.id).sort());
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('free at 100 %: completes without a payment step', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const quota = await quotaOn(sale, { discount_percent: 100, allocation_algorithm: 'NM' });
    const claim = (
      await post(`/quota-portal/quotas/${quota.id}/select-seats`, { quantity: 3 })
    ).json();
    expect(claim.seats).toHaveLength(3);
    const named = (
      await post(`/quota-portal/quotas/${quota.id}/ticket-holders`, {
        claim_id: claim.id,
        holders: holders(3),
      })
    ).json();
    expect(named).toMatchObject({ subtotal: 0, service_fee: 0, total: 0 });
    const pay = await post(`/quota-portal/quotas/${quota.id}/payment`, { claim_id: claim.id });
    expect(pay.statusCode, pay.body).toBe(200);
    expect(pay.json()).toMatchObject({
      status: 'COMPLETED',
      payment_status: 'FREE',
      payment: null,
    });
    expect(pay.json().ticket_ids).toHaveLength(3);
    expect(await orderStatusOf(t, named.order_id)).toBe('COMPLETED');
    expect(
      await t.deps.db
        .selectFrom('payments')
        .select('id')
        .where('order_id', '=', named.order_id)
        .execute(),
    ).toEqual([]);
    expect(await dashboardCounts(quota.id)).toEqual({
      allocated: 1,
      reserved: 0,
      sold: 3,
      delegated: 0,
    });
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('deferred_payment: the claim becomes DEFERRED, keeps its seats and does not expire', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const quota = await quotaOn(sale, { deferred_payment: true });
    const claim = (
      await post(`/quota-portal/quotas/${quota.id}/select-seats`, { quantity: 2 })
    ).json();
    const named = (
      await post(`/quota-portal/quotas/${quota.id}/ticket-holders`, {
        claim_id: claim.id,
        holders: holders(2),
      })
    ).json();
    const pay = await post(`/quota-portal/quotas/${quota.id}/payment`, { claim_id: claim.id });
    expect(pay.statusCode, pay.body).toBe(200);
    expect(pay.json()).toMatchObject({
      status: 'ACTIVE',
      payment_status: 'DEFERRED',
      expires_at: null,
      payment: null,
    });
    // The order is DEFERRED (paid against a payment offer) and holds the seats until kick-off.
    expect(await orderStatusOf(t, named.order_id)).toBe('DEFERRED');
    const held = await inventoryStatuses(
      t,
      claim.seats.map((s: { inventory_id: string }) => s.inventory_id),
    );
    for (const row of held.values()) {
      expect(row).toMatchObject({
        status: 'RESERVED',
        hold_kind: 'QUOTA',
        hold_owner_id: named.order_id,
      });
    }
    await advance(2 * 60 * MINUTE);
    await expireClaims(t.deps);
    // Neither the claim expiry nor the sales sweeper touches it.
    await runHoldSweep(t.deps);
    expect(await orderStatusOf(t, named.order_id)).toBe('DEFERRED');
    const after = await dashboardCounts(quota.id);
    expect(after).toEqual({ allocated: 2, reserved: 2, sold: 0, delegated: 0 });
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it("the sales sweep leaves a named claim's order alone: it is still paid through Stripe", async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const quota = await quotaOn(sale);
    const claim = (
      await post(`/quota-portal/quotas/${quota.id}/select-seats`, { quantity: 1 })
    ).json();
    const named = (
      await post(`/quota-portal/quotas/${quota.id}/ticket-holders`, {
        claim_id: claim.id,
        holders: holders(1),
      })
    ).json();
    // the order holds no seat itself yet (the claim does): no hold expired for the sweeper
    await advance(2 * MINUTE);
    await runHoldSweep(t.deps);
    expect(await orderStatusOf(t, named.order_id)).toBe('PENDING');
    const pay = await post(`/quota-portal/quotas/${quota.id}/payment`, { claim_id: claim.id });
    expect(pay.statusCode, pay.body).toBe(200);
    const ok = await deliver(t, stripe, stripe.succeed(pay.json().payment.payment_intent_id));
    expect(ok.json()).toEqual({ received: true, outcome: 'completed' });
    expect(await orderStatusOf(t, named.order_id)).toBe('COMPLETED');
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('an abandoned claim returns its seats to the quota, not to the public', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const quota = await quotaOn(sale);
    const claim = (
      await post(`/quota-portal/quotas/${quota.id}/select-seats`, { quantity: 3 })
    ).json();
    await post(`/quota-portal/quotas/${quota.id}/ticket-holders`, {
      claim_id: claim.id,
      holders: holders(3),
    });
    await advance(21 * MINUTE);
    // the public sale treats expired holds as free: these must not be
    const fan = await createFan(t.deps);
    const tooMany = await addToCart(t, fan, sale, 3);
    expect(tooMany.json().code).toBe('SEATS_INSUFFICIENT');
    expect(await expireClaims(t.deps)).toBeGreaterThanOrEqual(1);
    const cart = await t.deps.db
      .selectFrom('quota_claim_carts')
      .selectAll()
      .where('id', '=', claim.id)
      .executeTakeFirstOrThrow();
    expect(cart.status).toBe('EXPIRED');
    expect(await orderStatusOf(t, cart.order_id!)).toBe('CANCELLED');
    const inv = await inventoryStatuses(
      t,
      claim.seats.map((s: { inventory_id: string }) => s.inventory_id),
    );
    for (const row of inv.values())
      expect(row).toMatchObject({ status: 'ALLOCATED', hold_kind: null });
    expect(await dashboardCounts(quota.id)).toEqual({
      allocated: 4,
      reserved: 0,
      sold: 0,
      delegated: 0,
    });
    // the expired claim cannot go on
    const late = await post(`/quota-portal/quotas/${quota.id}/payment`, { claim_id: claim.id });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('QUOTA_CLAIM_EXPIRED');
    // and the seats can be claimed again
    const again = await post(`/quota-portal/quotas/${quota.id}/select-seats`, { quantity: 4 });
    expect(again.statusCode, again.body).toBe(201);
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('an abandoned claim in payment: the order is cancelled and a late success is refunded', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const quota = await quotaOn(sale);
    const claim = (
      await post(`/quota-portal/quotas/${quota.id}/select-seats`, { quantity: 2 })
    ).json();
    const named = (
      await post(`/quota-portal/quotas/${quota.id}/ticket-holders`, {
        claim_id: claim.id,
        holders: holders(2),
      })
    ).json();
    const pay = (
      await post(`/quota-portal/quotas/${quota.id}/payment`, { claim_id: claim.id })
    ).json();
    await advance(21 * MINUTE);
    await expireClaims(t.deps);
    expect(await orderStatusOf(t, named.order_id)).toBe('CANCELLED');
    const late = await deliver(t, stripe, stripe.succeed(pay.payment.payment_intent_id));
    expect(late.json().outcome).toBe('refund_requested');
    expect(await dashboardCounts(quota.id)).toEqual({
      allocated: 4,
      reserved: 0,
      sold: 0,
      delegated: 0,
    });
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('holders: the blacklist as at checkout, one valid ticket per person and match', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 8 });
    const quota = await quotaOn(sale);
    const claim = (
      await post(`/quota-portal/quotas/${quota.id}/select-seats`, { quantity: 2 })
    ).json();
    const banned = generateOib();
    await blacklistOib(t, banned);
    const refused = await post(`/quota-portal/quotas/${quota.id}/ticket-holders`, {
      claim_id: claim.id,
      holders: [manualHolder('Ok Person'), { ...manualHolder('Banned Person'), oib: banned }],
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'BLACKLISTED', holder_positions: [2] });
    const logged = await t.deps.db
      .selectFrom('violation_logs')
      .select(['user_id', 'match_id'])
      .execute();
    expect(logged).toContainEqual({ user_id: holder.id, match_id: sale.matchId });

    // a fan already holding a ticket for the match cannot be named again
    const fan = await createFan(t.deps);
    const { payment } = await checkoutToPayment(t, fan, sale, 1);
    await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
    const twice = await post(`/quota-portal/quotas/${quota.id}/ticket-holders`, {
      claim_id: claim.id,
      holders: [manualHolder('Ok Person'), { ...manualHolder('Fan Again'), oib: fan.oib }],
    });
    expect(twice.statusCode, twice.body).toBe(409);
    expect(twice.json()).toMatchObject({
      code: 'HOLDER_HAS_TICKET',
      errors: [{ field: 'body.holders.1' }],
    });
    const mismatch = await post(`/quota-portal/quotas/${quota.id}/ticket-holders`, {
      claim_id: claim.id,
      holders: holders(3),
    });
    expect(mismatch.json().code).toBe('HOLDERS_MISMATCH');
    const badOib = await post(`/quota-portal/quotas/${quota.id}/ticket-holders`, {
      claim_id: claim.id,
      holders: [manualHolder(), { ...manualHolder('X Y'), oib: '12345678901' }],
    });
    expect(badOib.json().code).toBe('OIB_INVALID');
  });

  it('bad selections: problems with stable codes, nothing claimed', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 8 });
    const quota = await quotaOn(sale);
    const nm = await quotaOn(sale, { allocation_algorithm: 'NM', total_quantity: 2 });
    const other = await createQuotaViaApi(t, manager, {
      match_id: sale.matchId,
      sector_ids: [sale.zoneId],
      total_quantity: 1,
      recipient_email: 'someone-else@example.test',
    });
    const cases: [string, object, number, string][] = [
      [quota.id, { quantity: 5 }, 409, 'QUOTA_SEATS_INSUFFICIENT'],
      [
        quota.id,
        { quota_seat_ids: [other.seats[0]!.quota_seat_id] },
        409,
        'QUOTA_SEAT_UNAVAILABLE',
      ],
      [
        quota.id,
        { quantity: 1, quota_seat_ids: [quota.seats[0]!.quota_seat_id] },
        400,
        'VALIDATION_FAILED',
      ],
      [quota.id, {}, 400, 'VALIDATION_FAILED'],
      [nm.id, { quota_seat_ids: [nm.seats[0]!.quota_seat_id] }, 400, 'VALIDATION_FAILED'],
      [other.id, { quantity: 1 }, 404, 'NOT_FOUND'],
    ];
    for (const [id, body, status, code] of cases) {
      const res = await post(`/quota-portal/quotas/${id}/select-seats`, body);
      expect(res.statusCode, `${JSON.stringify(body)}: ${res.body}`).toBe(status);
      expect(res.json().code).toBe(code);
    }
    expect(
      await t.deps.db
        .selectFrom('quota_claim_carts')
        .select('id')
        .where('quota_id', 'in', [quota.id, nm.id, other.id])
        .execute(),
    ).toEqual([]);
    const noHolders = await post(`/quota-portal/quotas/${quota.id}/payment`, {
      claim_id: (
        await post(`/quota-portal/quotas/${quota.id}/select-seats`, { quantity: 1 })
      ).json().id,
    });
    expect(noHolders.json().code).toBe('QUOTA_CLAIM_NOT_PAYABLE');
    // a cancelled quota cannot be claimed
    await t.request({
      method: 'DELETE',
      url: `/admin/quotas/${nm.id}?option=all_unused`,
      token: manager.token,
    });
    const closed = await post(`/quota-portal/quotas/${nm.id}/select-seats`, { quantity: 1 });
    expect(closed.json().code).toBe('QUOTA_CLOSED');
  });

  it('claim routes are for the quota holder: fans and match managers are refused', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 4 });
    const quota = await quotaOn(sale, { total_quantity: 1 });
    const fan = await createUser(t.deps);
    for (const user of [fan, manager]) {
      for (const step of ['select-seats', 'ticket-holders', 'payment']) {
        const res = await post(
          `/quota-portal/quotas/${quota.id}/${step}`,
          { quantity: 1 },
          user.token,
        );
        expect(res.statusCode, res.body).toBe(403);
      }
    }
  });

  it('concurrent selections by the holder: one live claim, every seat in at most one', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 6 });
    const quota = await quotaOn(sale, { total_quantity: 10 });
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        post(`/quota-portal/quotas/${quota.id}/select-seats`, { quantity: 3 }),
      ),
    );
    for (const r of results) expect([201, 409], r.body).toContain(r.statusCode);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM quota_claim_carts WHERE quota_id = ${quota.id} AND status = 'ACTIVE'`.execute(
      t.deps.db,
    );
    expect(rows[0]!.n).toBe(1);
    expect(await dashboardCounts(quota.id)).toEqual({
      allocated: 7,
      reserved: 3,
      sold: 0,
      delegated: 0,
    });
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });
});
