import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { EXPORT_QUEUE, runExport, type ExportJobData } from './exports.service.ts';

/** The export job (E14-F1): idempotent, a completed export is not written again. */
export const reportJobs = (deps: AppDeps) => [
  defineJob<ExportJobData>({
    name: EXPORT_QUEUE,
    queue: { retryLimit: 2, retryDelay: 30, retryBackoff: true, expireInSeconds: 3_600 },
    handler: (data) => runExport(deps, data.export_id),
  }),
];
