import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { insertEmailLog } from './notifications.repo.ts';

/**
 * What other modules call to tell a person something. Both functions write to the job
 * outbox in the caller's transaction; the notifications worker renders and delivers
 * (email.jobs.ts, push.jobs.ts). Rolled back: nothing is sent. Committed: delivered, also when
 * the calling process dies right after the commit.
 */
export const EMAIL_QUEUE = 'notifications.email';
export const PUSH_QUEUE = 'notifications.push';

export type Locale = 'hr' | 'en';
export const LOCALES: readonly Locale[] = ['hr', 'en'];

export interface EmailRequest {
  /** Key of a row in email_templates, e.g. `order_confirmation`. */
  template_key: string;
  to: string;
  locale?: Locale;
  /** Must cover the template's declared variables (checked when rendering). */
  variables: Record<string, unknown>;
}

/** The email job: the request plus the email_logs row written with it. */
export interface EmailJob extends EmailRequest {
  email_log_id?: string;
}

export interface PushRequest {
  user_id: string;
  /** Stable type for analytics and client routing, e.g. `queue_turn`. */
  notification_type: string;
  title: string;
  body: string;
  /** Deep link and other data for the app, e.g. `{ deeplink: 'hns://purchase/<match>' }`. */
  data?: Record<string, string>;
  priority?: 'NORMAL' | 'HIGH';
}

/**
 * Queues an email: an email_logs row (QUEUED) and the job, both in `trx`.
 * Returns the email_logs id.
 */
export async function sendEmail(
  deps: Pick<AppDeps, 'jobs'>,
  trx: Executor,
  request: EmailRequest,
): Promise<string> {
  const locale = request.locale ?? 'hr';
  const emailLogId = await insertEmailLog(trx, {
    template_key: request.template_key,
    locale,
    recipient_email: request.to,
    variables_json: request.variables,
  });
  const job: EmailJob = { ...request, locale, email_log_id: emailLogId };
  await deps.jobs.enqueue(trx, EMAIL_QUEUE, job);
  return emailLogId;
}

/** Queues a push to every active device of the user (push_logs rows are written per device). */
export async function sendPush(deps: Pick<AppDeps, 'jobs'>, trx: Executor, request: PushRequest) {
  await deps.jobs.enqueue(trx, PUSH_QUEUE, { priority: 'NORMAL', ...request });
}

/** Queues many pushes with one statement (an admission round tells hundreds of fans at once). */
export async function sendPushes(
  deps: Pick<AppDeps, 'jobs'>,
  trx: Executor,
  requests: readonly PushRequest[],
) {
  await deps.jobs.enqueueMany(
    trx,
    PUSH_QUEUE,
    requests.map((r) => ({ priority: 'NORMAL', ...r })),
  );
}
