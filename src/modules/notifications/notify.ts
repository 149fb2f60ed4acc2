import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { insertEmailLog, insertEmailLogs, type EmailAttachmentRef } from './email.repo.ts';
import { insertPushes } from './push.repo.ts';

/**
 * What other modules call to tell a person something. Each writes the notification's log
 * rows into the outbox (email_logs, push_logs) with one statement in the caller's
 * transaction; the delivery loops of the workers render and send them (email.delivery.ts,
 * push.delivery.ts; guarantees in delivery.ts). Rolled back: nothing is sent. Committed:
 * delivered, also when the calling process dies right after the commit.
 */

/**
 * The pg-boss queues emails and pushes went through before the outbox. Processes of the
 * previous release may still enqueue there during a rolling deploy; notifications.jobs.ts
 * moves those jobs into the outbox.
 */
export const EMAIL_QUEUE = 'notifications.email';
export const PUSH_QUEUE = 'notifications.push';

export type Locale = 'hr' | 'en';

export interface EmailRequest {
  /** The email_logs id to use (a caller that records what it sent); a new one otherwise. */
  id?: string;
  /** Key of a row in email_templates, e.g. `order_confirmation`. */
  template_key: string;
  to: string;
  locale?: Locale;
  /** Must cover the template's declared variables (checked when rendering). */
  variables: Record<string, unknown>;
  /** Files of the file store sent with the email (read when it is sent, not now). */
  attachments?: EmailAttachment[];
}

/** An attachment by reference: a file store key (platform/files/file-store.ts). */
export type EmailAttachment = EmailAttachmentRef;

/** A job of the previous release's email queue: the request and, mostly, its log row. */
export interface EmailJob extends EmailRequest {
  email_log_id?: string;
}

export interface PushRequest {
  /** The push's job_id (one per push, shared by its device rows); a new one otherwise. */
  id?: string;
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
 * Queues an email: its email_logs row (QUEUED, due now) in `trx`. Returns the row's id,
 * which is also the Message-ID's local part.
 */
export async function sendEmail(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  request: EmailRequest,
): Promise<string> {
  return insertEmailLog(
    trx,
    {
      template_key: request.template_key,
      locale: request.locale ?? 'hr',
      recipient_email: request.to,
      variables_json: request.variables,
      attachments: request.attachments,
    },
    deps.clock.now(),
  );
}

/** Queues many emails with one statement: their email_logs rows, due now, in `trx`. */
export async function sendEmails(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  requests: readonly EmailRequest[],
): Promise<void> {
  await insertEmailLogs(
    trx,
    requests.map((r) => ({
      id: r.id,
      template_key: r.template_key,
      locale: r.locale ?? 'hr',
      recipient_email: r.to,
      variables_json: r.variables,
    })),
    deps.clock.now(),
  );
}

/** The push_logs fields of a request; `id` names a push moved from a previous release's job. */
export const pushOf = (request: PushRequest, id?: string) => ({
  job_id: id,
  user_id: request.user_id,
  notification_type: request.notification_type,
  title: request.title,
  body: request.body,
  data_json: request.data ?? {},
  priority: request.priority ?? ('NORMAL' as const),
});

/** Queues a push to every active device of the user: its push_logs rows, due now, in `trx`. */
export async function sendPush(deps: Pick<AppDeps, 'clock'>, trx: Executor, request: PushRequest) {
  await insertPushes(trx, [pushOf(request)], deps.clock.now());
}

/**
 * Queues many pushes with one statement (an admission round tells hundreds of fans at
 * once): their push_logs rows, due now, in `trx`.
 */
export async function sendPushes(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  requests: readonly PushRequest[],
) {
  await insertPushes(
    trx,
    requests.map((r) => pushOf(r, r.id)),
    deps.clock.now(),
  );
}
