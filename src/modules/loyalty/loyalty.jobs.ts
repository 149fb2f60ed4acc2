import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { LOYALTY_AWARD_QUEUE, runMatchAward, type AwardJob } from './award.service.ts';

/** The points award of a closed match (E6-F3), queued by the closure's transaction. */
export const loyaltyJobs = (deps: AppDeps) => [
  defineJob<AwardJob>({
    name: LOYALTY_AWARD_QUEUE,
    queue: { retryLimit: 5, retryDelay: 30, retryBackoff: true, expireInSeconds: 600 },
    handler: async (data) => {
      await runMatchAward(deps, data.match_id);
    },
  }),
];
