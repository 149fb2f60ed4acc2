import { sql } from 'kysely';
import { expect } from 'vitest';
import { runRefundJob } from '../../src/modules/sales/refunds.service.ts';
import { STRIPE_REFUND_QUEUE } from '../../src/modules/sales/ticket-returns.ts';
import type { StripeTestServer } from '../../src/platform/adapters/stripe/local-server.ts';
import type { TestContext } from '../harness/context.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import type { Role } from '../../src/platform/auth/roles.ts';
import {
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  jobsIn,
  type Fan,
  type SaleFixture,
} from './helpers.ts';

/** Refund and cancellation fixtures: a paid order, staff, the Stripe refund steps. */

export const HOUR = 3_600_000;

export interface PaidOrder {
  sale: SaleFixture;
  fan: Fan;
  orderId: string;
  paymentIntentId: string;
  ticketIds: string[];
  totalAmount: number;
}

/** A fan's completed order of `quantity` tickets (2500 + 150 fee each) of a new match. */
export async function paidOrder(
  t: TestContext,
  stripe: StripeTestServer,
  quantity: number,
  options: { kickOff?: Date } = {},
): Promise<PaidOrder> {
  const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 8, ...options });
  return { sale, ...(await buyOnSale(t, stripe, sale, quantity)) };
}

/** A new fan's completed order of `quantity` tickets of `sale`, paid at the local Stripe. */
export async function buyOnSale(
  t: TestContext,
  stripe: StripeTestServer,
  sale: SaleFixture,
  quantity: number,
): Promise<Omit<PaidOrder, 'sale'>> {
  const fan = await createFan(t.deps);
  const { order, payment } = await checkoutToPayment(t, fan, sale, quantity);
  const paid = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
  expect(paid.json().outcome).toBe('completed');
  const tickets = await t.deps.db
    .selectFrom('tickets')
    .select('id')
    .where('order_id', '=', order.id)
    .orderBy('id')
    .execute();
  return {
    fan,
    orderId: order.id,
    paymentIntentId: payment.payment_intent_id,
    ticketIds: tickets.map((r) => r.id),
    totalAmount: order.total_amount,
  };
}

export const staff = (t: TestContext, roles: Role[] = ['SUPER_ADMIN']): Promise<TestUser> =>
  createUser(t.deps, { roles });

export function adminRefund(
  t: TestContext,
  admin: TestUser,
  orderId: string,
  payload: Record<string, unknown> = { reason: 'support case 1' },
) {
  return t.request({
    method: 'POST',
    url: `/admin/orders/${orderId}/refund`,
    token: admin.token,
    payload,
  });
}

export function cancelTickets(t: TestContext, fan: TestUser, orderId: string, ticketIds: unknown) {
  return t.request({
    method: 'POST',
    url: `/orders/${orderId}/cancel-tickets`,
    token: fan.token,
    payload: { ticket_ids: ticketIds },
  });
}

/** Runs every Stripe refund job queued so far, as workers would (idempotent). */
export async function runRefundJobs(t: TestContext) {
  for (const data of await jobsIn(t, STRIPE_REFUND_QUEUE)) {
    await runRefundJob(t.deps, data as { refund_id: string });
  }
}

/**
 * Settles every pending Stripe refund and delivers its events as Stripe may: each twice,
 * in reverse order. Returns the webhook outcomes.
 */
export async function settleRefunds(
  t: TestContext,
  stripe: StripeTestServer,
  outcome: 'succeeded' | 'failed' = 'succeeded',
) {
  const events = stripe.refunds
    .filter((r) => r.status === 'pending')
    .flatMap((r) => stripe.settleRefund(r.id, outcome));
  const outcomes: string[] = [];
  for (const event of [...events].reverse().flatMap((e) => [e, e])) {
    const res = await deliver(t, stripe, event);
    expect(res.statusCode).toBe(200);
    outcomes.push(res.json().outcome);
  }
  return outcomes;
}

export const refundsOf = (t: TestContext, orderId: string) =>
  t.deps.db.selectFrom('refunds').selectAll().where('order_id', '=', orderId).execute();

export const ticketStatuses = async (t: TestContext, ids: string[]) =>
  (
    await t.deps.db
      .selectFrom('tickets')
      .select(['id', 'status'])
      .where('id', 'in', ids)
      .orderBy('id')
      .execute()
  ).map((r) => r.status);

export async function seatStatusesOf(t: TestContext, ticketIds: string[]) {
  const rows = await t.deps.db
    .selectFrom('tickets as tk')
    .innerJoin('match_seat_inventory as i', 'i.id', 'tk.match_seat_inventory_id')
    .select('i.status')
    .where('tk.id', 'in', ticketIds)
    .execute();
  return rows.map((r) => r.status);
}

export async function auditActions(t: TestContext, subjectIds: string[]) {
  const { rows } = await sql<{ action: string }>`
    SELECT event->>'action' AS action FROM audit_outbox
     WHERE event->'subject'->>'id' = ANY (${subjectIds}::text[])
     ORDER BY id`.execute(t.deps.db);
  return rows.map((r) => r.action);
}

/** Counts of the rows a refused request must not have written. */
export async function refundRowCounts(t: TestContext) {
  const { rows } = await sql<{ refunds: number; requests: number; notes: number }>`
    SELECT (SELECT count(*) FROM refunds)::int AS refunds,
           (SELECT count(*) FROM cancellation_requests)::int AS requests,
           (SELECT count(*) FROM credit_note_requests)::int AS notes`.execute(t.deps.db);
  return rows[0]!;
}

export { createFan };
