import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { EMAIL_QUEUE, PUSH_QUEUE, type EmailRequest, type PushRequest } from './notify.ts';

// PLACEHOLDER until issue 4 lands SMTP and FCM delivery: jobs stay queued and are retried.
export const notificationJobs = (_deps: AppDeps) => [
  defineJob<EmailRequest>({
    name: EMAIL_QUEUE,
    queue: { retryLimit: 10, retryDelay: 30, retryBackoff: true },
    handler: async () => {
      throw new Error('email delivery is not implemented yet');
    },
  }),
  defineJob<PushRequest>({
    name: PUSH_QUEUE,
    queue: { retryLimit: 5, retryDelay: 30, retryBackoff: true },
    handler: async () => {
      throw new Error('push delivery is not implemented yet');
    },
  }),
];
