import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { markOverdueOffers } from './payment-offers.service.ts';

/** Jobs of invoicing (its outbox loops are worker loops: documents.delivery.ts). */
export const OVERDUE_OFFERS_QUEUE = 'invoicing.overdue-offers';

export const invoicingJobs = (deps: AppDeps) => [
  // Daily at 05:00 UTC (06:00/07:00 in Zagreb): offers due yesterday are overdue today.
  defineJob({
    name: OVERDUE_OFFERS_QUEUE,
    cron: '0 5 * * *',
    queue: { retryLimit: 5, retryDelay: 60, retryBackoff: true },
    handler: async () => {
      await markOverdueOffers(deps);
    },
  }),
];
