import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { expireClaims } from './claims.service.ts';
import { runQuotaDeadlines } from './expiry.service.ts';

export const EXPIRE_CLAIMS_QUEUE = 'quotas.expire-claims';

/**
 * Every minute (pg-boss runs the schedule once across all workers): abandoned quota claims
 * give their seats back to their quota (E7-F5), never to public sale; then the quota and
 * sub-quota deadlines (expiry.service.ts).
 */
export const quotaJobs = (deps: AppDeps) => [
  defineJob<object>({
    name: EXPIRE_CLAIMS_QUEUE,
    cron: '* * * * *',
    queue: { retryLimit: 2, retryDelay: 10, expireInSeconds: 300 },
    handler: async () => {
      await expireClaims(deps);
      await runQuotaDeadlines(deps);
    },
  }),
];
