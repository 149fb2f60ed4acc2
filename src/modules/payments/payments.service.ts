import type { AppDeps } from '../../deps.ts';
import {
  getPaymentsGateway,
  isInvalidRequestError,
  type RefundSummary,
} from '../../platform/adapters/stripe/stripe.ts';
import type { Executor } from '../../platform/db/database.ts';
import { listOpenPaymentsOfOrders, updatePayment } from './payments.repo.ts';

/**
 * Cancelling the PaymentIntent of a dead order (E4-F7). When an order is cancelled while its
 * payment is open (cart emptied, hold expired and swept, cart replaced), a job is enqueued in
 * the transaction of the cancellation (outbox) to cancel the intent at Stripe, so the fan
 * cannot pay for an order that no longer has seats. The job (payments.jobs.ts) is idempotent.
 */
export const CANCEL_INTENT_QUEUE = 'payments.cancel-intent';

export interface CancelIntentJob {
  payment_id: string;
  order_id: string;
  reason: string;
}

/**
 * Enqueues the cancellation of every open payment (PENDING, PROCESSING or FAILED: an intent
 * exists or is being created) of these just-cancelled orders. Call it inside the transaction
 * that cancelled them. Returns the payment ids.
 */
export async function requestIntentCancellations(
  deps: Pick<AppDeps, 'jobs'>,
  trx: Executor,
  orderIds: readonly string[],
  reason: string,
): Promise<string[]> {
  if (orderIds.length === 0) return [];
  const payments = await listOpenPaymentsOfOrders(trx, orderIds);
  await deps.jobs.enqueueMany<CancelIntentJob>(
    trx,
    CANCEL_INTENT_QUEUE,
    payments.map((p) => ({ payment_id: p.id, order_id: p.order_id, reason })),
  );
  return payments.map((p) => p.id);
}

/**
 * The automatic refund of a payment whose order could not be fulfilled (a success after the
 * seats were lost, or for the wrong amount): the job (payments.jobs.ts) refunds at Stripe
 * and then reports it to the owner of the order (payment-events.ts).
 */
export const REFUND_QUEUE = 'payments.refund';

export interface RefundJob {
  payment_id: string;
  reason: string;
}

/**
 * Marks the payment for refund and enqueues its refund job, inside the caller's
 * transaction (outbox), so the refund cannot be lost once the order is given up.
 */
export async function requestRefund(
  deps: Pick<AppDeps, 'jobs'>,
  trx: Executor,
  payment: { id: string },
  reason: string,
  now: Date,
): Promise<void> {
  await updatePayment(trx, payment.id, { refund_requested_at: now, refund_reason: reason });
  await deps.jobs.enqueue(trx, REFUND_QUEUE, {
    payment_id: payment.id,
    reason,
  } satisfies RefundJob);
}

/**
 * A refund at Stripe of part of a payment, for the owner of the order's refunds
 * (sales/refunds.service.ts), through the gateway. `idempotencyKey` must be derived from
 * the caller's refund row, so a job re-run after a crash gets Stripe's first answer back
 * instead of a second refund. Stripe refusing the request itself (4xx: already refunded,
 * amount too large) answers `refused`, which retrying cannot change; network and 5xx
 * errors throw, so the caller's job is retried with the same key.
 */
export async function refundPayment(
  deps: Pick<AppDeps, 'config'>,
  input: {
    paymentIntentId: string;
    amount: number;
    idempotencyKey: string;
    metadata: Record<string, string>;
  },
): Promise<{ refund: RefundSummary } | { refused: string }> {
  try {
    const refund = await getPaymentsGateway(deps.config).refund({
      paymentIntentId: input.paymentIntentId,
      amount: input.amount,
      idempotencyKey: input.idempotencyKey,
      reason: 'requested_by_customer',
      metadata: input.metadata,
    });
    return { refund };
  } catch (err) {
    if (isInvalidRequestError(err)) return { refused: err.message };
    throw err;
  }
}

/** A refund as Stripe has it now, for the owner of the refund's reconciliation. */
export async function retrieveRefund(
  deps: Pick<AppDeps, 'config'>,
  stripeRefundId: string,
): Promise<RefundSummary> {
  return getPaymentsGateway(deps.config).retrieveRefund(stripeRefundId);
}
