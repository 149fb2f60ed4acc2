import type { AppDeps } from '../../deps.ts';
import {
  getPaymentsGateway,
  isIntentStateError,
  type PaymentIntentSummary,
} from '../../platform/adapters/stripe/stripe.ts';
import { defineJob } from '../../platform/jobs.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { paymentEventHandlers } from './payment-events.ts';
import { findPayment, markPaymentCancelled, updatePayment } from './payments.repo.ts';
import {
  CANCEL_INTENT_QUEUE,
  REFUND_QUEUE,
  type CancelIntentJob,
  type RefundJob,
} from './payments.service.ts';

/**
 * Jobs of the payments module.
 *
 * The automatic refund of a payment whose order could not be fulfilled. Idempotent: Stripe's
 * idempotency key is derived from the payment id, and a payment already marked refunded is
 * skipped, so a job re-run after a crash never refunds twice.
 */
export const paymentJobs = (deps: AppDeps) => [
  defineJob<RefundJob>({
    name: REFUND_QUEUE,
    queue: { retryLimit: 20, retryDelay: 30, retryBackoff: true },
    handler: async (data) => {
      const events = paymentEventHandlers();
      const payment = await findPayment(deps.db, data.payment_id);
      if (!payment || payment.refunded_at || !payment.stripe_payment_intent_id) return;
      const refund = await getPaymentsGateway(deps.config).refund({
        paymentIntentId: payment.stripe_payment_intent_id,
        idempotencyKey: `hns-refund-${payment.id}`,
        reason: 'requested_by_customer',
        metadata: { order_id: payment.order_id, reason: data.reason },
      });
      await deps.db.transaction().execute(async (trx) => {
        const locked = await findPayment(trx, payment.id, { forUpdate: true });
        if (!locked || locked.refunded_at) return;
        await updatePayment(trx, payment.id, {
          stripe_refund_id: refund.id,
          refunded_at: deps.clock.now(),
        });
        // The order's side (it becomes REFUNDED) belongs to sales, in this transaction.
        await events.refunded(trx, payment);
        await recordAudit(deps, trx, {
          domain: 'payment',
          action: 'payment_refunded',
          actor: { type: 'system' },
          subject: { type: 'payment', id: payment.id },
          changes: { refund_id: refund.id, amount: refund.amount, reason: data.reason },
        });
      });
    },
  }),
  /**
   * Cancels the PaymentIntent of a cancelled order (payments.service.ts). Idempotent by
   * state: a payment already CANCELLED or SUCCEEDED is skipped; an intent Stripe reports as
   * canceled just marks the payment; a succeeded intent is left to the late-success webhook
   * path (which sells the seats if still free, else refunds); a `processing` intent is
   * retried later until it settles.
   */
  defineJob<CancelIntentJob>({
    name: CANCEL_INTENT_QUEUE,
    queue: { retryLimit: 20, retryDelay: 30, retryBackoff: true },
    handler: async (data) => {
      const payment = await findPayment(deps.db, data.payment_id);
      if (!payment || payment.status === 'SUCCEEDED' || payment.status === 'CANCELLED') return;
      // No intent attached: creation failed, or startPayment is still creating it and will
      // find the order cancelled when it attaches the id, and enqueue this job again.
      const intentId = payment.stripe_payment_intent_id;
      if (!intentId) return;
      const gateway = getPaymentsGateway(deps.config);
      let intent: PaymentIntentSummary;
      try {
        intent = await gateway.cancelPaymentIntent({
          paymentIntentId: intentId,
          reason: 'abandoned',
        });
      } catch (err) {
        if (!isIntentStateError(err)) throw err;
        intent = await gateway.retrievePaymentIntent(intentId);
      }
      if (intent.status === 'succeeded') return;
      if (intent.status !== 'canceled') {
        throw new Error(`PaymentIntent ${intentId} is ${intent.status}; cancelling it later`);
      }
      await deps.db.transaction().execute(async (trx) => {
        if (!(await markPaymentCancelled(trx, payment.id, `order cancelled: ${data.reason}`))) {
          return;
        }
        await recordAudit(deps, trx, {
          domain: 'payment',
          action: 'payment_intent_cancelled',
          actor: { type: 'system' },
          subject: { type: 'payment', id: payment.id },
          changes: { payment_intent_id: intentId, order_id: data.order_id, reason: data.reason },
        });
      });
    },
  }),
];
