import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { percentToBp, presalePrice, priceOrder, type MatchType } from '../payments/fees.ts';
import { requestIntentCancellations } from '../payments/payments.service.ts';
import { sellAndIssueOrderTickets } from '../tickets/tickets.service.ts';
import { releaseHolds } from './carts.repo.ts';
import { orderLineRows, type ResolvedHolder } from './checkout.service.ts';
import { markOrderPaymentPending, writeOrderItems } from './checkout.repo.ts';
import { announceOrderCompleted } from './order-events.ts';
import {
  findOrder,
  insertOrder,
  listOrderItems,
  transitionOrder,
  type OrderRow,
} from './orders.repo.ts';
import { feeRatesOf } from './pricing.ts';
import { feeConfiguration } from './sale-facts.ts';

/**
 * The order side of a quota claim (E7-F5): a quota ticket is a real ticket, so a claim
 * is an order of the claimant with one priced line per seat and holder, paid through the
 * same Stripe path and completed by the same settlement (tickets issued with barcode and
 * signed QR by the tickets module). What differs: the price is the category price less the
 * quota's discount (instead of the pre-sale discount; the service fee applies to what is
 * paid), a claim at 100 % completes at once without a payment (QUOTA_FREE_CLAIMED), and
 * the seats are held by the quota claim (hold_kind QUOTA) rather than a cart. The quotas
 * module calls these inside its own transactions.
 */

type Deps = Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>;

export interface QuotaOrderSeat {
  inventory_id: string;
  match_sector_id: string;
  price_category_id: string | null;
  /** the category's regular price, cents */
  price: number;
}

/** The money settings a claim is priced with (read before the claim's transaction). */
export async function quotaPricing(
  deps: Pick<AppDeps, 'db' | 'config'>,
  matchId: string,
  now: Date,
) {
  return feeRatesOf(await feeConfiguration(deps, matchId, now));
}

/**
 * Writes the PENDING order of a quota claim (HOLDERS_NAMED) with its priced lines; an open
 * order of the claim (holders named again) is cancelled first, so one claim has one open
 * order.
 */
export async function writeQuotaOrder(
  deps: Deps,
  trx: Executor,
  input: {
    userId: string;
    matchId: string;
    matchType: MatchType;
    seats: QuotaOrderSeat[];
    holders: ResolvedHolder[];
    discountPercent: number;
    rates: Awaited<ReturnType<typeof quotaPricing>>;
    previousOrderId: string | null;
    now: Date;
    /** the selling channel in the audit trail: a quota claim, or a petrol sale (E12) */
    channel?: 'quota' | 'petrol';
  },
) {
  const { seats, holders, now } = input;
  if (input.previousOrderId) {
    await transitionOrder(trx, input.previousOrderId, 'QUOTA_CLAIM_ABANDONED', {
      cancelled_at: now,
      cancellation_reason: 'QUOTA_CLAIM_ABANDONED',
    });
  }
  const discountBp = percentToBp(input.discountPercent);
  const amounts = priceOrder(
    seats.map((s) => presalePrice(s.price, discountBp)),
    input.matchType,
    input.rates,
  );
  const order = await insertOrder(trx, {
    user_id: input.userId,
    match_id: input.matchId,
    cart_id: null,
    ticket_amount: amounts.ticketAmount,
    ticket_vat_amount: amounts.ticketVatAmount,
    fee_amount: amounts.feeAmount,
    fee_vat_amount: amounts.feeVatAmount,
    total_amount: amounts.totalAmount,
    fee_percent_bp: amounts.feeBp,
    ticket_vat_bp: amounts.ticketVatBp,
    fee_vat_bp: amounts.feeVatBp,
    is_presale: false,
  });
  const items = await writeOrderItems(
    trx,
    order.id,
    orderLineRows(deps, order.id, seats, holders, amounts),
    { replace: false },
  );
  await recordAudit(deps, trx, {
    domain: 'order',
    action: 'order_created',
    actor: { type: 'user', id: input.userId },
    subject: { type: 'order', id: order.id },
    changes: {
      channel: input.channel ?? 'quota',
      total_amount: order.total_amount,
      seats: seats.length,
    },
  });
  return { order, items };
}

/** The claim's order, locked (FOR UPDATE). */
export const lockQuotaOrder = (trx: Executor, orderId: string) =>
  findOrder(trx, orderId, { forUpdate: true });

