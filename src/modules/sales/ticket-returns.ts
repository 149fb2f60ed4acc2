import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { sendEmail, sendPush, sendPushes } from '../notifications/notify.ts';
import { announceTicketsChanged } from '../tickets/ticket-events.ts';
import {
  insertCreditNoteRequest,
  returnSeats,
  returnTickets,
  type RefundOrderRow,
  type RefundRow,
  type ReturnTicketRow,
} from './refunds.repo.ts';
import { formatEuro } from './settlement.service.ts';

/**
 * The step a staff refund (refunds.service.ts) and a fan's cancellation
 * (cancellations.service.ts) share once the money is to go back: in the caller's
 * transaction, under the order's and the tickets' row locks, the tickets leave SOLD, their
 * seats return to the inventory, the credit-note request for invoicing is queued, the
 * Stripe refund job is enqueued (outbox: it runs only if this commits), buyer and holders
 * are told, and the step is audited.
 */

/** The job that refunds at Stripe (sales.jobs.ts → refunds.service.ts runRefundJob). */
export const STRIPE_REFUND_QUEUE = 'sales.stripe-refund';

export interface StripeRefundJob {
  refund_id: string;
}

/**
 * A refunded seat close to kick-off is BLOCKED, not sold again: the holder list handed to
 * the police is final 48 h before kick-off (as for transfers), and a seat resold at the
 * last minute would carry a holder nobody checked. Staff may release it (inventory).
 */
export const SEAT_RESALE_CLOSES_BEFORE_KICKOFF_MS = 48 * 3_600_000;

type Deps = Pick<AppDeps, 'clock' | 'config' | 'jobs'>;

export interface TicketReturn {
  order: RefundOrderRow;
  tickets: readonly ReturnTicketRow[];
  refund: RefundRow;
  /**
   * staff refund (REFUNDED), the buyer's cancellation (CANCELLED) or the match's
   * cancellation (CANCELLED_MATCH_CANCELLED: seats BLOCKED, the people are told once per
   * match by the cancellation's notice, not per order here)
   */
  kind: 'refund' | 'cancellation' | 'match_cancelled';
  /**
   * who caused it: the staff member who requested or approved, the buyer, or the admin who
   * cancelled the match (null: that account is gone)
   */
  by: string | null;
  now: Date;
}

const RETURNS = {
  refund: {
    event: 'TICKET_REFUNDED',
    reason: 'SUPPORT_REQUEST',
    trail: 'ticket refunded',
    wallet: 'REFUNDED',
    audit: 'tickets_refunded',
  },
  cancellation: {
    event: 'CANCELLED_BY_BUYER',
    reason: 'SELF_SERVICE',
    trail: 'ticket cancelled by the buyer',
    wallet: 'CANCELLED',
    audit: 'tickets_cancelled',
  },
  match_cancelled: {
    event: 'MATCH_CANCELLED_REFUNDED',
    reason: 'MATCH_CANCELLED',
    trail: 'match cancelled',
    wallet: 'CANCELLED',
    audit: 'tickets_cancelled_match_cancelled',
  },
} as const;

