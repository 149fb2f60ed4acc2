import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import {
  MATCH_CANCELLATION_QUEUE,
  MATCH_CANCELLATION_RESUME_QUEUE,
  resumeCancellations,
  runMatchCancellation,
} from './cancellation.service.ts';
import { MATCH_UPDATE_NOTICE_QUEUE, runUpdateNotice } from './update-notices.service.ts';

/**
 * E2-F6: one job per update notice. Idempotent: the people to tell are written once and
 * each is marked told in the transaction that queues their email and push, so a retry
 * (or a second delivery of the job) continues where the last run stopped.
 */
export function matchJobs(deps: AppDeps) {
  return [
    defineJob<{ noticeId: string }>({
      name: MATCH_UPDATE_NOTICE_QUEUE,
      batchSize: 1,
      pollingIntervalSeconds: 1,
      queue: { retryLimit: 10, retryDelay: 5, retryBackoff: true },
      handler: async ({ noticeId }) => {
        await runUpdateNotice(deps, noticeId);
      },
    }),
    // E2-F7: one job per cancelled match. Resumable: people told and orders refunded are
    // recorded in the transactions that do it, so any later run continues with the rest.
    // A run holds a lease; when its worker dies the lease lapses and the resume job
    // (every minute) enqueues the cancellation again. BUSY: a live run has it.
    defineJob<{ matchId: string }>({
      name: MATCH_CANCELLATION_QUEUE,
      batchSize: 1,
      pollingIntervalSeconds: 1,
      queue: { retryLimit: 10, retryDelay: 5, retryBackoff: true },
      handler: async ({ matchId }) => {
        await runMatchCancellation(deps, matchId);
      },
    }),
    defineJob<object>({
      name: MATCH_CANCELLATION_RESUME_QUEUE,
      cron: '* * * * *',
      handler: async () => {
        await resumeCancellations(deps);
      },
    }),
  ];
}
