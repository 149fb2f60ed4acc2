import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { registerQuotaExpiryHook } from '../quotas/expiry-hooks.ts';
import { onMatchSaleClosed } from '../sales/order-events.ts';
import {
  endPetrolQuotaAtDeadline,
  endPetrolSalesOfCancelledMatch,
  releaseExpiredReservations,
} from './reservations.service.ts';

// The quotas deadline job ends a petrol quota's PINs and reservations through this hook,
// and a match's cancellation (E2-F7) through sales' port.
registerQuotaExpiryHook(endPetrolQuotaAtDeadline);
onMatchSaleClosed((deps, trx, matchId, now) =>
  endPetrolSalesOfCancelledMatch(deps, trx, matchId, now),
);

export const RELEASE_RESERVATIONS_QUEUE = 'petrol.release-reservations';

/**
 * Every minute (pg-boss runs the schedule once across all workers): cashier reservations
 * past their 20 minutes give their seats back to the petrol quota, and run-out PINs become
 * EXPIRED (E12-F3). A lapsed reservation is also released by the next lookup of its PIN.
 */
export const petrolJobs = (deps: AppDeps) => [
  defineJob<object>({
    name: RELEASE_RESERVATIONS_QUEUE,
    cron: '* * * * *',
    queue: { retryLimit: 2, retryDelay: 10, expireInSeconds: 300 },
    handler: async () => {
      await releaseExpiredReservations(deps);
    },
  }),
];
