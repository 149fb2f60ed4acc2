import type Stripe from 'stripe';
import type { AppDeps } from '../../deps.ts';
import {
  getPaymentsGateway,
  isStripeSignatureError,
  refundSummary,
  type RefundSummary,
  type StripeEvent,
} from '../../platform/adapters/stripe/stripe.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { queueInvoiceRequest } from '../invoicing/invoices.service.ts';
import { sendEmail, sendPush } from '../notifications/notify.ts';
import { registerPaymentEventHandlers } from '../payments/payment-events.ts';
import {
  claimWebhookEvent,
  ensurePayment,
  findPaymentByIntent,
  findPaymentByOrder,
  setWebhookOutcome,
  updatePayment,
  type PaymentRow,
} from '../payments/payments.repo.ts';
import { requestRefund } from '../payments/payments.service.ts';
import { completeOrderPurchase } from '../queue/queue.admission.ts';
import { sellAndIssueOrderTickets } from '../tickets/tickets.service.ts';
import { releaseHolds } from './carts.repo.ts';
import { announceOrderCompleted, announceOrderPaymentFailed } from './order-events.ts';
import { assertOrderTransition, orderAllows } from './order-state.ts';
import { listOrderItems, transitionOrder, type OrderRow } from './orders.repo.ts';
import { applyStripeRefund, type RefundEventOutcome } from './refunds.service.ts';
import { isCancelledStatus } from './sales.repo.ts';
import {
  claimSucceededEventRecordingPayment,
  claimWebhookEventLockingOrder,
  type SettlementOrderRow,
} from './settlement.repo.ts';

/**
 * Settlement: what a Stripe payment event does to an order (E4-F7, E8-F1). Sales owns it
 * because it changes order and ticket state (order-state.ts); payments keeps the payment
 * rows, the gateway and the jobs at Stripe. Each event is handled in ONE transaction that
 * also records its id (stripe_webhook_events): a duplicate delivery is a no-op, a failed
 * handling rolls back and is redone on redelivery. Events may come in any order: a failure
 * after a success changes nothing, a success after a failure completes the order, and a
 * success after the hold was lost sells the seats if nobody took them and otherwise
 * refunds.
 */

// The order's side of a refund done by the payments module's job: the machine's REFUNDED
// (from CANCELLED, the state the refund was requested in), in the job's transaction.
registerPaymentEventHandlers({
  refunded: async (trx, payment) => {
    await transitionOrder(trx, payment.order_id, 'REFUNDED');
  },
});

type Deps = Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>;

export type WebhookOutcome =
  | 'duplicate'
  | 'ignored'
  | 'unknown_payment'
  | 'completed'
  | 'already_settled'
  | 'refund_requested'
  | 'payment_failed'
  | 'failure_after_success'
  | RefundEventOutcome;

export async function handleStripeWebhook(
  deps: Deps,
  rawBody: Buffer,
  signature: string | undefined,
): Promise<{ received: true; outcome: WebhookOutcome }> {
  let event: StripeEvent;
  try {
    if (!signature) throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'Stripe-Signature is missing');
    event = getPaymentsGateway(deps.config).verifyWebhook(rawBody, signature);
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (isStripeSignatureError(err)) throw new AppError('WEBHOOK_SIGNATURE_INVALID');
    throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'The webhook payload cannot be read');
  }
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const intent =
      event.type === 'payment_intent.succeeded' || event.type === 'payment_intent.payment_failed'
        ? (event.data.object as Stripe.PaymentIntent)
        : null;
    const claim = {
      id: event.id,
      type: event.type,
      objectId: intent?.id ?? null,
      outcome: 'processing',
    };
    // A payment event claims its id and locks its order in one statement (the order row
    // lock serialises events of one order; match and buyer come along), a success also
    // records itself on the payment there. A duplicate, also one delivered concurrently,
    // waits on the claim and then touches nothing.
    const orderId = intent ? await orderIdOfIntent(trx, intent) : undefined;
    let result: WebhookOutcome;
    const refunds = refundsOfEvent(event);
    if (refunds) {
      // A refund event (E8-F3): claimed like any event, then each refund it reports is
      // applied under its order's lock (refunds.service.ts); duplicates and any order of
      // arrival change a refund once.
      if (!(await claimWebhookEvent(trx, { ...claim, objectId: refunds[0]?.id ?? null }))) {
        return 'duplicate' as const;
      }
      const outcomes: RefundEventOutcome[] = [];
      for (const refund of refunds) outcomes.push(await applyStripeRefund(deps, trx, refund));
      // A charge.refunded without its refunds listed carries nothing to apply.
      result =
        outcomes.find((o) => o !== 'refund_unknown') ??
        (outcomes.length ? 'refund_unknown' : 'ignored');
    } else if (!intent || !orderId) {
      if (!(await claimWebhookEvent(trx, claim))) return 'duplicate' as const;
      result = intent ? 'unknown_payment' : 'ignored';
    } else if (event.type === 'payment_intent.succeeded') {
      const now = deps.clock.now();
      const claimed = await claimSucceededEventRecordingPayment(trx, claim, orderId, {
        paymentIntentId: intent.id,
        chargeId:
          typeof intent.latest_charge === 'string'
            ? intent.latest_charge
            : (intent.latest_charge?.id ?? null),
        now,
      });
      if (!claimed) return 'duplicate' as const;
      result = claimed.order
        ? await onSucceeded(deps, trx, intent, claimed.order, claimed.payment, now)
        : 'unknown_payment';
    } else {
      const claimed = await claimWebhookEventLockingOrder(trx, claim, orderId);
      if (!claimed) return 'duplicate' as const;
      result = claimed.order ? await onFailed(deps, trx, intent, claimed.order) : 'unknown_payment';
    }
    await setWebhookOutcome(trx, event.id, result);
    return result;
  });
  return { received: true, outcome };
}

