import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { DB, EmailLogs, EmailTemplates } from '../../platform/db/types.generated.ts';

/** SQL of email: templates and the email outbox (email_logs). */

export type EmailTemplateRow = Selectable<EmailTemplates>;
export type EmailLogRow = Selectable<EmailLogs>;

/** What `email_logs.attachments_json` holds: files of the file store, by key. */
export interface EmailAttachmentRef {
  filename: string;
  content_type: string;
  file_key: string;
}
export type EmailStatus = EmailLogRow['status'];

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
    attachments?: readonly EmailAttachmentRef[] | undefined;
  },
  now: Date,
): Promise<string> {
  const { attachments, ...fields } = row;
  const { id } = await db
    .insertInto('email_logs')
    .values({
      ...fields,
      variables_json: JSON.stringify(row.variables_json),
      attachments_json: attachments?.length ? JSON.stringify(attachments) : null,
      status: 'QUEUED',
      next_attempt_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * Many emails into the outbox with one statement whatever their number (a match update
 * tells thousands of fans): QUEUED, due at `now`. The rows travel as one JSON parameter,
 * so no number of them hits the bind parameter limit. A row may name its id: the move of
 * email jobs queued before the log was written with the job, whose job id is the row id,
 * so a job delivered twice (or one the previous release already attempted) finds its row
 * instead of making a new one.
 */
export async function insertEmailLogs(
  db: Executor,
  rows: ReadonlyArray<{
    id?: string;
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
    SELECT COALESCE(id, gen_random_uuid()), template_key, locale, recipient_email,
           variables_json, 'QUEUED', ${now}
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
