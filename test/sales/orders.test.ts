import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { freshToken } from '../factories/users.ts';
import {
  addSavedProfile,
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  MINUTE,
  useStripeTestContext,
  withClockAt,
  type Fan,
} from './helpers.ts';

/** The fan's own orders: GET /orders and GET /orders/{id} (E4-F7, E9-F7). */

const DAY = 24 * 3_600_000;

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

  it('details an order (E9-F7): tickets with status and tiered seats, payment, refunds, invoice; buyer only', async () => {
    const kickOff = new Date(t.clock.now().getTime() + 30 * DAY);
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6, kickOff });
    const buyer = await createFan(t.deps);
    const friend = await createFan(t.deps); // named as the second ticket's holder
    const recipient = await createFan(t.deps); // receives the first ticket by transfer
    const stranger = await createFan(t.deps);
    const friendProfile = await addSavedProfile(t.deps, buyer, {
      fullName: 'Iva Ivić',
      dateOfBirth: '1991-01-01',
      oib: generateOib(),
      email: friend.email.toUpperCase(),
    });
    const { order, payment } = await checkoutToPayment(t, buyer, sale, 2, [
      { source: 'DEFAULT_PROFILE' },
      { source: 'SAVED_PROFILE', profile_id: friendProfile },
    ]);
    await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
    const detail = async (fan: Fan) =>
      t.request({
        method: 'GET',
        url: `/orders/${order.id}`,
        token: await freshToken(t.deps, fan),
      });

    const mine = await detail(buyer);
    expect(mine.statusCode).toBe(200);
    const body = mine.json();
    expect(body).toMatchObject({
      id: order.id,
      status: 'COMPLETED',
      total_amount: order.total_amount,
      payment: { status: 'SUCCEEDED', amount: order.total_amount, refunded_at: null },
      refund_status: 'NONE',
      refunded_amount: 0,
      invoice_url: null,
    });
    expect(body.items).toHaveLength(2);
    // every ticket with its status; a month ahead no seat (E9-F2), and never a code here
    expect(body.tickets).toHaveLength(2);
    for (const ticket of body.tickets) {
      expect(ticket).toMatchObject({
        status: 'SOLD',
        seat: null,
        owned_by_buyer: true,
        visibility: { tier: 'ORDER_INFO' },
        price_amount: expect.any(Number),
      });
      expect(ticket).not.toHaveProperty('barcode');
      expect(ticket).not.toHaveProperty('qr_code_data');
    }
    expect(body.tickets.map((x: { holder_name: string }) => x.holder_name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Fan /), 'Iva Ivić']),
    );
    expect(JSON.stringify(body)).not.toMatch(/HNS1:/);
    expect([...body.ticket_ids].sort()).toEqual(
      body.tickets.map((x: { id: string }) => x.id).sort(),
    );

    // the named holder, who did not buy: 403; someone unrelated: 404 like an unknown id
    const asHolder = await detail(friend);
    expect(asHolder.statusCode).toBe(403);
    expect(asHolder.json().code).toBe('ORDER_BUYER_ONLY');
    const asStranger = await detail(stranger);
    expect(asStranger.statusCode).toBe(404);
    expect(asStranger.json().code).toBe('NOT_FOUND');

    // the buyer transfers their own ticket: its recipient gets 403, the buyer still sees it
    const own = body.tickets.find((x: { holder_name: string }) => x.holder_name !== 'Iva Ivić');
    const moved = await t.request({
      method: 'POST',
      url: `/tickets/${own.id}/transfer`,
      token: await freshToken(t.deps, buyer),
      payload: {
        full_name: 'Petra Perić',
        oib: recipient.oib,
        email: recipient.email,
        date_of_birth: '1992-02-02',
        nationality: 'HR',
      },
    });
    expect(moved.statusCode).toBe(200);
    const asRecipient = await detail(recipient);
    expect(asRecipient.statusCode).toBe(403);
    expect(asRecipient.json().code).toBe('ORDER_BUYER_ONLY');
    const after = (await detail(buyer)).json();
    expect(after.tickets).toHaveLength(2);
    expect(after.tickets.find((x: { id: string }) => x.id === own.id)).toMatchObject({
      owned_by_buyer: false,
      holder_name: 'Petra Perić',
      status: 'SOLD',
    });

    // the refund summary as the refunds write it (sales/refunds, E8-F3, E9-F8)
    await t.deps.db
      .updateTable('orders')
      .set({ refund_status: 'PARTIAL', refunded_amount: 1000 })
      .where('id', '=', order.id)
      .execute();
    expect((await detail(buyer)).json()).toMatchObject({
      refund_status: 'PARTIAL',
      refunded_amount: 1000,
    });

    // from 4 days before kick-off the order shows the seats, still without codes
    await withClockAt(t, new Date(kickOff.getTime() - 4 * DAY), async () => {
      const seats = (await detail(buyer)).json().tickets;
      for (const ticket of seats) {
        expect(ticket).toMatchObject({
          seat: { sector_code: expect.any(String), seat_number: expect.any(Number) },
          visibility: { tier: 'SEAT' },
        });
      }
      expect(
        seats.map((x: { seat: { seat_number: number } }) => x.seat.seat_number).sort(),
      ).toEqual([1, 2]);
    });
  });
});
