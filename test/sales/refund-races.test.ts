import { describe, expect, it } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { emailTemplatesSeed } from '../../src/modules/notifications/email-templates.ts';
import { createFan, useStripeTestContext } from './helpers.ts';
import {
  adminRefund,
  cancelTickets,
  paidOrder,
  refundsOf,
  runRefundJobs,
  settleRefunds,
  staff,
  ticketStatuses,
} from './refund-helpers.ts';

/**
 * Concurrency of refunds and cancellations (issue 19, "Integrity and load"): many at once
 * on one order, then the invariants: one outcome, money back at most once.
 */
const { t, stripe } = await useStripeTestContext({ seeds: [emailTemplatesSeed] });

const codes = (responses: Array<{ statusCode: number; json(): { code?: string } }>) =>
  responses
    .map((r) => (r.statusCode < 300 ? r.statusCode : `${r.statusCode} ${r.json().code}`))
    .sort();

/** After every job has run twice and every event arrived twice: money back at most once. */
async function expectMoneyBackOnce(paid: {
  orderId: string;
  paymentIntentId: string;
  totalAmount: number;
  sale: { matchId: string };
}) {
  await runRefundJobs(t);
  await runRefundJobs(t);
  await settleRefunds(t, stripe);
  const atStripe = stripe.refunds.filter((r) => r.payment_intent === paid.paymentIntentId);
  const refunds = await refundsOf(t, paid.orderId);
  // one Stripe refund per refund row, and no more than was paid
  expect(atStripe).toHaveLength(refunds.length);
  expect(atStripe.reduce((a, r) => a + r.amount, 0)).toBeLessThanOrEqual(paid.totalAmount);
  expect(new Set(refunds.map((r) => r.stripe_refund_id)).size).toBe(refunds.length);
  const report = await auditMatchInvariants(t.deps, paid.sale.matchId);
  expect(report.invariants.filter((i) => i.violations > 0)).toEqual([]);
  return refunds;
}

describe('refund races', () => {
  it('two (and more) admins refunding the same order at once: one refund', async () => {
    const paid = await paidOrder(t, stripe, 2);
    const admins = await Promise.all([
      staff(t),
      staff(t, ['SUPPORT_AGENT']),
      staff(t, ['FINANCE']),
      staff(t),
    ]);
    const responses = await Promise.all(admins.map((a) => adminRefund(t, a, paid.orderId)));
    expect(codes(responses)).toEqual([
      201,
      '409 TICKET_NOT_REFUNDABLE',
      '409 TICKET_NOT_REFUNDABLE',
      '409 TICKET_NOT_REFUNDABLE',
    ]);
    const refunds = await expectMoneyBackOnce(paid);
    expect(refunds).toMatchObject([{ status: 'COMPLETED', refund_amount: 5000 }]);
  });

  it('a fan cancelling while an admin refunds: one outcome', async () => {
    for (let round = 0; round < 3; round++) {
      const paid = await paidOrder(t, stripe, 1);
      const admin = await staff(t);
      const [cancel, refund] = await Promise.all([
        cancelTickets(t, paid.fan, paid.orderId, paid.ticketIds),
        adminRefund(t, admin, paid.orderId),
      ]);
      const outcome = codes([cancel, refund]);
      expect([
        [201, '409 TICKET_NOT_REFUNDABLE'],
        [201, '409 TICKET_NOT_CANCELLABLE'],
      ]).toContainEqual(outcome);
      const [status] = await ticketStatuses(t, paid.ticketIds);
      expect(status).toBe(cancel.statusCode === 201 ? 'CANCELLED' : 'REFUNDED');
      expect(await expectMoneyBackOnce(paid)).toHaveLength(1);
    }
  });

  it('cancel-tickets sent several times at once: one request', async () => {
    const paid = await paidOrder(t, stripe, 2);
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => cancelTickets(t, paid.fan, paid.orderId, paid.ticketIds)),
    );
    expect(codes(responses)).toEqual([201, ...Array(4).fill('409 TICKET_NOT_CANCELLABLE')]);
    const requests = await t.deps.db
      .selectFrom('cancellation_requests')
      .select('id')
      .where('order_id', '=', paid.orderId)
      .execute();
    expect(requests).toHaveLength(1);
    const notes = await t.deps.db
      .selectFrom('credit_note_requests')
      .select('id')
      .where('order_id', '=', paid.orderId)
      .execute();
    expect(notes).toHaveLength(1);
    expect(await expectMoneyBackOnce(paid)).toMatchObject([{ refund_amount: 5300 }]);
  });

  it('a transfer racing a cancellation: one outcome', async () => {
    for (let round = 0; round < 4; round++) {
      const paid = await paidOrder(t, stripe, 1);
      const friend = await createFan(t.deps);
      const [ticketId] = paid.ticketIds as [string];
      const [transfer, cancel] = await Promise.all([
        t.request({
          method: 'POST',
          url: `/tickets/${ticketId}/transfer`,
          token: paid.fan.token,
          payload: {
            full_name: 'Petra Perić',
            oib: friend.oib,
            email: friend.email,
            date_of_birth: '1992-02-02',
            nationality: 'HR',
          },
        }),
        cancelTickets(t, paid.fan, paid.orderId, [ticketId]),
      ]);
      const ticket = await t.deps.db
        .selectFrom('tickets')
        .select(['status', 'owner_user_id'])
        .where('id', '=', ticketId)
        .executeTakeFirstOrThrow();
      const logs = await t.deps.db
        .selectFrom('transfer_logs')
        .select('id')
        .where('ticket_id', '=', ticketId)
        .execute();
      if (transfer.statusCode === 200) {
        expect(cancel.json().code).toBe('TICKET_NOT_CANCELLABLE');
        expect(ticket).toEqual({ status: 'SOLD', owner_user_id: friend.id });
        expect(logs).toHaveLength(1);
        expect(await refundsOf(t, paid.orderId)).toEqual([]);
      } else {
        expect(cancel.statusCode).toBe(201);
        expect(transfer.json().code).toBe('TICKET_NOT_TRANSFERABLE');
        expect(ticket).toEqual({ status: 'CANCELLED', owner_user_id: paid.fan.id });
        expect(logs).toEqual([]);
      }
      await expectMoneyBackOnce(paid);
    }
  });

  it('jobs re-run and events redelivered never give money back twice', async () => {
    const paid = await paidOrder(t, stripe, 3);
    const admin = await staff(t);
    const [one, two] = await Promise.all([
      adminRefund(t, admin, paid.orderId, { ticket_ids: [paid.ticketIds[0]], reason: 'first' }),
      cancelTickets(t, paid.fan, paid.orderId, [paid.ticketIds[1]]),
    ]);
    expect([one.statusCode, two.statusCode]).toEqual([201, 201]);
    // three workers pick the jobs up at once
    await Promise.all([runRefundJobs(t), runRefundJobs(t), runRefundJobs(t)]);
    const refunds = await expectMoneyBackOnce(paid);
    expect(refunds.map((r) => r.status)).toEqual(['COMPLETED', 'COMPLETED']);
    expect(refunds.map((r) => r.refund_amount).sort()).toEqual([2500, 2650]);
    const order = await t.deps.db
      .selectFrom('orders')
      .select(['refund_status', 'refunded_amount'])
      .where('id', '=', paid.orderId)
      .executeTakeFirstOrThrow();
    expect(order).toEqual({ refund_status: 'PARTIAL', refunded_amount: 5150 });
  });
});