export async function returnTicketsForRefund(deps: Deps, trx: Executor, input: TicketReturn) {
  const { order, tickets, refund, now, by } = input;
  const how = RETURNS[input.kind];
  const ids = tickets.map((t) => t.id);
  const moved =
    ids.length > 0 ? await returnTickets(trx, ids, how.event, { now, by, reason: how.reason }) : 0;
  // The tickets were read SOLD under their row locks: a shortfall is a bug, roll back.
  if (moved !== ids.length) throw new Error(`tickets: ${moved} of ${ids.length} returned`);

  // A cancelled match sells nothing again; otherwise the seat is resold unless kick-off is near.
  const closeToKickoff =
    order.kick_off_time.getTime() - now.getTime() < SEAT_RESALE_CLOSES_BEFORE_KICKOFF_MS;
  const seatsTo =
    closeToKickoff || input.kind === 'match_cancelled'
      ? ('BLOCKED' as const)
      : ('AVAILABLE' as const);
  if (ids.length > 0) {
    await returnSeats(trx, {
      orderId: order.id,
      ticketIds: ids,
      to: seatsTo,
      reason: `${how.trail} (refund ${refund.id})`,
      by,
      now,
    });
  }

  const ticketAmount = tickets.reduce((a, t) => a + t.price_amount, 0);
  await insertCreditNoteRequest(trx, {
    refund_id: refund.id,
    order_id: order.id,
    order_number: order.order_number,
    ticket_ids: ids,
    ticket_amount: ticketAmount,
    fee_amount: refund.refund_amount - ticketAmount,
    total_amount: refund.refund_amount,
    currency: order.currency,
    reason: refund.reason,
  });
  await deps.jobs.enqueue(trx, STRIPE_REFUND_QUEUE, {
    refund_id: refund.id,
  } satisfies StripeRefundJob);
  // Passes in wallets (E9-F4) are voided with the tickets, in this transaction.
  if (ids.length > 0) await announceTicketsChanged(deps, trx, ids, how.wallet);

  if (input.kind !== 'match_cancelled') await notifyReturn(deps, trx, input);
  await recordAudit(deps, trx, {
    domain: 'order',
    action: how.audit,
    actor: input.kind === 'match_cancelled' ? { type: 'system' } : { type: 'user', id: by },
    subject: { type: 'order', id: order.id },
    changes: {
      refund_id: refund.id,
      ticket_ids: ids,
      refund_amount: refund.refund_amount,
      fee_retained: refund.fee_retained,
      seats_to: seatsTo,
    },
  });
  return { seatsTo };
}

/** The buyer by email and push; every other holder by email, every other owner by push. */
async function notifyReturn(deps: Deps, trx: Executor, input: TicketReturn) {
  const { order, tickets, refund } = input;
  const matchName = `${order.home_team} – ${order.away_team}`;
  const buyerName =
    tickets.find((t) => t.owner_user_id === order.user_id)?.holder_name ?? order.buyer_email;
  await sendEmail(deps, trx, {
    template_key: 'cancellation_refund_confirmation',
    to: order.buyer_email,
    variables: {
      customer_name: buyerName,
      order_number: order.order_number,
      match_name: matchName,
      refund_amount: formatEuro(refund.refund_amount),
      refund_method: 'the card used for the payment / kartica kojom je plaćeno',
    },
  });
  await sendPush(deps, trx, {
    user_id: order.user_id,
    notification_type: input.kind === 'refund' ? 'order_refunded' : 'tickets_cancelled',
    title: input.kind === 'refund' ? 'Your tickets were refunded' : 'Tickets cancelled',
    body: `${tickets.length} × ${matchName}: ${formatEuro(refund.refund_amount)} is on its way back to your card.`,
    data: { order_id: order.id, refund_id: refund.id },
    priority: 'HIGH',
  });
  const buyerEmail = order.buyer_email.toLowerCase();
  const holderEmails = new Map<string, string>();
  for (const t of tickets) {
    const email = t.holder_email?.toLowerCase();
    if (email && email !== buyerEmail) holderEmails.set(email, t.holder_name ?? email);
  }
  for (const [email, name] of holderEmails) {
    await sendEmail(deps, trx, {
      template_key: 'ticket_cancelled_holder',
      to: email,
      variables: {
        holder_name: name,
        match_name: matchName,
        order_number: order.order_number,
        buyer_name: buyerName,
      },
    });
  }
  const owners = [
    ...new Set(tickets.map((t) => t.owner_user_id).filter((u) => u !== order.user_id)),
  ];
  await sendPushes(
    deps,
    trx,
    owners.map((userId) => ({
      user_id: userId,
      notification_type: 'ticket_cancelled',
      title: 'Your ticket was cancelled',
      body: `${matchName}: your ticket no longer admits anyone.`,
      data: { order_id: order.id },
      priority: 'HIGH' as const,
    })),
  );
}

/** Several tickets named twice in one request: refused before anything is read. */
export function assertDistinct(ticketIds: readonly string[] | undefined) {
  if (!ticketIds) return;
  const seen = new Set<string>();
  const errors = ticketIds.flatMap((id, i) => {
    if (seen.has(id)) return [{ field: `body.ticket_ids.${i}`, message: 'named twice' }];
    seen.add(id);
    return [];
  });
  if (errors.length) {
    throw new AppError('VALIDATION_FAILED', 'A ticket is named twice', { errors });
  }
}
