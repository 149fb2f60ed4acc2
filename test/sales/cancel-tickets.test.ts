import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { emailTemplatesSeed } from '../../src/modules/notifications/email-templates.ts';
import { STRIPE_REFUND_QUEUE } from '../../src/modules/sales/ticket-returns.ts';
import { addToCart, createFan, jobsIn, useStripeTestContext, type Fan } from './helpers.ts';
import {
  adminRefund,
  auditActions,
  cancelTickets,
  HOUR,
  paidOrder,
  refundRowCounts,
  refundsOf,
  runRefundJobs,
  seatStatusesOf,
  settleRefunds,
  staff,
  ticketStatuses,
} from './refund-helpers.ts';

const { t, stripe } = await useStripeTestContext({ seeds: [emailTemplatesSeed] });

const requestsOf = (orderId: string) =>
  t.deps.db
    .selectFrom('cancellation_requests')
    .selectAll()
    .where('order_id', '=', orderId)
    .execute();

async function orderRefund(orderId: string) {
  return t.deps.db
    .selectFrom('orders')
    .select(['refund_status', 'refunded_amount'])
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
}

const transferTo = (from: Fan, to: Fan, ticketId: string) =>
  t.request({
    method: 'POST',
    url: `/tickets/${ticketId}/transfer`,
    token: from.token,
    payload: {
      full_name: 'Petra Perić',
      oib: to.oib,
      email: to.email,
      date_of_birth: '1992-02-02',
      nationality: 'HR',
    },
  });

