import type { AppDeps } from '../../deps.ts';
import { getPaymentsGateway } from '../../platform/adapters/stripe/stripe.ts';
import { defineJob } from '../../platform/jobs.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { findOrder, updateOrder } from '../sales/sales.repo.ts';
import { findPayment, updatePayment } from './payments.repo.ts';
import { REFUND_QUEUE, type RefundJob } from './webhooks.service.ts';

/**
 * The automatic refund of a payment whose order could not be fulfilled. Idempotent: Stripe's
 * idempotency key is derived from the payment id, and a payment already marked refunded is
 * skipped, so a job re-run after a crash never refunds twice.
 */
export const paymentJobs = (deps: AppDeps) => [
  defineJob<RefundJob>({
    name: REFUND_QUEUE,
    queue: { retryLimit: 20, retryDelay: 30, retryBackoff: true },
    handler: async (data) => {
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
        const order = await findOrder(trx, payment.order_id, { forUpdate: true });
        if (order && order.status !== 'COMPLETED') {
          await updateOrder(trx, order.id, { status: 'REFUNDED' });
        }
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
];
