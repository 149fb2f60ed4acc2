import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
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
  ];
}
