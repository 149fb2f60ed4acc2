import type { Job } from 'pg-boss';
import type { AppDeps } from '../../deps.ts';
import { batchOfOne, defineJob } from '../../platform/jobs.ts';
import { RETRY_POLICY } from './delivery.ts';
import * as repo from './notifications.repo.ts';
import { EMAIL_QUEUE, PUSH_QUEUE, pushOf, type EmailJob, type PushRequest } from './notify.ts';

/**
 * The drains of the pg-boss queues emails and pushes used before the outbox (delivery.ts).
 * Processes of the previous release keep enqueueing there until a rolling deploy replaces
 * them, and jobs that release queued or was retrying wait there: each fetched batch is
 * moved into the outbox with two statements and completed, and the delivery loops send it
 * like any other. One delivery path; a job moved twice (delivered again by pg-boss) still
 * makes one email and one push per device.
 */
export const notificationJobs = (deps: AppDeps) => {
  const moveEmails = async (jobs: Job<EmailJob>[]) => {
    const now = deps.clock.now();
    // Jobs queued before logs were written with them get their row now, with the job's id.
    await repo.insertEmailLogs(
      deps.db,
      jobs
        .filter((job) => !job.data.email_log_id)
        .map((job) => ({
          id: job.id,
          template_key: job.data.template_key,
          locale: job.data.locale ?? 'hr',
          recipient_email: job.data.to,
          variables_json: job.data.variables,
        })),
      now,
    );
    // Rows written with their job, or by that release's attempts: due now unless the SMTP
    // server accepted them already.
    await repo.requeueEmailLogs(
      deps.db,
      jobs.map((job) => job.data.email_log_id ?? job.id),
      now,
    );
    return new Map(jobs.map((job) => [job.id, undefined]));
  };
  const movePushes = async (jobs: Job<PushRequest>[]) => {
    await repo.insertPushes(
      deps.db,
      jobs.map((job) => pushOf(job.data, job.id)),
      deps.clock.now(),
    );
    return new Map(jobs.map((job) => [job.id, undefined]));
  };
  return [
    defineJob<EmailJob>({
      name: EMAIL_QUEUE,
      batchSize: 500,
      pollingIntervalSeconds: 0.5,
      queue: RETRY_POLICY,
      batchHandler: moveEmails,
      handler: batchOfOne(moveEmails),
    }),
    defineJob<PushRequest>({
      name: PUSH_QUEUE,
      batchSize: 500,
      pollingIntervalSeconds: 0.5,
      queue: RETRY_POLICY,
      batchHandler: movePushes,
      handler: batchOfOne(movePushes),
    }),
  ];
};
