import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { emailTemplatesSeed } from '../../src/modules/notifications/email-templates.ts';
import { reconcileRefunds } from '../../src/modules/sales/refunds.service.ts';
import { STRIPE_REFUND_QUEUE } from '../../src/modules/sales/ticket-returns.ts';
import {
  checkoutToPayment,
  createFan,
  createSale,
  jobsIn,
  useStripeTestContext,
} from './helpers.ts';
import {
  adminRefund,
  auditActions,
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

// Tickets are 2500 + 150 fee: two (5000) refund at once, three (7500) wait for approval.
const { t, stripe } = await useStripeTestContext({
  env: { REFUND_APPROVAL_THRESHOLD: '6000' },
  seeds: [emailTemplatesSeed],
});

async function orderRow(orderId: string) {
  return t.deps.db
    .selectFrom('orders')
    .select(['status', 'refund_status', 'refunded_amount', 'total_amount'])
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
}

async function expectInvariants(matchId: string) {
  const report = await auditMatchInvariants(t.deps, matchId);
  expect(report.invariants.filter((i) => i.violations > 0)).toEqual([]);
}

describe('staff refund (E8-F3)', () => {
  it('refunds the ticket amount, keeps the fee, returns tickets and seats, notifies, audits, goes to Stripe once', async () => {
    const paid = await paidOrder(t, stripe, 2);
    const admin = await staff(t, ['SUPPORT_AGENT']);
    const res = await adminRefund(t, admin, paid.orderId, { reason: 'fan moved abroad' });
    expect(res.statusCode).toBe(201);
    const refund = res.json();
    // Refund amount excludes fee
    expect(refund).toMatchObject({
      order_id: paid.orderId,
      ticket_ids: paid.ticketIds,
      refund_amount: 5000,
      fee_retained: 300,
      source: 'SUPPORT',
      status: 'PROCESSING',
      requested_by: admin.id,
      stripe_refund_id: null,
    });
    // Status changed; seats available again with their trail
    expect(await ticketStatuses(t, paid.ticketIds)).toEqual(['REFUNDED', 'REFUNDED']);
    expect(await seatStatusesOf(t, paid.ticketIds)).toEqual(['AVAILABLE', 'AVAILABLE']);
    const trail = await t.deps.db
      .selectFrom('seat_audit_logs')
      .select(['action', 'from_status', 'to_status', 'ticket_id'])
      .where('order_id', '=', paid.orderId)
      .where('action', '=', 'TICKET_RETURNED')
      .execute();
    expect(trail).toHaveLength(2);
    expect(trail[0]).toMatchObject({ from_status: 'SOLD', to_status: 'AVAILABLE' });

    // the credit note for invoicing, in the same transaction, once
    const notes = await t.deps.db
      .selectFrom('credit_note_requests')
      .selectAll()
      .where('order_id', '=', paid.orderId)
      .execute();
    expect(notes).toEqual([
      expect.objectContaining({
        refund_id: refund.id,
        ticket_amount: 5000,
        fee_amount: 0,
        total_amount: 5000,
        currency: 'EUR',
        reason: 'fan moved abroad',
        processed_at: null,
      }),
    ]);
    expect(notes[0]!.ticket_ids.sort()).toEqual(paid.ticketIds);

    // buyer by email and push, the other holder by email
    const emails = await t.deps.db
      .selectFrom('email_logs')
      .select(['template_key', 'recipient_email'])
      .where('template_key', 'in', ['cancellation_refund_confirmation', 'ticket_cancelled_holder'])
      .where('recipient_email', 'in', [paid.fan.email, 'ana@example.test'])
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
      .where('notification_type', '=', 'order_refunded')
      .execute();
    expect(pushes).toHaveLength(1);

    // Stripe refund created: the job, twice (a re-run after a crash), refunds once
    expect(await jobsIn(t, STRIPE_REFUND_QUEUE)).toContainEqual({ refund_id: refund.id });
    await runRefundJobs(t);
    await runRefundJobs(t);
    const atStripe = stripe.refunds.filter((r) => r.payment_intent === paid.paymentIntentId);
    expect(atStripe).toHaveLength(1);
    expect(atStripe[0]).toMatchObject({
      amount: 5000,
      status: 'pending',
      metadata: { refund_id: refund.id, order_id: paid.orderId, attempt: '1' },
    });
    const keys = stripe.requests
      .filter((r) => r.path === '/v1/refunds' && r.idempotencyKey?.includes(refund.id))
      .map((r) => r.idempotencyKey);
    expect(new Set(keys)).toEqual(new Set([`hns-refund-${refund.id}-1`]));
    const [processing] = await refundsOf(t, paid.orderId);
    expect(processing).toMatchObject({ status: 'PROCESSING', stripe_refund_id: atStripe[0]!.id });
    expect(await orderRow(paid.orderId)).toMatchObject({
      refund_status: 'NONE',
      refunded_amount: 0,
    });

    // Stripe's events, duplicated and out of order: COMPLETED once
    const outcomes = await settleRefunds(t, stripe);
    expect(outcomes.filter((o) => o === 'refund_completed')).toHaveLength(1);
    expect(
      outcomes.filter(
        (o) => !['refund_completed', 'duplicate', 'refund_already_settled'].includes(o),
      ),
    ).toEqual([]);
    const [done] = await refundsOf(t, paid.orderId);
    expect(done).toMatchObject({ status: 'COMPLETED', stripe_refund_id: atStripe[0]!.id });
    expect(done!.completed_at).toEqual(t.clock.now());
    expect(await orderRow(paid.orderId)).toMatchObject({
      status: 'COMPLETED',
      refund_status: 'FULL',
      refunded_amount: 5000,
    });
    expect(await auditActions(t, [refund.id, paid.orderId])).toEqual(
      expect.arrayContaining([
        'refund_requested',
        'tickets_refunded',
        'refund_sent_to_stripe',
        'refund_completed',
      ]),
    );
    expect(
      (await auditActions(t, [refund.id])).filter((a) => a === 'refund_completed'),
    ).toHaveLength(1);
    expect(
      await t.deps.db
        .selectFrom('credit_note_requests')
        .select('id')
        .where('order_id', '=', paid.orderId)
        .execute(),
    ).toHaveLength(1);
    await expectInvariants(paid.sale.matchId);
  });

  it('refunds chosen tickets only: the order is PARTIAL, the rest stay valid and can be refunded later', async () => {
    const paid = await paidOrder(t, stripe, 2);
    const admin = await staff(t, ['FINANCE']);
    const first = await adminRefund(t, admin, paid.orderId, {
      ticket_ids: [paid.ticketIds[0]],
      reason: 'seat obstructed',
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ refund_amount: 2500, fee_retained: 150 });
    expect(await ticketStatuses(t, paid.ticketIds)).toEqual(['REFUNDED', 'SOLD']);
    await runRefundJobs(t);
    await settleRefunds(t, stripe);
    expect(await orderRow(paid.orderId)).toMatchObject({
      refund_status: 'PARTIAL',
      refunded_amount: 2500,
    });

    const again = await adminRefund(t, admin, paid.orderId, {
      ticket_ids: [paid.ticketIds[0]],
      reason: 'twice',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('TICKET_NOT_REFUNDABLE');

    const rest = await adminRefund(t, admin, paid.orderId, { reason: 'the rest' });
    expect(rest.json()).toMatchObject({ ticket_ids: [paid.ticketIds[1]], refund_amount: 2500 });
    await runRefundJobs(t);
    await settleRefunds(t, stripe);
    expect(await orderRow(paid.orderId)).toMatchObject({
      refund_status: 'FULL',
      refunded_amount: 5000,
    });
    await expectInvariants(paid.sale.matchId);
  });

  it('blocks the seats of a match within 48 h instead of selling them again', async () => {
    const paid = await paidOrder(t, stripe, 1, {
      kickOff: new Date(t.clock.now().getTime() + 30 * HOUR),
    });
    const res = await adminRefund(t, await staff(t), paid.orderId);
    expect(res.statusCode).toBe(201);
    expect(await seatStatusesOf(t, paid.ticketIds)).toEqual(['BLOCKED']);
    await expectInvariants(paid.sale.matchId);
  });
});

describe('refund approval above REFUND_APPROVAL_THRESHOLD', () => {
  it('waits for a SUPER_ADMIN other than the requester, then goes ahead', async () => {
    const paid = await paidOrder(t, stripe, 3);
    const requester = await staff(t);
    const res = await adminRefund(t, requester, paid.orderId, { reason: 'match moved' });
    expect(res.statusCode).toBe(201);
    const refund = res.json();
    expect(refund).toMatchObject({ status: 'PENDING_APPROVAL', refund_amount: 7500 });
    // nothing happened to the tickets, nothing went to Stripe
    expect(await ticketStatuses(t, paid.ticketIds)).toEqual(['SOLD', 'SOLD', 'SOLD']);
    expect(await jobsIn(t, STRIPE_REFUND_QUEUE)).not.toContainEqual({ refund_id: refund.id });

    const own = await t.request({
      method: 'POST',
      url: `/admin/refunds/${refund.id}/approve`,
      token: requester.token,
    });
    expect(own.statusCode).toBe(403);
    expect(own.json().code).toBe('REFUND_SELF_APPROVAL');
    const agent = await staff(t, ['SUPPORT_SUPERVISOR', 'FINANCE']);
    const notSuper = await t.request({
      method: 'POST',
      url: `/admin/refunds/${refund.id}/approve`,
      token: agent.token,
    });
    expect(notSuper.statusCode).toBe(403);

    // a fan cannot cancel tickets of a refund waiting for approval
    const cancel = await t.request({
      method: 'POST',
      url: `/orders/${paid.orderId}/cancel-tickets`,
      token: paid.fan.token,
      payload: { ticket_ids: [paid.ticketIds[0]] },
    });
    expect(cancel.json().code).toBe('TICKET_NOT_CANCELLABLE');

    const approver = await staff(t);
    const ok = await t.request({
      method: 'POST',
      url: `/admin/refunds/${refund.id}/approve`,
      token: approver.token,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'PROCESSING', approved_by: approver.id });
    expect(await ticketStatuses(t, paid.ticketIds)).toEqual(['REFUNDED', 'REFUNDED', 'REFUNDED']);
    const twice = await t.request({
      method: 'POST',
      url: `/admin/refunds/${refund.id}/approve`,
      token: approver.token,
    });
    expect(twice.json().code).toBe('REFUND_STATE_CONFLICT');
    await runRefundJobs(t);
    await settleRefunds(t, stripe);
    expect((await refundsOf(t, paid.orderId))[0]).toMatchObject({
      status: 'COMPLETED',
      approved_by: approver.id,
    });
    expect(await auditActions(t, [refund.id])).toEqual(
      expect.arrayContaining(['refund_requested', 'refund_approved', 'refund_completed']),
    );
  });

  it('a rejection keeps the tickets valid and refundable, writing no credit note', async () => {
    const paid = await paidOrder(t, stripe, 3);
    const refund = (await adminRefund(t, await staff(t), paid.orderId)).json();
    const rejecter = await staff(t);
    const res = await t.request({
      method: 'POST',
      url: `/admin/refunds/${refund.id}/reject`,
      token: rejecter.token,
      payload: { reason: 'not covered by the rules' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'REJECTED', rejected_by: rejecter.id });
    expect(await ticketStatuses(t, paid.ticketIds)).toEqual(['SOLD', 'SOLD', 'SOLD']);
    expect(
      await t.deps.db
        .selectFrom('credit_note_requests')
        .select('id')
        .where('order_id', '=', paid.orderId)
        .execute(),
    ).toEqual([]);
    const later = await adminRefund(t, await staff(t), paid.orderId, {
      ticket_ids: [paid.ticketIds[0]],
      reason: 'one after all',
    });
    expect(later.json()).toMatchObject({ status: 'PROCESSING', refund_amount: 2500 });
    await expectInvariants(paid.sale.matchId);
  });
});

describe('a refund Stripe fails', () => {
  it('is FAILED and listed, and an admin retry refunds with the next attempt', async () => {
    const paid = await paidOrder(t, stripe, 1);
    const admin = await staff(t);
    const refund = (await adminRefund(t, admin, paid.orderId)).json();
    await runRefundJobs(t);
    const outcomes = await settleRefunds(t, stripe, 'failed');
    expect(outcomes).toContain('refund_failed');
    const listed = await t.request({
      method: 'GET',
      url: `/admin/refunds?status=FAILED&order_id=${paid.orderId}`,
      token: admin.token,
    });
    expect(listed.json()).toMatchObject({
      total: 1,
      items: [
        {
          id: refund.id,
          status: 'FAILED',
          attempt: 1,
          failure_reason: expect.stringContaining('failed'),
        },
      ],
    });
    // the ticket stays refunded: the money is owed, not the seat
    expect(await ticketStatuses(t, paid.ticketIds)).toEqual(['REFUNDED']);

    const retry = await t.request({
      method: 'POST',
      url: `/admin/refunds/${refund.id}/retry`,
      token: admin.token,
    });
    expect(retry.json()).toMatchObject({
      status: 'PROCESSING',
      attempt: 2,
      stripe_refund_id: null,
    });
    await runRefundJobs(t);
    const mine = stripe.refunds.filter((r) => r.payment_intent === paid.paymentIntentId);
    expect(mine.map((r) => [r.status, r.metadata.attempt])).toEqual([
      ['failed', '1'],
      ['pending', '2'],
    ]);
    await settleRefunds(t, stripe);
    const [done] = await refundsOf(t, paid.orderId);
    expect(done).toMatchObject({ status: 'COMPLETED', attempt: 2, stripe_refund_id: mine[1]!.id });
    const again = await t.request({
      method: 'POST',
      url: `/admin/refunds/${refund.id}/retry`,
      token: admin.token,
    });
    expect(again.json().code).toBe('REFUND_STATE_CONFLICT');
    await expectInvariants(paid.sale.matchId);
  });
});

describe('GET /admin/refunds', () => {
  it('lists newest first and filters by status, source and match', async () => {
    const paid = await paidOrder(t, stripe, 3);
    const admin = await staff(t);
    await adminRefund(t, admin, paid.orderId, { ticket_ids: [paid.ticketIds[0]], reason: 'one' });
    await adminRefund(t, admin, paid.orderId, {
      ticket_ids: paid.ticketIds.slice(1),
      reason: 'two',
    });
    const all = await t.request({
      method: 'GET',
      url: `/admin/refunds?match_id=${paid.sale.matchId}&source=SUPPORT`,
      token: admin.token,
    });
    expect(all.statusCode).toBe(200);
    expect(all.json().total).toBe(2);
    const processing = await t.request({
      method: 'GET',
      url: `/admin/refunds?match_id=${paid.sale.matchId}&status=PROCESSING&limit=1`,
      token: admin.token,
    });
    expect(processing.json()).toMatchObject({ total: 2, limit: 1, page: 1 });
    expect(processing.json().items).toHaveLength(1);
    const fan = await t.request({ method: 'GET', url: '/admin/refunds', token: paid.fan.token });
    expect(fan.statusCode).toBe(403);
  });
});

describe('bad refund requests answer a stable code and write nothing', () => {
  it('unknown order, unpaid order, foreign or duplicated tickets, empty list, missing reason', async () => {
    const paid = await paidOrder(t, stripe, 2);
    const other = await paidOrder(t, stripe, 1);
    const admin = await staff(t);
    const before = await refundRowCounts(t);

    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 4 });
    const unpaid = await checkoutToPayment(t, await createFan(t.deps), sale, 1);

    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      ['00000000-0000-4000-8000-000000000000', { reason: 'x-unknown' }, 404, 'NOT_FOUND'],
      [unpaid.order.id, { reason: 'not paid' }, 409, 'ORDER_NOT_REFUNDABLE'],
      [
        paid.orderId,
        { ticket_ids: [other.ticketIds[0]], reason: 'foreign' },
        422,
        'TICKET_NOT_IN_ORDER',
      ],
      [
        paid.orderId,
        { ticket_ids: [paid.ticketIds[0], paid.ticketIds[0]], reason: 'dup' },
        400,
        'VALIDATION_FAILED',
      ],
      [paid.orderId, { ticket_ids: [], reason: 'empty' }, 400, 'VALIDATION_FAILED'],
      [paid.orderId, { ticket_ids: [paid.ticketIds[0]] }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [orderId, payload, status, code] of cases) {
      const res = await adminRefund(t, admin, orderId, payload);
      expect([res.statusCode, res.json().code], JSON.stringify(payload)).toEqual([status, code]);
    }
    for (const path of ['approve', 'retry']) {
      const res = await t.request({
        method: 'POST',
        url: `/admin/refunds/00000000-0000-4000-8000-000000000000/${path}`,
        token: admin.token,
      });
      expect(res.json().code).toBe('NOT_FOUND');
    }
    expect(await refundRowCounts(t)).toEqual(before);
    expect(await ticketStatuses(t, paid.ticketIds)).toEqual(['SOLD', 'SOLD']);
  });
});

describe('audit-invariants on refunds', () => {
  it('names refunds above the payment, returned tickets without a refund and free seats under valid tickets', async () => {
    const paid = await paidOrder(t, stripe, 3);
    const [a, b, c] = paid.ticketIds as [string, string, string];
    await expectInvariants(paid.sale.matchId);
    const db = t.deps.db;
    // a ticket cancelled with no refund and no reason
    await sql`UPDATE tickets SET status = 'CANCELLED' WHERE id = ${a}`.execute(db);
    // a valid ticket whose seat says AVAILABLE
    await sql`UPDATE match_seat_inventory SET status = 'AVAILABLE'
               WHERE id = (SELECT match_seat_inventory_id FROM tickets WHERE id = ${b})`.execute(
      db,
    );
    // refunds adding up to more than was paid, the same ticket in two of them
    const payment = await db
      .selectFrom('payments')
      .select('id')
      .where('order_id', '=', paid.orderId)
      .executeTakeFirstOrThrow();
    for (const amount of [paid.totalAmount, 100]) {
      const { rows } = await sql<{ id: string }>`
        INSERT INTO refunds (order_id, payment_id, refund_amount, source, reason, status)
        VALUES (${paid.orderId}, ${payment.id}, ${amount}, 'SUPPORT', 'tampered', 'PROCESSING')
        RETURNING id`.execute(db);
      await sql`INSERT INTO refund_tickets (refund_id, ticket_id, ticket_amount, fee_amount, refunded_fee, released_at)
                VALUES (${rows[0]!.id}, ${c}, 2500, 150, false, ${amount === 100 ? t.clock.now() : null})`.execute(
        db,
      );
    }
    const report = await auditMatchInvariants(t.deps, paid.sale.matchId);
    const count = (name: string) => report.invariants.find((i) => i.name === name)?.violations;
    expect(count('refunds_exceed_payment')).toBe(1);
    expect(count('returned_ticket_without_refund')).toBe(1);
    expect(count('available_seat_with_valid_ticket')).toBe(1);
    expect(count('refunded_ticket_in_two_refunds')).toBe(1);
    // held by the table itself (CHECK and UNIQUE), so the auditor finds none
    expect(count('completed_refund_without_stripe_refund')).toBe(0);
    await expect(
      sql`UPDATE refunds SET status = 'COMPLETED' WHERE order_id = ${paid.orderId}`.execute(db),
    ).rejects.toThrow(/refunds_completed_has_stripe_id/);
  });
});

describe('a refund whose Stripe events never arrive', () => {
  it('is settled by the reconciliation, which asks Stripe about it', async () => {
    const paid = await paidOrder(t, stripe, 1);
    const refund = (await adminRefund(t, await staff(t), paid.orderId)).json();
    await runRefundJobs(t);
    const [atStripe] = stripe.refunds.filter((r) => r.payment_intent === paid.paymentIntentId);
    // settled at Stripe, its events lost
    stripe.settleRefund(atStripe!.id);
    // too recent to be checked yet
    expect(await reconcileRefunds(t.deps)).not.toContain(refund.id);
    // two minutes later (past the trigger that keeps updated_at current)
    await t.deps.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await sql`UPDATE refunds SET updated_at = now() - interval '2 minutes' WHERE id = ${refund.id}`.execute(
        trx,
      );
    });
    expect(await reconcileRefunds(t.deps)).toContain(refund.id);
    const creates = stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds');
    await runRefundJobs(t);
    expect(
      stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds'),
    ).toHaveLength(creates.length);
    expect(stripe.requests.some((r) => r.path === `/v1/refunds/${atStripe!.id}`)).toBe(true);
    expect((await refundsOf(t, paid.orderId))[0]).toMatchObject({
      status: 'COMPLETED',
      stripe_refund_id: atStripe!.id,
    });
    await expectInvariants(paid.sale.matchId);
  });
});