describe('self-service cancellation (E9-F8)', () => {
  it('cancels tickets: price and fee back, request recorded, seats free, buyer and holder told, PARTIAL then FULL', async () => {
    const paid = await paidOrder(t, stripe, 2);
    const [first, second] = paid.ticketIds as [string, string];
    // the holder of the second ticket (a manual entry) gets the holder notice
    const holderOf = async (id: string) =>
      (
        await t.deps.db
          .selectFrom('ticket_holders')
          .select('email')
          .where('ticket_id', '=', id)
          .executeTakeFirstOrThrow()
      ).email;
    const target = (await holderOf(first)) === 'ana@example.test' ? first : second;
    const res = await cancelTickets(t, paid.fan, paid.orderId, [target]);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    // Calculation correct: ticket price + service fee
    expect(body).toMatchObject({
      order_id: paid.orderId,
      ticket_ids: [target],
      refund_amount: 2650,
      status: 'PROCESSING',
    });
    // cancellation_requests per the spec
    expect(await requestsOf(paid.orderId)).toEqual([
      expect.objectContaining({
        id: body.cancellation_request_id,
        ticket_ids: [target],
        reason: null,
        refund_amount: 2650,
        initiated_by: paid.fan.id,
        status: 'PROCESSING',
        completed_at: null,
        refund_id: body.refund_id,
      }),
    ]);
    expect((await refundsOf(t, paid.orderId))[0]).toMatchObject({
      source: 'SELF_SERVICE',
      refund_amount: 2650,
      fee_retained: 0,
      ticket_id: target,
    });
    // Status changes; seats available again
    expect(await ticketStatuses(t, [target])).toEqual(['CANCELLED']);
    expect(await seatStatusesOf(t, [target])).toEqual(['AVAILABLE']);
    // the freed seat sells again: 6 never sold + 1 returned, taken by two fans (4 + 3)
    expect((await addToCart(t, await createFan(t.deps), paid.sale, 4)).statusCode).toBe(200);
    expect((await addToCart(t, await createFan(t.deps), paid.sale, 3)).statusCode).toBe(200);

    // Email received by the buyer; all parties notified
    const emails = await t.deps.db
      .selectFrom('email_logs')
      .select(['template_key', 'recipient_email'])
      .where('recipient_email', 'in', [paid.fan.email, 'ana@example.test'])
      .where('template_key', 'in', ['cancellation_refund_confirmation', 'ticket_cancelled_holder'])
      .execute();
    expect(emails).toEqual(
      expect.arrayContaining([
        { template_key: 'cancellation_refund_confirmation', recipient_email: paid.fan.email },
        { template_key: 'ticket_cancelled_holder', recipient_email: 'ana@example.test' },
      ]),
    );
    const pushes = await t.deps.db
      .selectFrom('push_logs')
      .select('notification_type')
      .where('user_id', '=', paid.fan.id)
      .where('notification_type', '=', 'tickets_cancelled')
      .execute();
    expect(pushes).toHaveLength(1);

    // Refund initiated through E8-F3's job; the request follows it to COMPLETED
    expect(await jobsIn(t, STRIPE_REFUND_QUEUE)).toContainEqual({ refund_id: body.refund_id });
    await runRefundJobs(t);
    expect(stripe.refunds.filter((r) => r.payment_intent === paid.paymentIntentId)).toMatchObject([
      { amount: 2650 },
    ]);
    await settleRefunds(t, stripe);
    expect((await requestsOf(paid.orderId))[0]).toMatchObject({
      status: 'COMPLETED',
      completed_at: t.clock.now(),
    });
    expect(await orderRefund(paid.orderId)).toEqual({
      refund_status: 'PARTIAL',
      refunded_amount: 2650,
    });
    expect(await auditActions(t, [paid.orderId, body.refund_id])).toEqual(
      expect.arrayContaining(['cancellation_requested', 'tickets_cancelled', 'refund_completed']),
    );

    const rest = paid.ticketIds.filter((id) => id !== target);
    expect((await cancelTickets(t, paid.fan, paid.orderId, rest)).statusCode).toBe(201);
    await runRefundJobs(t);
    await settleRefunds(t, stripe);
    expect(await orderRefund(paid.orderId)).toEqual({
      refund_status: 'FULL',
      refunded_amount: 5300,
    });
    const report = await auditMatchInvariants(t.deps, paid.sale.matchId);
    expect(report.invariants.filter((i) => i.violations > 0)).toEqual([]);
  });

  it('is refused from 48 h before kick-off, with the deadline in the problem', async () => {
    const kickOff = new Date(t.clock.now().getTime() + 47 * HOUR);
    const paid = await paidOrder(t, stripe, 1, { kickOff });
    const before = await refundRowCounts(t);
    const res = await cancelTickets(t, paid.fan, paid.orderId, paid.ticketIds);
    expect(res.statusCode).toBe(409);
    const deadline = new Date(kickOff.getTime() - 48 * HOUR).toISOString();
    expect(res.json()).toMatchObject({ code: 'CANCELLATION_CLOSED', deadline });
    expect(res.json().detail).toContain(deadline);
    expect(await refundRowCounts(t)).toEqual(before);
    expect(await ticketStatuses(t, paid.ticketIds)).toEqual(['SOLD']);
  });

  it('is the buyer’s only: a holder gets 403, anyone else 404', async () => {
    const paid = await paidOrder(t, stripe, 2);
    const friend = await createFan(t.deps);
    expect((await transferTo(paid.fan, friend, paid.ticketIds[0]!)).statusCode).toBe(200);
    const before = await refundRowCounts(t);
    const holder = await cancelTickets(t, friend, paid.orderId, [paid.ticketIds[0]]);
    expect(holder.statusCode).toBe(403);
    expect(holder.json().code).toBe('ORDER_BUYER_ONLY');
    const stranger = await cancelTickets(t, await createFan(t.deps), paid.orderId, [
      paid.ticketIds[1],
    ]);
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json().code).toBe('NOT_FOUND');
    const anonymous = await t.request({
      method: 'POST',
      url: `/orders/${paid.orderId}/cancel-tickets`,
      payload: { ticket_ids: [paid.ticketIds[1]] },
    });
    expect(anonymous.statusCode).toBe(401);
    expect(await refundRowCounts(t)).toEqual(before);
  });

  it('refuses tickets transferred, cancelled, used or refunded, writing nothing', async () => {
    const paid = await paidOrder(t, stripe, 4);
    const [transferred, cancelled, used, refunded] = paid.ticketIds as [
      string,
      string,
      string,
      string,
    ];
    const friend = await createFan(t.deps);
    expect((await transferTo(paid.fan, friend, transferred)).statusCode).toBe(200);
    expect((await cancelTickets(t, paid.fan, paid.orderId, [cancelled])).statusCode).toBe(201);
    await sql`UPDATE tickets SET status = 'ATTENDED', attended_at = now() WHERE id = ${used}`.execute(
      t.deps.db,
    );
    expect(
      (
        await adminRefund(t, await staff(t), paid.orderId, {
          ticket_ids: [refunded],
          reason: 'support',
        })
      ).statusCode,
    ).toBe(201);

    const before = await refundRowCounts(t);
    for (const [id, why] of [
      [transferred, 'transferred'],
      [cancelled, 'cancelled'],
      [used, 'used'],
      [refunded, 'refunded'],
    ] as const) {
      const res = await cancelTickets(t, paid.fan, paid.orderId, [id]);
      expect(res.statusCode, why).toBe(409);
      expect(res.json()).toMatchObject({
        code: 'TICKET_NOT_CANCELLABLE',
        tickets: [{ id, reason: why }],
      });
    }
    expect(await refundRowCounts(t)).toEqual(before);
    expect(await ticketStatuses(t, [transferred, used])).toEqual(
      [transferred, used].sort().map((id) => (id === used ? 'ATTENDED' : 'SOLD')),
    );
  });

  it('answers bad input with stable codes and writes nothing', async () => {
    const paid = await paidOrder(t, stripe, 2);
    const other = await paidOrder(t, stripe, 1);
    const before = await refundRowCounts(t);
    const cases: Array<[string, unknown, number, string]> = [
      ['00000000-0000-4000-8000-000000000000', [paid.ticketIds[0]], 404, 'NOT_FOUND'],
      [paid.orderId, [], 400, 'VALIDATION_FAILED'],
      [paid.orderId, [paid.ticketIds[0], paid.ticketIds[0]], 400, 'VALIDATION_FAILED'],
      [paid.orderId, [other.ticketIds[0]], 422, 'TICKET_NOT_IN_ORDER'],
      [paid.orderId, ['not-a-uuid'], 400, 'VALIDATION_FAILED'],
      [other.orderId, [other.ticketIds[0]], 404, 'NOT_FOUND'],
    ];
    for (const [orderId, ids, status, code] of cases) {
      const res = await cancelTickets(t, paid.fan, orderId, ids);
      expect([res.statusCode, res.json().code], JSON.stringify(ids)).toEqual([status, code]);
    }
    expect(await refundRowCounts(t)).toEqual(before);
    expect(await ticketStatuses(t, paid.ticketIds)).toEqual(['SOLD', 'SOLD']);
  });
});
