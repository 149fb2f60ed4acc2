import { beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../factories/users.ts';
import { createSale, deliver, manualHolder, useStripeTestContext } from '../sales/helpers.ts';
import {
  createQuotaViaApi,
  emailsOf,
  inventoryCounts,
  quotaInvariantViolations,
} from './helpers.ts';

const { t, stripe } = await useStripeTestContext();

let manager: TestUser;
let holder: TestUser;

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  holder = await createUser(t.deps, { roles: ['QUOTA_HOLDER'], email: 'sponsor@example.test' });
});

const post = (url: string, payload: object, token = holder.token) =>
  t.request({ method: 'POST', url, token, payload });
const cancel = (id: string, option: string, token = manager.token) =>
  t.request({ method: 'DELETE', url: `/admin/quotas/${id}?option=${option}`, token });

/**
 * A quota of 8 seats: 2 SOLD (claimed and paid), 2 RESERVED (a claim in payment), 2
 * DELEGATED (a sub-quota), 2 ALLOCATED.
 */
async function busyQuota() {
  const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
  const quota = await createQuotaViaApi(t, manager, {
    match_id: sale.matchId,
    sector_ids: [sale.zoneId],
    total_quantity: 8,
    recipient_email: holder.email,
    can_create_subquotas: true,
  });
  const base = `/quota-portal/quotas/${quota.id}`;
  const claimTwo = async () => {
    const claim = (await post(`${base}/select-seats`, { quantity: 2 })).json();
    await post(`${base}/ticket-holders`, {
      claim_id: claim.id,
      holders: [manualHolder('A One'), manualHolder('B Two')],
    });
    return (await post(`${base}/payment`, { claim_id: claim.id })).json();
  };
  const sold = await claimTwo();
  await deliver(t, stripe, stripe.succeed(sold.payment.payment_intent_id));
  const inPayment = await claimTwo();
  const sub = (
    await post(`${base}/subquotas`, { recipient_email: 'friend@example.test', quantity: 2 })
  ).json();
  return { sale, quota, sold, inPayment, sub };
}

async function quotaSeatStatuses(quotaId: string) {
  const rows = await t.deps.db
    .selectFrom('quota_seats')
    .select('status')
    .where('quota_id', '=', quotaId)
    .execute();
  const out: Record<string, number> = {};
  for (const r of rows) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}

describe('DELETE /admin/quotas/{id} (E7-F7)', () => {
  it('option=all_unused: ALLOCATED, RESERVED and DELEGATED seats back to sale; sold tickets untouched', async () => {
    const { sale, quota, inPayment, sub } = await busyQuota();
    const before = await emailsOf(t, 'quota_cancelled');
    const res = await cancel(quota.id, 'all_unused');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'CANCELLED',
      cancellation_type: 'ALL_UNUSED',
      returned_seats: 6,
    });
    expect(await quotaSeatStatuses(quota.id)).toEqual({ SOLD: 2, CANCELLED: 6 });
    // seat status AVAILABLE again: 2 free before + 6 returned; the 2 sold stay SOLD
    expect(await inventoryCounts(t, sale.matchId)).toEqual({ AVAILABLE: 8, SOLD: 2 });
    const tickets = await t.deps.db
      .selectFrom('tickets as tk')
      .innerJoin('quota_seats as qs', 'qs.ticket_id', 'tk.id')
      .select('tk.status')
      .where('qs.quota_id', '=', quota.id)
      .execute();
    expect(tickets).toEqual([{ status: 'SOLD' }, { status: 'SOLD' }]);
    // the claim in payment is abandoned with its order and PaymentIntent
    const cart = await t.deps.db
      .selectFrom('quota_claim_carts')
      .selectAll()
      .where('id', '=', inPayment.id)
      .executeTakeFirstOrThrow();
    expect(cart.status).toBe('ABANDONED');
    const order = await t.deps.db
      .selectFrom('orders')
      .select('status')
      .where('id', '=', inPayment.order_id)
      .executeTakeFirstOrThrow();
    expect(order.status).toBe('CANCELLED');
    const subRow = await t.deps.db
      .selectFrom('subquotas')
      .select('status')
      .where('id', '=', sub.id)
      .executeTakeFirstOrThrow();
    expect(subRow.status).toBe('CANCELLED');
    // the holder is notified
    const after = await emailsOf(t, 'quota_cancelled');
    expect(after.length).toBe(before.length + 1);
    expect(after.at(-1)).toMatchObject({
      recipient_email: holder.email,
      variables_json: { returned_count: 6 },
    });
    // a late payment of the abandoned claim follows the shop's late-success rule: the seats
    // are free again, so they are sold to the payer; the quota keeps them CANCELLED
    const late = await deliver(t, stripe, stripe.succeed(inPayment.payment.payment_intent_id));
    expect(late.json().outcome).toBe('completed');
    const closed = await t.deps.db
      .selectFrom('quota_claim_carts')
      .select('status')
      .where('id', '=', inPayment.id)
      .executeTakeFirstOrThrow();
    expect(closed.status).toBe('ABANDONED');
    expect(await quotaSeatStatuses(quota.id)).toEqual({ SOLD: 2, CANCELLED: 6 });
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('option=unfulfilled_only: only ALLOCATED seats go back; claims and sub-quotas carry on', async () => {
    const { sale, quota, inPayment, sub } = await busyQuota();
    const res = await cancel(quota.id, 'unfulfilled_only');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'CANCELLED',
      cancellation_type: 'UNFULFILLED_ONLY',
      returned_seats: 2,
    });
    expect(await quotaSeatStatuses(quota.id)).toEqual({
      SOLD: 2,
      RESERVED: 2,
      DELEGATED: 2,
      CANCELLED: 2,
    });
    expect(await inventoryCounts(t, sale.matchId)).toEqual({
      AVAILABLE: 4,
      SOLD: 2,
      RESERVED: 2,
      ALLOCATED: 2,
    });
    // the claim in payment still completes
    const ok = await deliver(t, stripe, stripe.succeed(inPayment.payment.payment_intent_id));
    expect(ok.json().outcome).toBe('completed');
    const subRow = await t.deps.db
      .selectFrom('subquotas')
      .select('status')
      .where('id', '=', sub.id)
      .executeTakeFirstOrThrow();
    expect(subRow.status).toBe('ALLOCATED');
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('bad requests and roles', async () => {
    const { quota } = await busyQuota();
    expect((await cancel(quota.id, 'everything')).json().code).toBe('VALIDATION_FAILED');
    expect((await cancel('00000000-0000-4000-8000-000000000000', 'all_unused')).statusCode).toBe(
      404,
    );
    const fan = await createUser(t.deps);
    for (const user of [fan, holder]) {
      const res = await cancel(quota.id, 'all_unused', user.token);
      expect(res.statusCode).toBe(403);
    }
    expect((await cancel(quota.id, 'all_unused')).statusCode).toBe(200);
    const again = await cancel(quota.id, 'all_unused');
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('QUOTA_NOT_CANCELLABLE');
  });
});
