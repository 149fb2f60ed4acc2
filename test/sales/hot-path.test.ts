import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as TicketCodes from '../../src/modules/tickets/ticket-codes.ts';
import { auditEvents } from '../harness/audit.ts';
import { statementsOf } from '../harness/statements.ts';
import {
  addToCart,
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  expectSignedTicket,
  holdersFor,
  manualHolder,
  nameHolders,
  useStripeTestContext,
} from './helpers.ts';

// Barcodes the next tickets get, in order, before the random ones (forced collisions).
const forcedBarcodes = vi.hoisted(() => [] as string[]);
vi.mock('../../src/modules/tickets/ticket-codes.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof TicketCodes>();
  return {
    ...actual,
    generateBarcode: () => forcedBarcodes.shift() ?? actual.generateBarcode(),
  };
});
const { generateBarcode } = await vi.importActual<typeof TicketCodes>(
  '../../src/modules/tickets/ticket-codes.ts',
);

const { t, stripe } = await useStripeTestContext();
afterEach(() => {
  forcedBarcodes.length = 0;
});

const count = (sql: string[], pattern: RegExp) => sql.filter((s) => pattern.test(s)).length;

describe('purchase hot path: round trips', () => {
  it('issues all tickets of an order with one INSERT and retries only the barcodes that collide', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, price: 2000 });
    const first = await createFan(t.deps);
    const paid = await checkoutToPayment(t, first, sale, 1);
    const { result: plain, sql: plainSql } = await statementsOf(() =>
      deliver(t, stripe, stripe.succeed(paid.payment.payment_intent_id)),
    );
    expect(plain.json()).toEqual({ received: true, outcome: 'completed' });
    // 11 round trips (17 before): begin; the event's claim with the order lock (match and
    // buyer along) and the payment upsert; the order lines; the match's extra codes if it
    // was exported to the gates (access-control, one indexed statement that takes nothing
    // otherwise); the seats' sale with the tickets, their holders and the seat trail; the
    // order and the queue entry completed; the invoice request in invoicing's outbox (issue
    // 25: one INSERT, e-računi is called by the workers); the email's and the push's rows in
    // the notifications outbox (no pg-boss job); the audit event; the event's outcome; commit.
    expect(plainSql).toHaveLength(12);
    expect(count(plainSql, /barcode_export_logs/)).toBe(1);
    expect(count(plainSql, /insert into "e_racuni_requests"/)).toBe(1);
    const taken = await t.deps.db
      .selectFrom('tickets')
      .select('barcode')
      .where('order_id', '=', paid.order.id)
      .executeTakeFirstOrThrow();

    const fan = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, fan, sale, 3);
    // ticket 1 draws a barcode already sold, tickets 2 and 3 draw the same new one
    const fresh = generateBarcode();
    forcedBarcodes.push(taken.barcode, fresh, fresh);
    const { result: webhook, sql } = await statementsOf(() =>
      deliver(t, stripe, stripe.succeed(payment.payment_intent_id)),
    );
    expect(webhook.json()).toEqual({ received: true, outcome: 'completed' });
    expect(forcedBarcodes).toEqual([]);
    // the sale's statement writes the three tickets (holders and trail with them), one more
    // statement the two that collided
    expect(count(sql, /INSERT INTO tickets/)).toBe(2);
    expect(count(sql, /INSERT INTO ticket_holders/)).toBe(2);
    expect(count(sql, /INSERT INTO seat_audit_logs/)).toBe(2);
    expect(sql).toHaveLength(13); // 12 above and the retried barcodes
    // match, buyer and the payment's upsert come with the event's claim and the order lock
    expect(count(sql, /from "matches"|from "users"/)).toBe(0);
    expect(count(sql, /payments/)).toBe(1);
    expect(count(sql, /INSERT INTO stripe_webhook_events.*FOR UPDATE OF o.*INTO payments/s)).toBe(
      1,
    );

    const tickets = await t.deps.db
      .selectFrom('tickets as tk')
      .innerJoin('order_items as oi', (j) =>
        j
          .onRef('oi.order_id', '=', 'tk.order_id')
          .onRef('oi.match_seat_inventory_id', '=', 'tk.match_seat_inventory_id'),
      )
      .innerJoin('ticket_holders as h', 'h.ticket_id', 'tk.id')
      .select(['tk.id', 'tk.barcode', 'tk.qr_code_data', 'oi.position', 'h.full_name'])
      .where('tk.order_id', '=', order.id)
      .orderBy('oi.position')
      .execute();
    expect(tickets).toHaveLength(3);
    expect(new Set(tickets.map((x) => x.barcode)).size).toBe(3);
    expect(tickets.map((x) => x.barcode)).not.toContain(taken.barcode);
    expect(tickets[1]!.barcode).toBe(fresh);
    expect(tickets.map((x) => x.full_name)).toEqual(
      order.items.map((i: { holder: { full_name: string } }) => i.holder.full_name),
    );
    for (const ticket of tickets) {
      expectSignedTicket(t, ticket, sale.matchId);
    }
    const trail = await t.deps.db
      .selectFrom('seat_audit_logs')
      .select(['ticket_id', 'action'])
      .where('order_id', '=', order.id)
      .where('action', '=', 'SOLD')
      .execute();
    expect(trail.map((r) => r.ticket_id).sort()).toEqual(tickets.map((x) => x.id).sort());
    const completed = (await auditEvents(t.deps.db)).find(
      (e) => e.action === 'order_completed' && (e.subject as { id: string }).id === order.id,
    );
    expect((completed?.changes as { ticket_ids: string[] }).ticket_ids.sort()).toEqual(
      tickets.map((x) => x.id).sort(),
    );
  });

  it('adds to a cart with one read of the claim window and one claim statement', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const { result: add, sql } = await statementsOf(() => addToCart(t, fan, sale, 2));
    expect(add.statusCode).toBe(200);
    // One statement more than when the claim was a single statement: the adjacent runs are
    // ranked in the API process (sales/seat-runs.ts) instead of with window functions inside
    // the claim, so the addition first reads the window of claimable seats (an index read,
    // no lock) and then claims the best runs' seats (SKIP LOCKED). Database time per cart
    // addition fell from 9.8 to 4.4 ms in bench:cart (docs/scaling.md).
    expect(count(sql, /^SELECT s\.id, s\.row_index, s\.col_index, s\.snake_order\s/)).toBe(1);
    expect(count(sql, /FOR UPDATE SKIP LOCKED/)).toBe(1);
    expect(count(sql, /row_number\(\) OVER/)).toBe(0);
    expect(count(sql, /^begin$/i)).toBe(1);
    // the fan's cart is looked up (locked) or opened by one statement
    expect(count(sql, /carts/)).toBe(2); // that one, and the limit count's hold owners
    expect(count(sql, /WITH found AS .*INSERT INTO carts/s)).toBe(1);
  });

  it('names holders again by replacing the lines, and returns them as written', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const add = await addToCart(t, fan, sale, 2);
    const cartId = add.json().cart.id;
    const { result: named, sql } = await statementsOf(() =>
      t.request({
        method: 'POST',
        url: '/checkout/ticket-holders',
        token: fan.token,
        payload: { cart_id: cartId, holders: holdersFor(2) },
      }),
    );
    expect(named.statusCode).toBe(200);
    // a new order has no lines to delete or read back; the buyer's email comes with the cart
    expect(count(sql, /order_items/)).toBe(1);
    expect(count(sql, /from "users"\s+where/)).toBe(0);

    const renamed = await t.request({
      method: 'POST',
      url: '/checkout/ticket-holders',
      token: fan.token,
      payload: {
        cart_id: cartId,
        holders: [{ source: 'DEFAULT_PROFILE' }, manualHolder('Iva Ivić', '2012-02-02')],
      },
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().id).toBe(named.json().id);
    expect(renamed.json().items).toMatchObject([
      { position: 1, holder: { source: 'DEFAULT_PROFILE' } },
      { position: 2, holder: { full_name: 'Iva Ivić', is_minor: true, email: fan.email } },
    ]);
    const stored = await t.request({
      method: 'GET',
      url: `/orders/${named.json().id}`,
      token: fan.token,
    });
    expect(
      stored.json().items.map((i: { holder: { full_name: string } }) => i.holder.full_name),
    ).toEqual(
      renamed.json().items.map((i: { holder: { full_name: string } }) => i.holder.full_name),
    );
    const lines = await t.deps.db
      .selectFrom('order_items')
      .select('position')
      .where('order_id', '=', named.json().id)
      .execute();
    expect(lines).toHaveLength(2);
    const audits = (await auditEvents(t.deps.db)).filter(
      (e) => (e.subject as { id: string }).id === named.json().id,
    );
    expect(audits.map((e) => e.action).sort()).toEqual(['order_created', 'order_holders_updated']);
  });

  it('starts a payment with one order lock and one statement after Stripe; a reused key is refused even for an unknown order', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const add = await addToCart(t, fan, sale, 2);
    const order = (await nameHolders(t, fan, add.json().cart.id, holdersFor(2))).json();
    const key = `pay-${order.id}`;
    const { result: pay, sql } = await statementsOf(() =>
      t.request({
        method: 'POST',
        url: '/checkout/pay',
        token: fan.token,
        headers: { 'idempotency-key': key },
        payload: { order_id: order.id },
      }),
    );
    expect(pay.statusCode).toBe(200);
    // the hold's end as the seats have it (the cart's 20 minutes outlast the 15 of payment)
    const hold = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('held_until')
      .where('hold_owner_id', '=', order.id)
      .execute();
    expect(hold).toHaveLength(2);
    expect(pay.json().hold_expires_at).toBe(hold[0]!.held_until!.toISOString());
    expect(hold[0]!.held_until!.getTime()).toBe(t.clock.now().getTime() + 20 * 60_000);
    expect(
      count(sql, /from "orders" as "o".*for update|FROM orders WHERE id = \$1 FOR UPDATE/s),
    ).toBe(2);
    expect(count(sql, /^begin$/i)).toBe(1);
    // the cart is checked out in one statement (held seats counted, holds moved, cart
    // closed); the other inventory read is the hold's end, inside the payment statement
    expect(count(sql, /from "match_seat_inventory"|FROM match_seat_inventory/)).toBe(2);
    expect(count(sql, /^update "carts"/)).toBe(0);
    const payment = await t.deps.db
      .selectFrom('payments')
      .select(['status', 'stripe_payment_intent_id'])
      .where('order_id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(payment).toEqual({
      status: 'PROCESSING',
      stripe_payment_intent_id: pay.json().payment_intent_id,
    });

    const unknown = '00000000-0000-4000-8000-000000000000';
    const reused = await t.request({
      method: 'POST',
      url: '/checkout/pay',
      token: fan.token,
      headers: { 'idempotency-key': key },
      payload: { order_id: unknown },
    });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    const missing = await t.request({
      method: 'POST',
      url: '/checkout/pay',
      token: fan.token,
      headers: { 'idempotency-key': 'a-fresh-key' },
      payload: { order_id: unknown },
    });
    expect(missing.statusCode).toBe(404);
    // the key's own order retries to the same intent
    const again = await t.request({
      method: 'POST',
      url: '/checkout/pay',
      token: fan.token,
      headers: { 'idempotency-key': key },
      payload: { order_id: order.id },
    });
    expect(again.json().payment_intent_id).toBe(pay.json().payment_intent_id);
  });
});
