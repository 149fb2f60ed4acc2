import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { TICKETS_CHANGED_QUEUE, type TicketsChangedEvent } from '../tickets/ticket-events.ts';
import { WALLET_REFRESH_QUEUE } from './pass-schedule.ts';
import { refreshPasses } from './pass-updates.ts';

/** The wallet's listener of ticket changes: refresh the passes (APNs push, Google PATCH). */
export function walletJobs(deps: AppDeps) {
  return [
    defineJob<TicketsChangedEvent>({
      name: TICKETS_CHANGED_QUEUE,
      batchSize: 8,
      pollingIntervalSeconds: 1,
      queue: { retryLimit: 8, retryDelay: 30, retryBackoff: true },
      handler: async ({ ticket_ids }) => refreshPasses(deps, ticket_ids),
    }),
    // A pass's seat or QR tier opened (scheduled when the pass was issued before it).
    defineJob<{ ticket_ids: string[] }>({
      name: WALLET_REFRESH_QUEUE,
      batchSize: 8,
      pollingIntervalSeconds: 5,
      queue: { retryLimit: 8, retryDelay: 30, retryBackoff: true },
      handler: async ({ ticket_ids }) => refreshPasses(deps, ticket_ids),
    }),
  ];
}
