import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { sweepExpiredHolds } from './sales.repo.ts';

export const SWEEP_HOLDS_QUEUE = 'sales.sweep-expired-holds';
const SWEEP_BATCH = 2_000;

/**
 * The hold sweeper (E4-F4 "expired carts release seats", invariant 2). Claims already treat
 * an expired hold as free, so this only makes the rows say so (availability counts, seat
 * maps, reports) and closes expired carts and orders. pg-boss runs the schedule once across
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
];

export async function runHoldSweep(deps: Pick<AppDeps, 'db' | 'clock'>) {
  const total = { seats: 0, carts: 0, orders: 0 };
  for (;;) {
    const r = await sweepExpiredHolds(deps.db, deps.clock.now(), SWEEP_BATCH);
    total.seats += r.seats;
    total.carts += r.carts;
    total.orders += r.orders;
    if (r.seats < SWEEP_BATCH) return total;
  }
}
