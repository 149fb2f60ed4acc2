import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { listOpenPaymentsOfOrders } from './payments.repo.ts';

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
