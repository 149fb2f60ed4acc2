import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../factories/users.ts';
import {
  createSale,
  deliver,
  manualHolder,
  orderStatusOf,
  useStripeTestContext,
} from '../sales/helpers.ts';
import { createQuotaViaApi, inventoryStatuses, quotaInvariantViolations } from './helpers.ts';

/**
 * A Stripe refusal mid-claim (E7-F5) against the local Stripe server: a declined card
 * (payment_intent.payment_failed) or a PaymentIntent Stripe would not create gives the
 * claim's seats back to the quota at once, not when the claim expires.
 */
const { t, stripe } = await useStripeTestContext();

let manager: TestUser;
let holder: TestUser;

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  holder = await createUser(t.deps, {
    roles: ['QUOTA_HOLDER'],
    email: 'club-refusal@example.test',
  });
});
beforeEach(async () => {
  holder.token = await t.token(holder.id, ['FAN', 'QUOTA_HOLDER']);
});

const post = (url: string, payload: object) =>
  t.request({ method: 'POST', url, token: holder.token, payload });

/** A quota of 4 seats and a claim of 2 named and sent to payment. */
async function claimInPayment(options: { refuseIntent?: boolean } = {}) {
  const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6, price: 2500 });
  const quota = await createQuotaViaApi(t, manager, {
    match_id: sale.matchId,
    sector_ids: [sale.zoneId],
    total_quantity: 4,
    recipient_email: holder.email,
  });
  const base = `/quota-portal/quotas/${quota.id}`;
  const picked = quota.seats.slice(0, 2);
  const claim = (
    await post(`${base}/select-seats`, { quota_seat_ids: picked.map((s) => s.quota_seat_id) })
  ).json();
  const named = (
    await post(`${base}/ticket-holders`, {
      claim_id: claim.id,
      holders: [manualHolder('Gost A'), manualHolder('Gost B')],
    })
  ).json();
  // the client's three attempts (maxNetworkRetries 2) all answered 500
  if (options.refuseIntent) stripe.failNext('/v1/payment_intents', 3);
  const pay = await post(`${base}/payment`, { claim_id: claim.id });
  return {
    quota,
    base,
    claimId: claim.id as string,
    orderId: named.order_id as string,
    inventoryIds: picked.map((s) => s.inventory_id),
    pay,
  };
}

async function expectSeatsBackInQuota(c: Awaited<ReturnType<typeof claimInPayment>>) {
  expect(await orderStatusOf(t, c.orderId)).toBe('CANCELLED');
  const cart = await t.deps.db
    .selectFrom('quota_claim_carts')
    .select('status')
    .where('id', '=', c.claimId)
    .executeTakeFirstOrThrow();
  expect(cart.status).toBe('ABANDONED');
  // back in the quota (ALLOCATED), never in public sale
  for (const row of (await inventoryStatuses(t, c.inventoryIds)).values()) {
    expect(row).toMatchObject({ status: 'ALLOCATED', hold_kind: null, hold_owner_id: null });
  }
  const view = await t.request({ method: 'GET', url: c.base, token: holder.token });
  expect(view.json().counts).toEqual({ allocated: 4, reserved: 0, sold: 0, delegated: 0 });
  expect(await quotaInvariantViolations(t)).toEqual([]);
  // at once claimable again, the same seats
  const again = await post(`${c.base}/select-seats`, {
    quota_seat_ids: c.quota.seats.slice(0, 2).map((s) => s.quota_seat_id),
  });
  expect(again.statusCode, again.body).toBe(201);
}

describe('a Stripe refusal mid-claim', () => {
  it('payment_intent.payment_failed: the claim is abandoned and its seats are back in the quota at once', async () => {
    const c = await claimInPayment();
    expect(c.pay.statusCode, c.pay.body).toBe(200);
    const intentId = c.pay.json().payment.payment_intent_id as string;
    const failed = await deliver(t, stripe, stripe.fail(intentId));
    expect(failed.statusCode, failed.body).toBe(200);
    expect(failed.json()).toEqual({ received: true, outcome: 'payment_failed' });
    const order = await t.deps.db
      .selectFrom('orders')
      .select(['status', 'cancellation_reason'])
      .where('id', '=', c.orderId)
      .executeTakeFirstOrThrow();
    expect(order).toEqual({ status: 'CANCELLED', cancellation_reason: 'QUOTA_CLAIM_ABANDONED' });
    const payment = await t.deps.db
      .selectFrom('payments')
      .select('status')
      .where('order_id', '=', c.orderId)
      .executeTakeFirstOrThrow();
    expect(payment.status).toBe('FAILED');
    // the same event again changes nothing
    const dup = await deliver(t, stripe, stripe.fail(intentId));
    expect(dup.statusCode).toBe(200);
    await expectSeatsBackInQuota(c);
  });

  it('a PaymentIntent Stripe will not create: 502, and the seats are back in the quota at once', async () => {
    const c = await claimInPayment({ refuseIntent: true });
    expect(c.pay.statusCode, c.pay.body).toBe(502);
    expect(c.pay.json().code).toBe('PAYMENT_PROVIDER_ERROR');
    await expectSeatsBackInQuota(c);
  });
});
