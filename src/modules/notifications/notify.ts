import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';

/**
 * What other modules call to tell a person something. Both functions write to the job
 * outbox in the caller's transaction; the notifications worker renders and delivers.
 */
export const EMAIL_QUEUE = 'notifications.email';
export const PUSH_QUEUE = 'notifications.push';

export type Locale = 'hr' | 'en';

export interface EmailRequest {
  /** Key of a row in email_templates, e.g. `order_confirmation`. */
  template_key: string;
  to: string;
  locale?: Locale;
  /** Must cover the template's declared variables (checked when rendering). */
  variables: Record<string, unknown>;
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

export async function sendEmail(deps: Pick<AppDeps, 'jobs'>, trx: Executor, request: EmailRequest) {
  await deps.jobs.enqueue(trx, EMAIL_QUEUE, { locale: 'hr', ...request });
}

export async function sendPush(deps: Pick<AppDeps, 'jobs'>, trx: Executor, request: PushRequest) {
  await deps.jobs.enqueue(trx, PUSH_QUEUE, { priority: 'NORMAL', ...request });
}
