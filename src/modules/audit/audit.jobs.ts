import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { AUDIT_QUEUE, type AuditEvent } from './audit.service.ts';

// PLACEHOLDER until issue 4 lands the Loki shipper: jobs stay queued and are retried.
export const auditJobs = (_deps: AppDeps) => [
  defineJob<AuditEvent>({
    name: AUDIT_QUEUE,
    queue: { retryLimit: 1000, retryDelay: 5, retryBackoff: true },
    handler: async () => {
      throw new Error('Loki shipping is not implemented yet');
    },
  }),
];