/**
 * The refunds a refund event reports: the Refund of `refund.*`, or those `charge.refunded`
 * lists (the Charge carries its refunds when the API version includes them; without, its
 * `refund.updated` events settle them). Undefined: not a refund event.
 */
function refundsOfEvent(event: StripeEvent): RefundSummary[] | undefined {
  if (event.type === 'refund.updated' || event.type === 'refund.failed') {
    return [refundSummary(event.data.object as Stripe.Refund)];
  }
  if (event.type === 'charge.refunded') {
    const charge = event.data.object as Stripe.Charge;
    return (charge.refunds?.data ?? []).map((r) => refundSummary(r));
  }
  return undefined;
}

async function orderIdOfIntent(
  trx: Executor,
  intent: Stripe.PaymentIntent,
): Promise<string | undefined> {
  // metadata.order_id is set when the intent is created; the stored intent id covers
  // intents whose metadata was lost (created by hand in the dashboard).
  const orderId =
    intent.metadata?.order_id ?? (await findPaymentByIntent(trx, intent.id))?.order_id;
  return orderId && /^[0-9a-f-]{36}$/i.test(orderId) ? orderId : undefined;
}

async function onSucceeded(
  deps: Deps,
  trx: Executor,
  intent: Stripe.PaymentIntent,
  order: SettlementOrderRow,
  payment: Pick<PaymentRow, 'id' | 'refund_requested_at'>,
  now: Date,
): Promise<WebhookOutcome> {
  // The payment was marked SUCCEEDED (created if needed) with the event's claim.
  // Settled already: completed, refunded, or a refund requested (its order CANCELLED).
  if (!orderAllows(order.status, 'PAYMENT_SUCCEEDED') || payment.refund_requested_at) {
    return 'already_settled';
  }

  const items = await listOrderItems(trx, order.id);
  const amountOk = intent.amount === order.total_amount && items.length > 0;
  // An order cancelled because its buyer or a holder was blacklisted (E11-F4) is never
  // completed by a late success: its money goes back like a lost seat's.
  const blacklisted = order.cancellation_reason === 'ORDER_BLACKLISTED';
  // A cancelled match issues no ticket (E2-F7): its status was read under the share lock of
  // the match row taken with the order's (settlement.repo.ts), so no extra round trip.
  const matchCancelled = isCancelledStatus(order.match_status);
  // One statement sells the seats (all or nothing) and writes their tickets, holders and
  // seat trail; undefined when a seat went to someone else.
  const tickets =
    amountOk && !blacklisted && !matchCancelled
      ? await sellAndIssueOrderTickets(deps, trx, order, items, now)
      : undefined;
  // Match and buyer were read with the order (claimWebhookEventLockingOrder).
  const matchName = `${order.home_team} – ${order.away_team}`;
  const customer = items[0]?.holder_full_name ?? order.buyer_email;

  if (tickets) {
    // The order and the fan's queue entry in one statement (queue.repo.ts): the one order
    // write outside the order repos, so the machine is asserted here under the order lock.
    assertOrderTransition(order.status, 'PAYMENT_SUCCEEDED');
    await completeOrderPurchase(deps, trx, order);
    // Modules that sold through this order (a quota claim) record it in this transaction.
    await announceOrderCompleted(trx, order, tickets, now);
    // The invoice (E8-F5) through invoicing's outbox: one INSERT here, e-računi is called
    // by the workers, so a slow or dead e-računi never slows or fails a sale.
    await queueInvoiceRequest(deps, trx, order.id);
    await sendEmail(deps, trx, {
      template_key: 'order_confirmation',
      to: order.buyer_email,
      variables: {
        customer_name: customer,
        order_number: order.order_number,
        match_name: matchName,
        kickoff: formatKickoff(order.kick_off_time),
        ticket_count: tickets.length,
        total_amount: formatEuro(order.total_amount),
        order_url: `${deps.config.PUBLIC_BASE_URL}/orders/${order.id}`,
      },
    });
    await sendPush(deps, trx, {
      user_id: order.user_id,
      notification_type: 'tickets_ready',
      title: 'Your tickets are ready',
      body: `${tickets.length} × ${matchName}`,
      data: { deeplink: `hns://orders/${order.id}`, order_id: order.id },
      priority: 'HIGH',
    });
    await recordAudit(deps, trx, {
      domain: 'order',
      action: 'order_completed',
      actor: { type: 'system' },
      subject: { type: 'order', id: order.id },
      changes: {
        payment_intent_id: intent.id,
        ticket_ids: tickets.map((t) => t.id),
        total_amount: order.total_amount,
      },
    });
    return 'completed';
  }

  // Paid, but the seats went to someone else after the hold ran out (or the amount is not
  // the order's): give the money back. The refund runs as a job enqueued right here, so it
  // cannot be lost; the fan hears about it in the same transaction.
  const reason = matchCancelled
    ? ('PAID_AFTER_MATCH_CANCELLED' as const)
    : amountOk
      ? ('SEATS_LOST' as const)
      : ('AMOUNT_MISMATCH' as const);
  await releaseHolds(trx, order.id, now, { reason: `payment refunded: ${reason}`, by: null });
  await transitionOrder(trx, order.id, reason, { cancelled_at: now, cancellation_reason: reason });
  await requestRefund(deps, trx, payment, reason, now);
  await notifyRefund(deps, trx, order, order.buyer_email, customer, matchName, intent.amount, {
    cancelled: matchCancelled,
  });
  await recordAudit(deps, trx, {
    domain: 'payment',
    action: 'payment_refund_requested',
    actor: { type: 'system' },
    subject: { type: 'order', id: order.id },
    changes: { payment_intent_id: intent.id, reason, amount: intent.amount },
  });
  return 'refund_requested';
}

