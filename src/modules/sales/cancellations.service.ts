import type { AppDeps } from '../../deps.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { insertCancellationRequest } from './cancellations.repo.ts';
import {
  insertRefund,
  insertRefundTickets,
  lockOrderForRefund,
  lockOrderTickets,
  ownsTicketOfOrder,
  type ReturnTicketRow,
} from './refunds.repo.ts';
import { assertPaid, assertWithinPayment } from './refunds.service.ts';
import { assertDistinct, returnTicketsForRefund } from './ticket-returns.ts';

/**
 * Self-service cancellation (E9-F8): the buyer gives tickets back up to 48 h before
 * kick-off and gets the ticket price and its service fee share back (unlike a staff
 * refund, which keeps the fee). One transaction under the order's row lock writes the
 * cancellation request and its SELF_SERVICE refund (PROCESSING: no approval, four tickets
 * at most), and returns the tickets (ticket-returns.ts: CANCELLED, seats AVAILABLE, credit
 * note, Stripe refund job, buyer and holders told). The request then follows its refund:
 * COMPLETED or FAILED (retryable by staff) when Stripe has answered.
 */

/** Cancellations close this long before kick-off (E9-F8). */
export const CANCELLATION_CLOSES_BEFORE_KICKOFF_MS = 48 * 3_600_000;

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'jobs'>;

/** Why a ticket cannot be cancelled, or undefined when it can. */
function refusal(ticket: ReturnTicketRow, buyerId: string): string | undefined {
  if (ticket.status === 'ATTENDED') return 'used';
  if (ticket.status === 'REFUNDED') return 'refunded';
  if (ticket.status !== 'SOLD') return 'cancelled';
  if (ticket.in_refund) return 'in a refund';
  if (ticket.transferred || ticket.owner_user_id !== buyerId) return 'transferred';
  return undefined;
}

export async function cancelTickets(
  deps: Deps,
  userId: string,
  orderId: string,
  input: { ticket_ids: string[]; reason?: string },
) {
  assertDistinct(input.ticket_ids);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const order = await lockOrderForRefund(trx, orderId);
    if (!order) throw notFound('Order');
    if (order.user_id !== userId) {
      // A holder knows the order (it is on their ticket): told it is the buyer's; anyone
      // else learns nothing about it.
      if (await ownsTicketOfOrder(trx, orderId, userId)) throw new AppError('ORDER_BUYER_ONLY');
      throw notFound('Order');
    }
    assertPaid(order);
    const deadline = new Date(
      order.kick_off_time.getTime() - CANCELLATION_CLOSES_BEFORE_KICKOFF_MS,
    );
    if (now >= deadline) {
      throw new AppError(
        'CANCELLATION_CLOSED',
        `Tickets can be cancelled until 48 hours before kick-off (${deadline.toISOString()})`,
        { extra: { deadline: deadline.toISOString() } },
      );
    }
    const tickets = await lockOrderTickets(trx, orderId, input.ticket_ids);
    const found = new Set(tickets.map((t) => t.id));
    const missing = input.ticket_ids.flatMap((id, i) =>
      found.has(id)
        ? []
        : [{ field: `body.ticket_ids.${i}`, message: 'not a ticket of this order' }],
    );
    if (missing.length) throw new AppError('TICKET_NOT_IN_ORDER', undefined, { errors: missing });
    const refused = tickets.flatMap((t) => {
      const why = refusal(t, order.user_id);
      return why ? [{ id: t.id, reason: why }] : [];
    });
    if (refused.length) {
      throw new AppError(
        'TICKET_NOT_CANCELLABLE',
        `Tickets cannot be cancelled: ${refused.map((r) => `${r.id} (${r.reason})`).join(', ')}`,
        { extra: { tickets: refused } },
      );
    }
    // E9-F8: the ticket price and the service fee go back.
    const amount = tickets.reduce((a, t) => a + t.price_amount + t.fee_amount, 0);
    await assertWithinPayment(trx, order, amount);
    const reason = input.reason?.trim() || 'cancelled by the buyer';
    const refund = await insertRefund(trx, {
      order_id: order.id,
      ticket_id: tickets.length === 1 ? tickets[0]!.id : null,
      payment_id: order.payment_id!,
      refund_amount: amount,
      fee_retained: 0,
      source: 'SELF_SERVICE',
      reason,
      status: 'PROCESSING',
      requested_by: userId,
      created_at: now,
    });
    await insertRefundTickets(trx, refund.id, tickets, true);
    const ticketIds = tickets.map((t) => t.id);
    const requestId = await insertCancellationRequest(trx, {
      order_id: order.id,
      ticket_ids: ticketIds,
      reason: input.reason?.trim() || null,
      refund_amount: amount,
      initiated_by: userId,
      status: 'PROCESSING',
      created_at: now,
      refund_id: refund.id,
    });
    await recordAudit(deps, trx, {
      domain: 'order',
      action: 'cancellation_requested',
      actor: { type: 'user', id: userId },
      subject: { type: 'order', id: order.id },
      changes: {
        cancellation_request_id: requestId,
        refund_id: refund.id,
        ticket_ids: ticketIds,
        refund_amount: amount,
      },
    });
    await returnTicketsForRefund(deps, trx, {
      order,
      tickets,
      refund,
      kind: 'cancellation',
      by: userId,
      now,
    });
    return {
      cancellation_request_id: requestId,
      refund_id: refund.id,
      order_id: order.id,
      ticket_ids: ticketIds,
      refund_amount: amount,
      status: 'PROCESSING' as const,
      created_at: now.toISOString(),
    };
  });
}
