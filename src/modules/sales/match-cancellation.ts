import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requestIntentCancellations } from '../payments/payments.service.ts';
import { releaseMatchHolds } from './carts.repo.ts';
import { cancelOpenOrdersOfMatch, lockOpenOrdersOfMatch } from './orders.repo.ts';
import {
  findSystemRefund,
  insertRefund,
  insertRefundTickets,
  lockOrderForRefund,
  lockOrderTickets,
  lockUnpaidValidTickets,
  moveRefund,
  returnSeats,
  returnTickets,
  pendingApprovalRefunds,
  releaseRefundTickets,
  sumLiveRefunds,
} from './refunds.repo.ts';
import { announceMatchSaleClosed } from './order-events.ts';
import { returnTicketsForRefund } from './ticket-returns.ts';
import { announceTicketsChanged } from '../tickets/ticket-events.ts';

/**
 * The sale's side of a match cancellation (E2-F7, driven by matches/cancellation.*):
 * closing the sale in the cancellation's transaction, and the full refund of one paid order
 * for its job. Order and ticket states change through order-state.ts events only
 * (MATCH_CANCELLED, MATCH_CANCELLED_REFUNDED); the money goes back through the refunds of
 * E8-F3 (`source = SYSTEM`, the Stripe refund job, credit note, settlement by Stripe's
 * events).
 */

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'jobs'>;

/**
 * First statement of the cancellation's transaction, before the match row is touched: the
 * open orders' row locks, in the order the payment start and the webhook take theirs
 * (order, then match), so the cancellation never deadlocks with them.
 */
export const lockOpenOrdersForCancellation = lockOpenOrdersOfMatch;

/**
 * In the cancellation's transaction, after the match is CANCELLED: every open order is
 * cancelled (its PaymentIntent too, by a job), every hold released, every active cart
 * RELEASED. A payment that succeeds later finds the match cancelled and is refunded
 * (settlement.service.ts, PAID_AFTER_MATCH_CANCELLED).
 */
export async function closeSaleOfCancelledMatch(
  deps: Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>,
  trx: Executor,
  input: { matchId: string; by: string | null; now: Date },
): Promise<{ orders: number; seats: number }> {
  // Quota claims in progress first (their orders, DEFERRED ones too, abandoned by quotas).
  await announceMatchSaleClosed(deps, trx, input.matchId, input.now);
  const orders = await cancelOpenOrdersOfMatch(trx, input.matchId, input.now);
  const seats = await releaseMatchHolds(trx, input.matchId, input.now, {
    reason: 'match cancelled',
    by: input.by,
  });
  await requestIntentCancellations(deps, trx, orders, 'MATCH_CANCELLED');
  return { orders: orders.length, seats };
}

export type OrderRefundOutcome = 'refunded' | 'already_refunded' | 'nothing_to_refund';

/**
 * One paid order of a cancelled match, refunded in full in one transaction under its row
 * lock: what was paid less what went back already, the service fee included (the event
 * did not happen); every valid ticket CANCELLED_MATCH_CANCELLED with its seat BLOCKED; a
 * staff refund still waiting for approval is rejected (this one covers it). At most one
 * such refund per order (a unique index on source = SYSTEM): a job run again, or two at
 * once, find it and skip.
 */
export async function refundOrderOfCancelledMatch(
  deps: Deps,
  orderId: string,
  input: { by: string | null; reason: string },
): Promise<OrderRefundOutcome> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const order = await lockOrderForRefund(trx, orderId);
    if (!order || order.status !== 'COMPLETED' || order.payment_status !== 'SUCCEEDED') {
      return 'nothing_to_refund';
    }
    if (await findSystemRefund(trx, orderId)) return 'already_refunded';
    for (const pending of await pendingApprovalRefunds(trx, orderId)) {
      await moveRefund(trx, pending, ['PENDING_APPROVAL'], {
        status: 'REJECTED',
        decided_at: now,
        failure_reason: 'the match was cancelled: the order is refunded in full',
      });
      await releaseRefundTickets(trx, pending, now);
    }
    const tickets = (await lockOrderTickets(trx, orderId, null)).filter(
      (t) => t.status === 'SOLD' && !t.in_refund,
    );
    const amount = (order.payment_amount ?? 0) - (await sumLiveRefunds(trx, orderId));
    if (amount <= 0 && tickets.length === 0) return 'nothing_to_refund';
    const refund = await insertRefund(trx, {
      order_id: order.id,
      ticket_id: tickets.length === 1 ? tickets[0]!.id : null,
      payment_id: order.payment_id!,
      refund_amount: Math.max(amount, 0),
      fee_retained: 0,
      source: 'SYSTEM',
      reason: input.reason,
      status: 'PROCESSING',
      requested_by: input.by,
      created_at: now,
    });
    if (tickets.length > 0) await insertRefundTickets(trx, refund.id, tickets, true);
    await recordAudit(deps, trx, {
      domain: 'order',
      action: 'refund_requested',
      actor: { type: 'system' },
      subject: { type: 'refund', id: refund.id },
      changes: {
        order_id: order.id,
        ticket_ids: tickets.map((t) => t.id),
        refund_amount: refund.refund_amount,
        fee_retained: 0,
        source: 'SYSTEM',
        reason: input.reason,
      },
    });
    await returnTicketsForRefund(deps, trx, {
      order,
      tickets,
      refund,
      kind: 'match_cancelled',
      by: input.by,
      now,
    });
    return 'refunded';
  });
}

/**
 * The valid tickets of a cancelled match nobody paid for (free quota claims, E7-F5) are
 * cancelled too, with their seats BLOCKED and wallet passes voided: nothing to refund.
 * One transaction; returns how many.
 */
export async function cancelUnpaidTicketsOfCancelledMatch(
  deps: Pick<AppDeps, 'db' | 'clock' | 'jobs'>,
  matchId: string,
  by: string | null,
): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const tickets = await lockUnpaidValidTickets(trx, matchId);
    if (tickets.length === 0) return 0;
    const ids = tickets.map((t) => t.id);
    const reason = 'MATCH_CANCELLED' as const;
    await returnTickets(trx, ids, 'MATCH_CANCELLED_UNPAID', { now, by, reason });
    for (const orderId of new Set(tickets.map((t) => t.order_id))) {
      const ticketIds = tickets.filter((t) => t.order_id === orderId).map((t) => t.id);
      await returnSeats(trx, {
        orderId,
        ticketIds,
        to: 'BLOCKED',
        reason: 'match cancelled',
        by,
        now,
      });
    }
    await announceTicketsChanged(deps, trx, ids, 'CANCELLED');
    return ids.length;
  });
}
