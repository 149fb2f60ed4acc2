import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  MINUTE,
  useStripeTestContext,
} from './helpers.ts';

/** The fan's own orders: GET /orders and GET /orders/{id}. */

const { t, stripe } = await useStripeTestContext();

describe('GET /orders and GET /orders/{id}', () => {
  it("lists the caller's orders newest first with status, totals, match and ticket ids", async () => {
    const first = await createSale(t.deps, { rows: 1, seatsPerRow: 6, price: 2500 });
    const second = await createSale(t.deps, { rows: 1, seatsPerRow: 6, price: 4000 });
    const fan = await createFan(t.deps);
    const other = await createFan(t.deps);

    // an order paid and completed …
    const paid = await checkoutToPayment(t, fan, first, 2);
    expect(
      (await deliver(t, stripe, stripe.succeed(paid.payment.payment_intent_id))).json().outcome,
    ).toBe('completed');
    // … and a later one, abandoned before paying
    t.clock.advance(MINUTE);
    const abandoned = await checkoutToPayment(t, fan, second, 1);
    await t.request({
      method: 'DELETE',
      url: `/cart?match_id=${second.matchId}`,
      token: fan.token,
    });
    // someone else's order
    await checkoutToPayment(t, other, first, 1);

    const list = await t.request({ method: 'GET', url: '/orders', token: fan.token });
    expect(list.statusCode).toBe(200);
    const body = list.json();
    expect(body).toMatchObject({ total: 2, page: 1, limit: 20 });
    expect(body.items.map((o: { id: string }) => o.id)).toEqual([
      abandoned.order.id,
      paid.order.id,
    ]);
    const tickets = await t.request({ method: 'GET', url: '/users/me/tickets', token: fan.token });
    const ticketIds = tickets
      .json()
      .items.map((x: { id: string }) => x.id)
      .sort();
    expect(ticketIds).toHaveLength(2);
    const completed = body.items[1];
    expect(completed).toMatchObject({
      order_number: paid.order.order_number,
      status: 'COMPLETED',
      match: { id: first.matchId, match_type: 'HOME' },
      seat_count: 2,
      ticket_amount: 5000,
      fee_amount: 300,
      total_amount: 5300,
      currency: 'EUR',
      cancelled_at: null,
    });
    expect(completed.completed_at).not.toBeNull();
    expect([...completed.ticket_ids].sort()).toEqual(ticketIds);
    expect(body.items[0]).toMatchObject({
      status: 'CANCELLED',
      cancellation_reason: 'CART_CLEARED',
      seat_count: 1,
      total_amount: 4240,
      ticket_ids: [],
      match: { id: second.matchId },
    });

    const page2 = await t.request({
      method: 'GET',
      url: '/orders?page=2&limit=1',
      token: fan.token,
    });
    expect(page2.json()).toMatchObject({ total: 2, page: 2, limit: 1 });
    expect(page2.json().items.map((o: { id: string }) => o.id)).toEqual([paid.order.id]);

    const bad = await t.request({ method: 'GET', url: '/orders?limit=500', token: fan.token });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
  });

  it('shows one order with lines and payment; another fan gets 404 like an unknown id', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    const other = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, fan, sale, 2);
    await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));

    const mine = await t.request({ method: 'GET', url: `/orders/${order.id}`, token: fan.token });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({
      id: order.id,
      status: 'COMPLETED',
      seat_count: 2,
      payment: { status: 'SUCCEEDED', amount: order.total_amount, refunded_at: null },
    });
    expect(mine.json().items).toHaveLength(2);
    expect(mine.json().items[0].holder.oib_masked).toBe(`*******${fan.oib.slice(-4)}`);
    expect(mine.json().ticket_ids).toHaveLength(2);

    const theirs = await t.request({
      method: 'GET',
      url: `/orders/${order.id}`,
      token: other.token,
    });
    const unknown = await t.request({
      method: 'GET',
      url: `/orders/${randomUUID()}`,
      token: other.token,
    });
    expect(theirs.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    const same = (r: typeof theirs) => ({ ...r.json(), instance: null, request_id: null });
    expect(same(theirs)).toEqual(same(unknown));
    expect(theirs.json()).toMatchObject({ code: 'NOT_FOUND', detail: 'Order was not found' });
    expect(
      (await t.request({ method: 'GET', url: '/orders', token: other.token })).json(),
    ).toMatchObject({ items: [], total: 0 });

    expect((await t.request({ method: 'GET', url: '/orders' })).statusCode).toBe(401);
    expect((await t.request({ method: 'GET', url: `/orders/${order.id}` })).statusCode).toBe(401);
    const malformed = await t.request({
      method: 'GET',
      url: '/orders/not-a-uuid',
      token: fan.token,
    });
    expect(malformed.statusCode).toBe(400);
  });
});