async function notifyRefund(
  deps: Deps,
  trx: Executor,
  order: OrderRow,
  email: string,
  customer: string,
  matchName: string,
  amount: number,
  why: { cancelled: boolean },
) {
  await sendEmail(deps, trx, {
    template_key: 'cancellation_refund_confirmation',
    to: email,
    variables: {
      customer_name: customer,
      order_number: order.order_number,
      match_name: matchName,
      refund_amount: formatEuro(amount),
      refund_method: 'the card used for the payment / kartica kojom je plaćeno',
    },
  });
  await sendPush(deps, trx, {
    user_id: order.user_id,
    notification_type: 'order_refunded',
    title: 'Your payment is being refunded',
    body: why.cancelled
      ? `${matchName} was cancelled; we are refunding ${formatEuro(amount)} of order ${order.order_number}.`
      : `The seats of order ${order.order_number} were no longer available; we are refunding ${formatEuro(amount)}.`,
    data: { order_id: order.id },
    priority: 'HIGH',
  });
}

async function onFailed(
  deps: Deps,
  trx: Executor,
  intent: Stripe.PaymentIntent,
  order: SettlementOrderRow,
): Promise<WebhookOutcome> {
  await ensurePayment(trx, {
    order_id: order.id,
    amount: order.total_amount,
    currency: order.currency,
  });
  const payment = (await findPaymentByOrder(trx, order.id, { forUpdate: true }))!;
  if (payment.status === 'SUCCEEDED') return 'failure_after_success';
  await updatePayment(trx, payment.id, {
    status: 'FAILED',
    stripe_payment_intent_id: payment.stripe_payment_intent_id ?? intent.id,
    failed_at: deps.clock.now(),
    failure_reason: intent.last_payment_error?.message ?? 'payment failed',
  });
  // The order stays open (retryable with the same PaymentIntent) while its hold lasts.
  if (orderAllows(order.status, 'PAYMENT_FAILED')) {
    await transitionOrder(trx, order.id, 'PAYMENT_FAILED');
    // Another channel's order (a quota claim) may give its seats back at once.
    if (order.cart_id === null) {
      await announceOrderPaymentFailed(deps, trx, order, deps.clock.now());
    }
  }
  await recordAudit(deps, trx, {
    domain: 'payment',
    action: 'payment_failed',
    actor: { type: 'system' },
    subject: { type: 'order', id: order.id },
    changes: { payment_intent_id: intent.id, reason: intent.last_payment_error?.code ?? null },
  });
  return 'payment_failed';
}

export const formatEuro = (cents: number) =>
  `${Math.floor(cents / 100)},${String(cents % 100).padStart(2, '0')} EUR`;

const kickoffFormat = new Intl.DateTimeFormat('hr-HR', {
  timeZone: 'Europe/Zagreb',
  dateStyle: 'long',
  timeStyle: 'short',
});
const formatKickoff = (at: Date) => kickoffFormat.format(at);
