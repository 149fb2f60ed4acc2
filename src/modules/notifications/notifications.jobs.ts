import type { AppDeps } from '../../deps.ts';
import { emailJob } from './email.jobs.ts';
import { pushJob } from './push.jobs.ts';

/** The notification delivery workers: email (email.jobs.ts) and push (push.jobs.ts). */
export const notificationJobs = (deps: AppDeps) => [emailJob(deps), pushJob(deps)];
