import type { AppDeps } from '../../deps.ts';
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
