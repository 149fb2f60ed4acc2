import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { auditEvents } from '../harness/audit.ts';
import { lockWaiters } from '../harness/locks.ts';
import {
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  MINUTE,
  useStripeTestContext,
  orderStatusOf,
} from '../sales/helpers.ts';

const { t, stripe } = await useStripeTestContext();

/**
 * Delivers `event` twice at the same time: the order row is locked from outside first, so
 * the first delivery has claimed the event and waits on the order while the second one
 * arrives; then the lock is released.
 */
async function deliverTwiceConcurrently(orderId: string, event: ReturnType<typeof stripe.event>) {
  const blocker = new pg.Client({ connectionString: t.databaseUrl });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [orderId]);
    const first = deliver(t, stripe, event);
    await lockWaiters(t.deps.db, 1);
    const second = deliver(t, stripe, event);
    await lockWaiters(t.deps.db, 2);
    await blocker.query('COMMIT');
    return (await Promise.all([first, second])).map((r) => r.json().outcome as string);
  } finally {
    await blocker.end();
  }
}

describe('Stripe webhook: a duplicate delivered while the first is handled', () => {
  it('completes the order once: the duplicate waits on the claim and then changes nothing', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, fan, sale, 2);
    const event = stripe.succeed(payment.payment_intent_id);

    const outcomes = await deliverTwiceConcurrently(order.id, event);
    expect(outcomes.sort()).toEqual(['completed', 'duplicate']);

    const tickets = await t.deps.db
      .selectFrom('tickets')
      .select('id')
      .where('order_id', '=', order.id)
      .execute();
    expect(tickets).toHaveLength(2);
    const trail = await t.deps.db
      .selectFrom('seat_audit_logs')
      .select('ticket_id')
      .where('order_id', '=', order.id)
      .where('action', '=', 'SOLD')
      .execute();
    expect(trail).toHaveLength(2);
    const stored = await t.deps.db
      .selectFrom('stripe_webhook_events')
      .select('outcome')
      .where('id', '=', event.id)
      .execute();
    expect(stored).toEqual([{ outcome: 'completed' }]);
    const completed = (await auditEvents(t.deps.db)).filter(
      (e) => e.action === 'order_completed' && (e.subject as { id: string }).id === order.id,
    );
    expect(completed).toHaveLength(1);
    const emails = await t.deps.db
      .selectFrom('email_logs')
      .select('id')
      .where('template_key', '=', 'order_confirmation')
      .where('recipient_email', '=', fan.email)
      .execute();
    expect(emails).toHaveLength(1);
  });

  it('records a failed payment once', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, fan, sale, 1);
    const event = stripe.fail(payment.payment_intent_id);

    const outcomes = await deliverTwiceConcurrently(order.id, event);
    expect(outcomes.sort()).toEqual(['duplicate', 'payment_failed']);
    const failed = (await auditEvents(t.deps.db)).filter(
      (e) => e.action === 'payment_failed' && (e.subject as { id: string }).id === order.id,
    );
    expect(failed).toHaveLength(1);
    expect(await orderStatusOf(t, order.id)).toBe('PAYMENT_FAILED');
  });
});

describe('Stripe webhook: a success after one of the seats was taken', () => {
  it('sells none of the seats and issues no ticket (the sale and the tickets are one statement)', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 2 });
    const late = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, late, sale, 2);
    t.clock.advance(21 * MINUTE);
    const next = await createFan(t.deps);
    const taken = await checkoutToPayment(t, next, sale, 1);
    const seats: string[] = order.items.map((i: { inventory_id: string }) => i.inventory_id);
    const free = seats.filter((id) => id !== taken.cart.seats[0].inventory_id);
    expect(free).toHaveLength(1);

    const outcome = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
    expect(outcome.json().outcome).toBe('refund_requested');
    const tickets = await t.deps.db
      .selectFrom('tickets')
      .select('id')
      .where('order_id', '=', order.id)
      .execute();
    expect(tickets).toEqual([]);
    const sold = await t.deps.db
      .selectFrom('seat_audit_logs')
      .select('id')
      .where('order_id', '=', order.id)
      .where('action', '=', 'SOLD')
      .execute();
    expect(sold).toEqual([]);
    const untaken = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('status')
      .where('id', '=', free[0]!)
      .executeTakeFirstOrThrow();
    expect(untaken.status).not.toBe('SOLD');
  });
});

describe('Stripe webhook: the payment a success records with its claim', () => {
  it('marks the payment SUCCEEDED with intent, charge and time, clearing an earlier failure', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, fan, sale, 1);
    const failed = await deliver(t, stripe, stripe.fail(payment.payment_intent_id));
    expect(failed.json().outcome).toBe('payment_failed');
    t.clock.advance(MINUTE);
    const event = stripe.succeed(payment.payment_intent_id);
    expect((await deliver(t, stripe, event)).json().outcome).toBe('completed');

    const charge = (event.data.object as { latest_charge: string | null }).latest_charge;
    expect(charge).toMatch(/^ch_/);
    const stored = await t.deps.db
      .selectFrom('payments')
      .select([
        'status',
        'amount',
        'stripe_payment_intent_id',
        'stripe_charge_id',
        'completed_at',
        'failed_at',
        'failure_reason',
      ])
      .where('order_id', '=', order.id)
      .execute();
    expect(stored).toEqual([
      {
        status: 'SUCCEEDED',
        amount: order.total_amount,
        stripe_payment_intent_id: payment.payment_intent_id,
        stripe_charge_id: charge,
        completed_at: t.clock.now(),
        failed_at: null,
        failure_reason: null,
      },
    ]);
  });
});