/**
 * Completes an order paid without a card (a free claim, or a deferred one whose payment
 * offer was paid): sells the seats the order holds, issues the tickets, moves the order by
 * `event` and announces the completion like a settled payment. Returns the tickets, or
 * undefined when a seat was no longer held by the order (nothing written).
 */
async function completeWithoutCard(
  deps: Deps,
  trx: Executor,
  order: OrderRow,
  event: 'QUOTA_FREE_CLAIMED' | 'OFFER_PAID',
  actor: { type: 'user'; id: string },
) {
  const now = deps.clock.now();
  const items = await listOrderItems(trx, order.id);
  const tickets = await sellAndIssueOrderTickets(deps, trx, order, items, now);
  if (!tickets) return undefined;
  await transitionOrder(trx, order.id, event, { completed_at: now });
  await announceOrderCompleted(trx, order, tickets, now);
  await recordAudit(deps, trx, {
    domain: 'order',
    action: 'order_completed',
    actor,
    subject: { type: 'order', id: order.id },
    changes: {
      channel: 'quota',
      ...(event === 'QUOTA_FREE_CLAIMED' ? { free: true } : { paid_by: 'payment_offer' }),
      ticket_ids: tickets.map((t) => t.id),
    },
  });
  return tickets;
}

/**
 * A free claim (nothing to pay): sells the order's seats and issues the tickets now, and
 * completes the order (QUOTA_FREE_CLAIMED), announcing it like a settled payment. Returns
 * the tickets, or undefined when a seat was no longer held by the order (nothing written).
 */
export async function completeFreeQuotaOrder(deps: Deps, trx: Executor, order: OrderRow) {
  return completeWithoutCard(deps, trx, order, 'QUOTA_FREE_CLAIMED', {
    type: 'user',
    id: order.user_id,
  });
}

/**
 * A claim of a deferred_payment quota (E7-F5): its PENDING order becomes DEFERRED
 * (QUOTA_CLAIM_DEFERRED), to be paid against a payment offer. The caller has passed the
 * claim's hold to the order first (held until kick-off). Returns the order, or undefined
 * when it was not PENDING.
 */
export async function deferQuotaOrder(trx: Executor, order: OrderRow) {
  return transitionOrder(trx, order.id, 'QUOTA_CLAIM_DEFERRED');
}

/**
 * The payment offer holding a DEFERRED order was paid (E8-F4, invoicing's markOfferPaid,
 * in its transaction): the order is locked and completed (OFFER_PAID) — its seats sold,
 * its tickets issued, the completion announced (the quota seats become SOLD). Returns
 * 'completed', or 'not-deferred' for an order in another status (left as it is). A DEFERRED
 * order whose seats are not all held by it breaks an invariant: it throws, nothing written.
 */
export async function completeOfferPaidOrder(
  deps: Deps,
  trx: Executor,
  orderId: string,
  actorId: string,
): Promise<'completed' | 'not-deferred'> {
  const order = await lockQuotaOrder(trx, orderId);
  if (!order || order.status !== 'DEFERRED') return 'not-deferred';
  const tickets = await completeWithoutCard(deps, trx, order, 'OFFER_PAID', {
    type: 'user',
    id: actorId,
  });
  if (!tickets) throw new Error(`deferred order ${orderId}: its seats are not held by it`);
  return 'completed';
}

/** PAYMENT_STARTED for a claim's order (its payment row created); the caller holds the lock. */
export async function markQuotaOrderPaymentPending(trx: Executor, order: OrderRow) {
  return markOrderPaymentPending(trx, order, {});
}

/**
 * Gives up a claim's open order (claim expired, abandoned or its quota cancelled): the
 * order CANCELLED (QUOTA_CLAIM_ABANDONED), its seats back to the quota (releaseHolds puts a
 * QUOTA hold back to ALLOCATED), an open PaymentIntent cancelled by the payments job.
 */
export async function abandonQuotaOrder(deps: Deps, trx: Executor, orderId: string, now: Date) {
  const cancelled = await transitionOrder(trx, orderId, 'QUOTA_CLAIM_ABANDONED', {
    cancelled_at: now,
    cancellation_reason: 'QUOTA_CLAIM_ABANDONED',
  });
  await releaseHolds(trx, orderId, now, { reason: 'quota claim abandoned', by: null });
  if (cancelled) await requestIntentCancellations(deps, trx, [orderId], 'QUOTA_CLAIM_ABANDONED');
  return cancelled !== undefined;
}
