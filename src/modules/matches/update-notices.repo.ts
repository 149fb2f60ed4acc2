import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type {
  MatchUpdateNoticeRecipients,
  MatchUpdateNotices,
} from '../../platform/db/types.generated.ts';
import { VALID_TICKET_STATUSES } from '../sales/order-state.ts';
import type { NoticeChanges } from './matches.rules.ts';

/** SQL of match update notices (E2-F6) and the people each one reaches. */

export type NoticeRow = Selectable<MatchUpdateNotices>;
export type RecipientRow = Selectable<MatchUpdateNoticeRecipients>;

export async function insertNotice(
  db: Executor,
  notice: {
    match_id: string;
    audit_log_ids: string[];
    changes: NoticeChanges;
    kind?: 'UPDATE' | 'CANCELLATION';
  },
): Promise<string> {
  const { id } = await db
    .insertInto('match_update_notices')
    .values({
      kind: notice.kind ?? 'UPDATE',
      match_id: notice.match_id,
      audit_log_ids: notice.audit_log_ids,
      changes_json: JSON.stringify(notice.changes),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function findNotice(db: Executor, id: string, opts: { lock?: boolean } = {}) {
  let q = db.selectFrom('match_update_notices').selectAll().where('id', '=', id);
  if (opts.lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

/**
 * Everyone a notice reaches, written once with one statement: per valid ticket of the
 * match, the account it is in (the buyer, or whoever it was transferred to) and the named
 * holder's email. One row per person (email, lower-cased): an account and a holder with
 * one email are one person, the account's row (it can receive pushes) is kept. A ticket
 * transferred away is in the new holder's account with the new holder named, so the
 * previous holder is not reached; refunded and cancelled tickets are not valid. Returns
 * how many people there are; a second call (a re-run) adds nobody.
 */
export async function insertRecipients(db: Executor, noticeId: string, matchId: string) {
  await sql`
    INSERT INTO match_update_notice_recipients
           (notice_id, recipient_key, user_id, full_name, nationality)
    SELECT DISTINCT ON (p.recipient_key)
           ${noticeId}::uuid, p.recipient_key, p.user_id, p.full_name, p.nationality
      FROM (SELECT u.email AS recipient_key, u.id AS user_id, pr.full_name, pr.nationality,
                   0 AS rank
              FROM tickets t
              JOIN users u ON u.id = t.owner_user_id
              LEFT JOIN profiles pr ON pr.user_id = u.id
             WHERE t.match_id = ${matchId}
               AND t.status = ANY(${sql.val(VALID_TICKET_STATUSES)}::ticket_status[])
            UNION ALL
            SELECT lower(h.email), u.id, h.full_name, h.nationality, 1
              FROM tickets t
              JOIN ticket_holders h ON h.ticket_id = t.id
              LEFT JOIN users u ON u.email = lower(h.email)
             WHERE t.match_id = ${matchId}
               AND t.status = ANY(${sql.val(VALID_TICKET_STATUSES)}::ticket_status[])
               AND h.email IS NOT NULL AND h.email <> '') AS p
     ORDER BY p.recipient_key, p.rank
    ON CONFLICT (notice_id, recipient_key) DO NOTHING`.execute(db);
  const row = await db
    .selectFrom('match_update_notice_recipients')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('notice_id', '=', noticeId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function markNoticeSending(db: Executor, id: string, recipients: number) {
  await db
    .updateTable('match_update_notices')
    .set({ status: 'SENDING', recipients })
    .where('id', '=', id)
    .execute();
}

/**
 * Takes the next `limit` people not yet told and marks them told, in the caller's
 * transaction (which also writes their email and push): a batch that rolls back is taken
 * again by the next run; one that commits is never taken again. SKIP LOCKED: two runs of
 * one notice split the people instead of waiting on each other.
 */
export async function takeRecipients(
  db: Executor,
  noticeId: string,
  limit: number,
  now: Date,
): Promise<RecipientRow[]> {
  const { rows } = await sql<RecipientRow>`
    UPDATE match_update_notice_recipients r SET notified_at = ${now}
      FROM (SELECT recipient_key FROM match_update_notice_recipients
             WHERE notice_id = ${noticeId} AND notified_at IS NULL
             ORDER BY recipient_key LIMIT ${limit}
             FOR UPDATE SKIP LOCKED) b
     WHERE r.notice_id = ${noticeId} AND r.recipient_key = b.recipient_key
    RETURNING r.*`.execute(db);
  return rows;
}

export async function countUntold(db: Executor, noticeId: string): Promise<number> {
  const row = await db
    .selectFrom('match_update_notice_recipients')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('notice_id', '=', noticeId)
    .where('notified_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The notice is done: it and the change log rows it announced are marked sent. */
export async function finishNotice(db: Executor, notice: NoticeRow, now: Date) {
  await db
    .updateTable('match_update_notices')
    .set({ status: 'DONE', completed_at: now })
    .where('id', '=', notice.id)
    .execute();
  await db
    .updateTable('match_audit_logs')
    .set({ notification_sent: true })
    .where('id', '=', sql<string>`ANY(${sql.val(notice.audit_log_ids)}::uuid[])`)
    .execute();
}

/** What each person of a batch was sent (email_logs id, push job id), for the report. */
export async function recordSent(
  db: Executor,
  noticeId: string,
  sent: ReadonlyArray<{ recipient_key: string; email_log_id: string; push_job_id: string | null }>,
) {
  if (sent.length === 0) return;
  await sql`
    UPDATE match_update_notice_recipients r
       SET email_log_id = v.email_log_id, push_job_id = v.push_job_id
      FROM jsonb_to_recordset(${JSON.stringify(sent)}::jsonb)
             AS v(recipient_key text, email_log_id uuid, push_job_id uuid)
     WHERE r.notice_id = ${noticeId} AND r.recipient_key = v.recipient_key`.execute(db);
}

/**
 * The buyers of the match's paid orders join a notice's people (a cancellation, E2-F7:
 * their money goes back, also when they transferred every ticket away); someone already
 * among them (a holder with the same email) stays one person; account emails are stored
 * lower-cased, as insertRecipients relies on. A re-run adds nobody.
 */
export async function insertBuyers(db: Executor, noticeId: string, matchId: string) {
  await sql`
    INSERT INTO match_update_notice_recipients
           (notice_id, recipient_key, user_id, full_name, nationality)
    SELECT DISTINCT ON (u.email)
           ${noticeId}::uuid, u.email, u.id, pr.full_name, pr.nationality
      FROM orders o
      JOIN users u ON u.id = o.user_id
      LEFT JOIN profiles pr ON pr.user_id = u.id
     WHERE o.match_id = ${matchId} AND o.status = 'COMPLETED'
     ORDER BY u.email
    ON CONFLICT (notice_id, recipient_key) DO NOTHING`.execute(db);
}
