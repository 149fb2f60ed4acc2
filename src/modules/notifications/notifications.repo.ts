/** All SQL of the notifications module: email templates and logs, push tokens and logs. */
import type { Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type {
  EmailLogs,
  EmailTemplates,
  PushLogs,
  PushTokens,
} from '../../platform/db/types.generated.ts';

export type EmailTemplateRow = Selectable<EmailTemplates>;
export type EmailLogRow = Selectable<EmailLogs>;
export type PushTokenRow = Selectable<PushTokens>;
export type PushLogRow = Selectable<PushLogs>;
export type EmailStatus = EmailLogRow['status'];
export type PushStatus = PushLogRow['status'];

// Email templates ------------------------------------------------------------------------

export interface TemplateSeedRow {
  template_key: string;
  locale: string;
  name: string;
  subject: string;
  body_html: string;
  body_text: string;
  variables: string[];
}

export async function upsertSeedTemplate(db: Executor, row: TemplateSeedRow): Promise<void> {
  await db
    .insertInto('email_templates')
    .values(row)
    .onConflict((oc) => oc.columns(['template_key', 'locale']).doNothing())
    .execute();
}

export async function findActiveTemplate(
  db: Executor,
  templateKey: string,
  locale: string,
): Promise<EmailTemplateRow | undefined> {
  return db
    .selectFrom('email_templates')
    .selectAll()
    .where('template_key', '=', templateKey)
    .where('locale', '=', locale)
    .where('is_active', '=', true)
    .executeTakeFirst();
}

export async function listTemplates(
  db: Executor,
  filter: { template_key?: string; locale?: string; limit: number; offset: number },
): Promise<{ rows: EmailTemplateRow[]; total: number }> {
  let query = db.selectFrom('email_templates');
  if (filter.template_key) query = query.where('template_key', '=', filter.template_key);
  if (filter.locale) query = query.where('locale', '=', filter.locale);
  const [rows, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('template_key')
      .orderBy('locale')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.total) };
}

