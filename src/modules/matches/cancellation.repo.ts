import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { MatchCancellations } from '../../platform/db/types.generated.ts';

/** SQL of match cancellations (E2-F7): the workflow's row and the report's counts. */

export type CancellationRow = Selectable<MatchCancellations>;

export async function insertCancellation(db: Executor, row: Insertable<MatchCancellations>) {
  await db.insertInto('match_cancellations').values(row).execute();
}

export async function findCancellation(
  db: Executor,
  matchId: string,
  opts: { lock?: boolean } = {},
): Promise<CancellationRow | undefined> {
  let q = db.selectFrom('match_cancellations').selectAll().where('match_id', '=', matchId);
  if (opts.lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function startCancellation(
  db: Executor,
  matchId: string,
  values: { orders_total: number; started_at: Date },
) {
  await db.updateTable('match_cancellations').set(values).where('match_id', '=', matchId).execute();
}

/** Takes or renews the run's lease; false when another live run holds it. */
export async function takeLease(
  db: Executor,
  matchId: string,
  now: Date,
  until: Date,
  renew: boolean,
): Promise<boolean> {
  const result = await db
    .updateTable('match_cancellations')
    .set({ lease_until: until })
    .where('match_id', '=', matchId)
    .where('status', '=', 'RUNNING')
    .$if(!renew, (q) =>
      q.where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)])),
    )
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function releaseLease(db: Executor, matchId: string) {
  await db
    .updateTable('match_cancellations')
    .set({ lease_until: null })
    .where('match_id', '=', matchId)
    .execute();
}

/** RUNNING cancellations no live run holds (never started, or its run died). */
export async function listLapsedCancellations(db: Executor, now: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('match_cancellations')
    .select('match_id')
    .where('status', '=', 'RUNNING')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .execute();
  return rows.map((r) => r.match_id);
}

export async function finishCancellation(db: Executor, matchId: string, now: Date) {
  await db
    .updateTable('match_cancellations')
    .set({ status: 'DONE', completed_at: now, lease_until: null })
    .where('match_id', '=', matchId)
    .execute();
}

export interface ReportCounts {
  tickets: Array<{ status: string; n: number }>;
  refunds: Array<{ status: string; n: number; amount: number; fee: number }>;
  emails: Array<{ status: string; n: number }>;
  pushes: Array<{ status: string; n: number }>;
  people: { total: number; told: number };
}

/**
 * What the cancellation report counts, read live (the job may be running): the match's
 * tickets by status, its SYSTEM refunds by status with their amounts (and the fees they
 * include), and the people of the cancellation's notice with the state of the emails and
 * pushes they were sent (push: one per person, its best device row).
 */
export async function reportCounts(
  db: Executor,
  matchId: string,
  noticeId: string,
): Promise<ReportCounts> {
  const [tickets, refunds, emails, pushes, people] = await Promise.all([
    sql<{ status: string; n: number }>`
      SELECT status::text, count(*)::int AS n FROM tickets WHERE match_id = ${matchId}
       GROUP BY status ORDER BY status`.execute(db),
    sql<{ status: string; n: number; amount: number; fee: number }>`
      SELECT r.status::text, count(*)::int AS n, coalesce(sum(r.refund_amount), 0)::int AS amount,
             coalesce(sum((SELECT sum(rt.fee_amount) FROM refund_tickets rt
                            WHERE rt.refund_id = r.id)), 0)::int AS fee
        FROM refunds r JOIN orders o ON o.id = r.order_id
       WHERE o.match_id = ${matchId} AND r.source = 'SYSTEM'
       GROUP BY r.status ORDER BY r.status`.execute(db),
    sql<{ status: string; n: number }>`
      SELECT e.status::text, count(*)::int AS n
        FROM match_update_notice_recipients r JOIN email_logs e ON e.id = r.email_log_id
       WHERE r.notice_id = ${noticeId}
       GROUP BY e.status ORDER BY e.status`.execute(db),
    sql<{ status: string; n: number }>`
      SELECT best.status, count(*)::int AS n
        FROM match_update_notice_recipients r
        CROSS JOIN LATERAL (
          SELECT p.status::text AS status FROM push_logs p WHERE p.job_id = r.push_job_id
           ORDER BY CASE p.status WHEN 'DELIVERED' THEN 0 WHEN 'SENT' THEN 1
                                  WHEN 'QUEUED' THEN 2 ELSE 3 END
           LIMIT 1) best
       WHERE r.notice_id = ${noticeId} AND r.push_job_id IS NOT NULL
       GROUP BY best.status ORDER BY best.status`.execute(db),
    sql<{ total: number; told: number }>`
      SELECT count(*)::int AS total, count(notified_at)::int AS told
        FROM match_update_notice_recipients WHERE notice_id = ${noticeId}`.execute(db),
  ]);
  return {
    tickets: tickets.rows,
    refunds: refunds.rows,
    emails: emails.rows,
    pushes: pushes.rows,
    people: people.rows[0] ?? { total: 0, told: 0 },
  };
}
