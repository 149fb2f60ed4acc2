/** All SQL of the notifications module: email templates and logs, push tokens and logs. */
import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type {
  DB,
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

/**
 * The active templates of these (template_key, locale) pairs: those an email batch needs,
 * with one statement. A pair without an active template has no row.
 */
export async function findActiveTemplates(
  db: Executor,
  pairs: ReadonlyArray<{ template_key: string; locale: string }>,
): Promise<EmailTemplateRow[]> {
  if (pairs.length === 0) return [];
  const keys = sql.val(pairs.map((p) => p.template_key));
  const locales = sql.val(pairs.map((p) => p.locale));
  return db
    .selectFrom('email_templates')
    .selectAll()
    .where(
      sql<boolean>`(template_key, locale) IN (SELECT * FROM unnest(${keys}::text[], ${locales}::text[]))`,
    )
    .where('is_active', '=', true)
    .execute();
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

/**
 * Creates the rows of email jobs queued before the log was written with the job, with one
 * statement. The job id is the row id, so a retried job finds the row of its first attempt
 * (its attempts, or SENT) instead of making a new one.
 */
export async function insertLegacyEmailLogs(
  db: Executor,
  rows: ReadonlyArray<{
    id: string;
    template_key: string;
    locale: string;
    recipient_email: string;
    variables_json: Record<string, unknown>;
  }>,
): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    INSERT INTO email_logs (id, template_key, locale, recipient_email, variables_json, status)
    SELECT id, template_key, locale, recipient_email, variables_json, 'QUEUED'
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(
             id uuid, template_key text, locale text, recipient_email text, variables_json jsonb)
    ON CONFLICT (id) DO NOTHING`.execute(db);
}

/** The log rows of a batch of email jobs. */
export async function findEmailLogs(db: Executor, ids: readonly string[]): Promise<EmailLogRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('email_logs')
    .selectAll()
    .where('id', '=', sql<string>`ANY(${sql.val(ids)}::uuid[])`)
    .execute();
}

export interface EmailAttempt {
  id: string;
  status: 'SENT' | 'FAILED';
  attempts: number;
  /**
   * Left as they are when absent: a failure before sending (no template, missing variable)
   * keeps the row's subject and provider, a refused send its message id and sent_at.
   */
  subject?: string;
  provider?: string;
  provider_message_id?: string;
  sent_at?: Date;
  error_message: string | null;
}

/** Writes the outcome of a batch's delivery attempts, one log row each, with one statement. */
export async function markEmailAttempts(
  db: Executor,
  attempts: readonly EmailAttempt[],
): Promise<void> {
  if (attempts.length === 0) return;
  // A provider event that overtook this write (applyDeliveryEvent) has the last word on
  // the status: DELIVERED or BOUNCED, with its error, is kept.
  await sql`
    UPDATE email_logs AS l
       SET status = CASE WHEN l.status IN ('DELIVERED', 'BOUNCED') THEN l.status
                         ELSE v.status END,
           error_message = CASE WHEN l.status IN ('DELIVERED', 'BOUNCED') THEN l.error_message
                                ELSE v.error_message END,
           attempts = v.attempts,
           subject = COALESCE(v.subject, l.subject),
           provider = COALESCE(v.provider, l.provider),
           provider_message_id = COALESCE(v.provider_message_id, l.provider_message_id),
           sent_at = COALESCE(v.sent_at, l.sent_at)
      FROM jsonb_to_recordset(${JSON.stringify(attempts)}::jsonb) AS v(
             id uuid, status email_status, attempts integer, subject text, provider text,
             provider_message_id text, sent_at timestamptz, error_message text)
     WHERE l.id = v.id`.execute(db);
}

/**
 * The log a Message-ID names: the row that stored it, or, before the worker has written it
 * (the attempts of a batch are written after all its sends), the row whose id it carries:
 * the worker sends `<email_logs.id>@<domain>`, so a provider event that overtakes the
 * write still finds its log.
 */
function byMessageId(providerMessageId: string) {
  const logId = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@/i.exec(
    providerMessageId,
  )?.[1];
  return (eb: ExpressionBuilder<DB, 'email_logs'>) =>
    logId
      ? eb.or([
          eb('provider_message_id', '=', providerMessageId),
          eb.and([eb('provider_message_id', 'is', null), eb('id', '=', logId)]),
        ])
      : eb('provider_message_id', '=', providerMessageId);
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
    .set((eb) => ({
      status,
      ...rest,
      provider_message_id: eb.fn.coalesce('provider_message_id', eb.val(providerMessageId)),
    }))
    .where(byMessageId(providerMessageId))
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
    .where(byMessageId(providerMessageId))
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

/** The active devices of these users (a push batch's recipients), oldest first. */
export async function activePushTokensOf(
  db: Executor,
  userIds: readonly string[],
): Promise<PushTokenRow[]> {
  if (userIds.length === 0) return [];
  return db
    .selectFrom('push_tokens')
    .selectAll()
    .where('user_id', '=', sql<string>`ANY(${sql.val(userIds)}::uuid[])`)
    .where('is_active', '=', true)
    .orderBy('created_at')
    .execute();
}

/** Marks tokens FCM no longer knows as inactive (each only if it still holds that token). */
export async function deactivatePushTokens(
  db: Executor,
  tokens: ReadonlyArray<{ id: string; fcm_token: string }>,
): Promise<void> {
  if (tokens.length === 0) return;
  await sql`
    UPDATE push_tokens AS t SET is_active = false
    FROM unnest(${sql.val(tokens.map((x) => x.id))}::uuid[],
                ${sql.val(tokens.map((x) => x.fcm_token))}::text[]) AS v(id, fcm_token)
    WHERE t.id = v.id AND t.fcm_token = v.fcm_token`.execute(db);
}

/** Records that these devices received a push. */
export async function touchPushTokens(
  db: Executor,
  ids: readonly string[],
  now: Date,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('push_tokens')
    .set({ last_used_at: now })
    .where('id', '=', sql<string>`ANY(${sql.val(ids)}::uuid[])`)
    .execute();
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

/** A log row to create: QUEUED unless given a status (the FAILED row of a user without devices). */
export type NewPushLog = PushLogInput & { status?: PushStatus; error_message?: string | null };

/**
 * Creates the log rows of a batch of push jobs, one per job and device (or one without a
 * device), with one statement. Rows that exist are kept (unique job_id + push_token_id,
 * NULLS NOT DISTINCT): a retried job reuses its rows instead of sending twice to a device
 * already served. The rows travel as one JSON parameter, so no batch size hits the bind
 * parameter limit.
 */
export async function insertPushLogs(db: Executor, rows: readonly NewPushLog[]): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(rows.map((r) => ({ status: 'QUEUED', error_message: null, ...r })));
  await sql`
    INSERT INTO push_logs (user_id, job_id, push_token_id, notification_type, title, body,
                           data_json, priority, status, error_message)
    SELECT user_id, job_id, push_token_id, notification_type, title, body,
           data_json, priority, status, error_message
      FROM jsonb_to_recordset(${json}::jsonb) AS v(
             user_id uuid, job_id uuid, push_token_id uuid, notification_type text, title text,
             body text, data_json jsonb, priority push_priority, status push_status,
             error_message text)
    ON CONFLICT (job_id, push_token_id) DO NOTHING`.execute(db);
}

/** The log rows of these push jobs (with those of earlier attempts), oldest first. */
export async function pushLogsOfJobs(
  db: Executor,
  jobIds: readonly string[],
): Promise<PushLogRow[]> {
  if (jobIds.length === 0) return [];
  return db
    .selectFrom('push_logs')
    .selectAll()
    .where('job_id', '=', sql<string>`ANY(${sql.val(jobIds)}::uuid[])`)
    .orderBy('created_at')
    .execute();
}

export interface PushAttempt {
  id: string;
  status: 'SENT' | 'FAILED';
  attempts: number;
  /** Left as it is when absent (a failed attempt keeps the row's message id and sent_at). */
  fcm_message_id?: string;
  sent_at?: Date;
  error_message: string | null;
}

/** Writes the outcome of a batch's delivery attempts, one log row each, with one statement. */
export async function markPushAttempts(
  db: Executor,
  attempts: readonly PushAttempt[],
): Promise<void> {
  if (attempts.length === 0) return;
  await sql`
    UPDATE push_logs AS l
       SET status = v.status, attempts = v.attempts, error_message = v.error_message,
           fcm_message_id = COALESCE(v.fcm_message_id, l.fcm_message_id),
           sent_at = COALESCE(v.sent_at, l.sent_at)
      FROM jsonb_to_recordset(${JSON.stringify(attempts)}::jsonb) AS v(
             id uuid, status push_status, attempts integer, fcm_message_id text,
             sent_at timestamptz, error_message text)
     WHERE l.id = v.id`.execute(db);
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