export async function findTemplateById(
  db: Executor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<EmailTemplateRow | undefined> {
  let query = db.selectFrom('email_templates').selectAll().where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function updateTemplate(
  db: Executor,
  id: string,
  patch: Partial<
    Pick<EmailTemplateRow, 'name' | 'subject' | 'body_html' | 'body_text' | 'is_active'>
  >,
): Promise<EmailTemplateRow> {
  return db
    .updateTable('email_templates')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

// Email logs -------------------------------------------------------------------------------

export async function insertEmailLog(
  db: Executor,
  row: {
    template_key: string;
    locale: string;
    recipient_email: string;
    variables_json: Record<string, unknown>;
  },
): Promise<string> {
  const { id } = await db
    .insertInto('email_logs')
    .values({ ...row, variables_json: JSON.stringify(row.variables_json), status: 'QUEUED' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function findEmailLog(db: Executor, id: string): Promise<EmailLogRow | undefined> {
  return db.selectFrom('email_logs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function markEmailAttempt(
  db: Executor,
  id: string,
  patch: {
    status: 'SENT' | 'FAILED';
    attempts?: number;
    subject?: string | null;
    provider?: string | null;
    provider_message_id?: string | null;
    sent_at?: Date | null;
    error_message?: string | null;
  },
): Promise<void> {
  await db.updateTable('email_logs').set(patch).where('id', '=', id).execute();
}

/**
 * Applies a provider delivery event to the log sent with this Message-ID. `from` lists the
 * statuses the event may move a log from, so a late or repeated event never moves a log
 * backwards (a bounce is final; `delivered` after a bounce is ignored).
 */
export async function applyDeliveryEvent(
  db: Executor,
  providerMessageId: string,
  update: {
    status: 'DELIVERED' | 'BOUNCED';
    from: EmailStatus[];
    delivered_at?: Date;
    error_message?: string | null;
  },
): Promise<{ matched: boolean; updated: boolean }> {
  const { status, from, ...rest } = update;
  const row = await db
    .updateTable('email_logs')
    .set({ status, ...rest })
    .where('provider_message_id', '=', providerMessageId)
    .where('status', 'in', from)
    .returning('id')
    .executeTakeFirst();
  if (row) return { matched: true, updated: true };
  return { matched: await emailLogExists(db, providerMessageId), updated: false };
}

export async function emailLogExists(db: Executor, providerMessageId: string): Promise<boolean> {
  const row = await db
    .selectFrom('email_logs')
    .select('id')
    .where('provider_message_id', '=', providerMessageId)
    .executeTakeFirst();
  return !!row;
}

// Push tokens ------------------------------------------------------------------------------

export async function userExists(db: Executor, userId: string): Promise<boolean> {
  return !!(await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst());
}

/** Registers a device for a user; a device registered before (by anyone) moves to this user. */
export async function upsertPushToken(
  db: Executor,
  row: {
    user_id: string;
    device_id: string;
    fcm_token: string;
    platform: 'IOS' | 'ANDROID';
    now: Date;
  },
): Promise<PushTokenRow> {
  return db
    .insertInto('push_tokens')
    .values({
      user_id: row.user_id,
      device_id: row.device_id,
      fcm_token: row.fcm_token,
      platform: row.platform,
      is_active: true,
      last_used_at: row.now,
    })
    .onConflict((oc) =>
      oc.column('device_id').doUpdateSet({
        user_id: row.user_id,
        fcm_token: row.fcm_token,
        platform: row.platform,
        is_active: true,
        last_used_at: row.now,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deletePushToken(
  db: Executor,
  userId: string,
  deviceId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('push_tokens')
    .where('user_id', '=', userId)
    .where('device_id', '=', deviceId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function activePushTokens(db: Executor, userId: string): Promise<PushTokenRow[]> {
  return db
    .selectFrom('push_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .where('is_active', '=', true)
    .orderBy('created_at')
    .execute();
}

/** Marks a token FCM no longer knows as inactive (only if it still holds that token). */
export async function deactivatePushToken(
  db: Executor,
  id: string,
  fcmToken: string,
): Promise<void> {
  await db
    .updateTable('push_tokens')
    .set({ is_active: false })
    .where('id', '=', id)
    .where('fcm_token', '=', fcmToken)
    .execute();
}

export async function touchPushToken(db: Executor, id: string, now: Date): Promise<void> {
  await db.updateTable('push_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}

// Push logs --------------------------------------------------------------------------------

export interface PushLogInput {
  user_id: string;
  job_id: string;
  push_token_id: string | null;
  notification_type: string;
  title: string;
  body: string;
  data_json: Record<string, string>;
  priority: 'NORMAL' | 'HIGH';
}

/**
 * The log rows of one push job, one per device, created on the first attempt and reused
 * by retries (unique job_id + push_token_id).
 */
export async function ensurePushLogs(
  db: Executor,
  rows: Array<PushLogInput & { status?: PushStatus; error_message?: string | null }>,
): Promise<PushLogRow[]> {
  if (rows.length === 0) return [];
  await db
    .insertInto('push_logs')
    .values(rows.map((r) => ({ ...r, data_json: JSON.stringify(r.data_json) })))
    .onConflict((oc) => oc.columns(['job_id', 'push_token_id']).doNothing())
    .execute();
  return db
    .selectFrom('push_logs')
    .selectAll()
    .where('job_id', '=', rows[0]!.job_id)
    .orderBy('created_at')
    .execute();
}

export async function markPushAttempt(
  db: Executor,
  id: string,
  patch: {
    status: 'SENT' | 'FAILED';
    attempts: number;
    fcm_message_id?: string | null;
    sent_at?: Date | null;
    error_message?: string | null;
  },
): Promise<void> {
  await db.updateTable('push_logs').set(patch).where('id', '=', id).execute();
}

/** For tests and support tooling: the logs of one user, newest first. */
export async function pushLogsOfUser(db: Executor, userId: string): Promise<PushLogRow[]> {
  return db
    .selectFrom('push_logs')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .execute();
}
