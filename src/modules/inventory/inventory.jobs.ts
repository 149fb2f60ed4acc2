import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { BULK_STATUS_QUEUE, failBulkOperation, runBulkOperation } from './bulk-status.service.ts';

const RETRY_LIMIT = 5;

/**
 * E3-F3: a bulk status change, run in batches (one transaction each). The handler is
 * idempotent: it resumes from the operation's cursor, and a completed operation is left
 * alone. On its last allowed attempt a failure marks the operation FAILED so the progress
 * endpoint stops showing it as running.
 */
export function inventoryJobs(deps: AppDeps) {
  return [
    defineJob<{ operationId: string }>({
      name: BULK_STATUS_QUEUE,
      batchSize: 1,
      pollingIntervalSeconds: 1,
      queue: { retryLimit: RETRY_LIMIT, retryDelay: 5, retryBackoff: true },
      handler: async ({ operationId }, job) => {
        try {
          await runBulkOperation(deps, operationId);
        } catch (err) {
          if (job.retryCount >= RETRY_LIMIT) {
            await failBulkOperation(deps, operationId, String(err));
          }
          throw err;
        }
      },
    }),
  ];
}
