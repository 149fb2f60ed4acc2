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

/** A log in one of these states was accepted by the SMTP server: never sent again. */
export const EMAIL_DONE: readonly EmailStatus[] = ['SENT', 'DELIVERED', 'BOUNCED'];

/** The email outbox's row for one email: QUEUED, due at `now` (email.delivery.ts sends it). */
export async function insertEmailLog(
  db: Executor,
  row: {
    template_key: string;
    locale: string;
    recipient_email: string;
    variables_json: Record<string, unknown>;
  },
  now: Date,
): Promise<string> {
  const { id } = await db
    .insertInto('email_logs')
    .values({
      ...row,
      variables_json: JSON.stringify(row.variables_json),
      status: 'QUEUED',
      next_attempt_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * Creates, due at `now`, the rows of email jobs queued before the log was written with the
 * job, with one statement. The job id is the row id, so a job delivered twice (or one the
 * previous release already attempted) finds its row instead of making a new one.
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
  now: Date,
): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    INSERT INTO email_logs (id, template_key, locale, recipient_email, variables_json, status,
                            next_attempt_at)
    SELECT id, template_key, locale, recipient_email, variables_json, 'QUEUED', ${now}
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(
             id uuid, template_key text, locale text, recipient_email text, variables_json jsonb)
    ON CONFLICT (id) DO NOTHING`.execute(db);
}

/**
 * Makes these logs due at `now` unless they are already in the outbox or were accepted by
 * the SMTP server (a SENT email is never sent again): the move of a previous release's
 * jobs. One statement; returns the ids made due.
 */
export async function requeueEmailLogs(
  db: Executor,
  ids: readonly string[],
  now: Date,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<{ id: string }>`
    UPDATE email_logs SET next_attempt_at = ${now}
     WHERE id = ANY(${sql.val(ids)}::uuid[]) AND next_attempt_at IS NULL
       AND status <> ALL(${sql.val(EMAIL_DONE)}::email_status[])
    RETURNING id`.execute(db);
  return rows.map((r) => r.id);
}

/**
 * Leases up to `limit` due emails for one delivery batch, with one statement: the oldest
 * due rows no other worker is leasing (FOR UPDATE SKIP LOCKED) are moved to `leaseUntil`,
 * so a worker that dies mid-batch leaves them to be delivered again when the lease ends.
 * A due row the SMTP server already accepted (a Mailgun event that arrived after a failed
 * attempt) leaves the outbox instead; the caller skips it.
 */
export async function leaseDueEmails(
  db: Executor,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<EmailLogRow[]> {
  const { rows } = await sql<EmailLogRow>`
    UPDATE email_logs
       SET next_attempt_at = CASE WHEN status = ANY(${sql.val(EMAIL_DONE)}::email_status[])
                                  THEN NULL ELSE ${leaseUntil}::timestamptz END
     WHERE id IN (SELECT id FROM email_logs
                   WHERE next_attempt_at <= ${now}
                   ORDER BY next_attempt_at
                   LIMIT ${limit}
                     FOR UPDATE SKIP LOCKED)
    RETURNING *`.execute(db);
  return rows;
}

/**
 * Rows still to deliver in an outbox (email_logs or push_logs): the backlog, for the
 * metrics gauge and for tests that wait for a drain.
 */
export async function countPendingDeliveries(
  db: Executor,
  outbox: 'email_logs' | 'push_logs',
): Promise<number> {
  const row = await db
    .selectFrom(outbox)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('next_attempt_at', 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface EmailAttempt {
  id: string;
  status: 'SENT' | 'FAILED';
  attempts: number;
  /** The next try; null when nothing is left to do (sent, given up, or no retry fixes it). */
  next_attempt_at: Date | null;
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
  // the status: DELIVERED or BOUNCED, with its error, is kept, and nothing is retried.
  await sql`
    UPDATE email_logs AS l
       SET status = CASE WHEN l.status IN ('DELIVERED', 'BOUNCED') THEN l.status
                         ELSE v.status END,
           error_message = CASE WHEN l.status IN ('DELIVERED', 'BOUNCED') THEN l.error_message
                                ELSE v.error_message END,
           next_attempt_at = CASE WHEN l.status IN ('DELIVERED', 'BOUNCED') THEN NULL
                                  ELSE v.next_attempt_at END,
           attempts = v.attempts,
           subject = COALESCE(v.subject, l.subject),
           provider = COALESCE(v.provider, l.provider),
           provider_message_id = COALESCE(v.provider_message_id, l.provider_message_id),
           sent_at = COALESCE(v.sent_at, l.sent_at)
      FROM jsonb_to_recordset(${JSON.stringify(attempts)}::jsonb) AS v(
             id uuid, status email_status, attempts integer, next_attempt_at timestamptz,
             subject text, provider text, provider_message_id text, sent_at timestamptz,
             error_message text)
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
      // The SMTP server accepted it: a failed attempt waiting for its retry is not retried.
      next_attempt_at: null,
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

/** A push to write into the outbox; `job_id` names the notification (new when absent). */
export interface NewPush {
  job_id?: string;
  user_id: string;
  notification_type: string;
  title: string;
  body: string;
  data_json: Record<string, string>;
  priority: 'NORMAL' | 'HIGH';
}

export const NO_DEVICE = 'user has no active push token';

/**
 * Writes pushes into the outbox with one statement whatever their number: one row per push
 * and active device of its user, QUEUED and due at `now`, or for a user without an active
 * device one FAILED row without a device (nothing to deliver). The pushes of one call each
 * get their own notification id (job_id), shared by their rows. The pushes travel as one
 * JSON parameter, so no number of them hits the bind parameter limit.
 *
 * A push that names its id (one moved from a previous release's job) may have rows already
 * (unique job_id + push_token_id, NULLS NOT DISTINCT): they are kept, a SENT one is not
 * sent again, and one that release failed and was still retrying is made due again.
 */
export async function insertPushes(
  db: Executor,
  pushes: readonly NewPush[],
  now: Date,
): Promise<void> {
  if (pushes.length === 0) return;
  // Materialised: one id per push, not one per device row of the join.
  await sql`
    WITH p AS MATERIALIZED (
      SELECT COALESCE(v.job_id, gen_random_uuid()) AS job_id, v.user_id, v.notification_type,
             v.title, v.body, v.data_json, v.priority
        FROM jsonb_to_recordset(${JSON.stringify(pushes)}::jsonb) AS v(
               job_id uuid, user_id uuid, notification_type text, title text, body text,
               data_json jsonb, priority push_priority))
    INSERT INTO push_logs AS l (user_id, job_id, push_token_id, notification_type, title, body,
                                data_json, priority, status, error_message, next_attempt_at)
    SELECT p.user_id, p.job_id, t.id, p.notification_type, p.title, p.body, p.data_json,
           p.priority,
           CASE WHEN t.id IS NULL THEN 'FAILED' ELSE 'QUEUED' END::push_status,
           CASE WHEN t.id IS NULL THEN ${NO_DEVICE} END,
           CASE WHEN t.id IS NOT NULL THEN ${now}::timestamptz END
      FROM p LEFT JOIN push_tokens t ON t.user_id = p.user_id AND t.is_active
    ON CONFLICT (job_id, push_token_id) DO UPDATE SET next_attempt_at = EXCLUDED.next_attempt_at
     WHERE l.status <> 'SENT' AND l.next_attempt_at IS NULL
       AND EXCLUDED.next_attempt_at IS NOT NULL`.execute(db);
}

/** A leased push row with the device it names (null fields: the token row is gone). */
export interface LeasedPush extends PushLogRow {
  fcm_token: string | null;
  token_user_id: string | null;
  token_active: boolean | null;
}

/**
 * Leases up to `limit` due push rows for one delivery batch, with one statement: the oldest
 * due rows no other worker is leasing (FOR UPDATE SKIP LOCKED) are moved to `leaseUntil`,
 * so a worker that dies mid-batch leaves them to be delivered again when the lease ends.
 * Each comes with its device's current token, owner and state. A due row already SENT
 * leaves the outbox instead; the caller skips it.
 */
export async function leaseDuePushes(
  db: Executor,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<LeasedPush[]> {
  const { rows } = await sql<LeasedPush>`
    WITH leased AS (
      UPDATE push_logs
         SET next_attempt_at = CASE WHEN status = 'SENT' THEN NULL
                                    ELSE ${leaseUntil}::timestamptz END
       WHERE id IN (SELECT id FROM push_logs
                     WHERE next_attempt_at <= ${now}
                     ORDER BY next_attempt_at
                     LIMIT ${limit}
                       FOR UPDATE SKIP LOCKED)
      RETURNING *)
    SELECT leased.*, t.fcm_token, t.user_id AS token_user_id, t.is_active AS token_active
      FROM leased LEFT JOIN push_tokens t ON t.id = leased.push_token_id`.execute(db);
  return rows;
}

export interface PushAttempt {
  id: string;
  status: 'SENT' | 'FAILED';
  attempts: number;
  /** The next try; null when nothing is left to do (sent, given up, or no retry fixes it). */
  next_attempt_at: Date | null;
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
           next_attempt_at = v.next_attempt_at,
           fcm_message_id = COALESCE(v.fcm_message_id, l.fcm_message_id),
           sent_at = COALESCE(v.sent_at, l.sent_at)
      FROM jsonb_to_recordset(${JSON.stringify(attempts)}::jsonb) AS v(
             id uuid, status push_status, attempts integer, next_attempt_at timestamptz,
             fcm_message_id text, sent_at timestamptz, error_message text)
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
