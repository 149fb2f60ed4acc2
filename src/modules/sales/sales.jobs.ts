import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { requestIntentCancellations } from '../payments/payments.service.ts';
import { reconcileRefunds, runRefundJob } from './refunds.service.ts';
import { sweepExpiredHolds } from './sweeper.repo.ts';
import { STRIPE_REFUND_QUEUE, type StripeRefundJob } from './ticket-returns.ts';

export const SWEEP_HOLDS_QUEUE = 'sales.sweep-expired-holds';
export const RECONCILE_REFUNDS_QUEUE = 'sales.reconcile-refunds';
const SWEEP_BATCH = 2_000;

/**
 * The hold sweeper (E4-F4 "expired carts release seats", invariant 2). Claims already treat
 * an expired hold as free, so this only makes the rows say so (availability counts, seat
 * maps, reports), writes each release to the seat trail (HOLD_EXPIRED) and closes expired
 * carts and orders; the PaymentIntent of an order it cancels is cancelled by a job enqueued
 * in the same transaction. pg-boss runs the schedule once across
 * all workers; a run repeats batches until nothing is left.
 */
export const salesJobs = (deps: AppDeps) => [
  defineJob<object>({
    name: SWEEP_HOLDS_QUEUE,
    cron: '* * * * *',
    queue: { retryLimit: 2, retryDelay: 10, expireInSeconds: 300 },
    handler: async () => {
      await runHoldSweep(deps);
    },
  }),
  /**
   * A staff refund or a fan's cancellation at Stripe (refunds.service.ts runRefundJob),
   * enqueued in the transaction that returned the tickets. Idempotent: the Stripe key is
   * derived from the refund row and its attempt, and a refund no longer PROCESSING is
   * skipped; network and Stripe 5xx errors retry it with the same key.
   */
  defineJob<StripeRefundJob>({
    name: STRIPE_REFUND_QUEUE,
    // A worker that dies mid-call leaves its jobs active: they run again after 60 s (the
    // SDK gives up on Stripe after 3 × 20 s), with the same key. 16 at once per worker.
    queue: { retryLimit: 20, retryDelay: 30, retryBackoff: true, expireInSeconds: 60 },
    batchSize: 16,
    pollingIntervalSeconds: 0.5,
    handler: async (data) => {
      await runRefundJob(deps, data);
    },
  }),
  /** PROCESSING refunds Stripe's events never settled get their job again (refunds.service.ts). */
  defineJob<object>({
    name: RECONCILE_REFUNDS_QUEUE,
    cron: '* * * * *',
    queue: { retryLimit: 2, retryDelay: 10, expireInSeconds: 300 },
    handler: async () => {
      await reconcileRefunds(deps);
    },
  }),
];

export async function runHoldSweep(deps: Pick<AppDeps, 'db' | 'clock' | 'jobs'>) {
  const total = { seats: 0, carts: 0, orders: 0 };
  for (;;) {
    const r = await deps.db.transaction().execute(async (trx) => {
      const swept = await sweepExpiredHolds(trx, deps.clock.now(), SWEEP_BATCH);
      await requestIntentCancellations(deps, trx, swept.order_ids, 'HOLD_EXPIRED');
      return swept;
    });
    total.seats += r.seats;
    total.carts += r.carts;
    total.orders += r.orders;
    if (r.seats < SWEEP_BATCH) return total;
  }
}
