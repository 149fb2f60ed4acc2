import type { Executor } from '../../platform/db/database.ts';

/** SQL on subquotas and subquota_seats (E7-F6). */

/** Cancels the quota's live sub-quotas (their parent is cancelled). */
export async function cancelSubquotasOfQuota(
  db: Executor,
  quotaId: string,
  now: Date,
): Promise<string[]> {
  const rows = await db
    .updateTable('subquotas')
    .set({ status: 'CANCELLED', retracted_at: now })
    .where('parent_quota_id', '=', quotaId)
    .where('status', 'in', ['ALLOCATED', 'RESERVED'])
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Sub-quotas addressed to `email` with their parent quota's match. */
export async function listSubquotasOfRecipient(db: Executor, email: string) {
  return db
    .selectFrom('subquotas as sq')
    .innerJoin('quotas as q', 'q.id', 'sq.parent_quota_id')
    .innerJoin('matches as m', 'm.id', 'q.match_id')
    .selectAll('sq')
    .select([
      'q.match_id',
      'q.allocation_algorithm',
      'm.home_team',
      'm.away_team',
      'm.kick_off_time',
    ])
    .where('sq.recipient_email', '=', email)
    .orderBy('m.kick_off_time')
    .orderBy('sq.created_at')
    .execute();
}

export async function findSubquota(
  db: Executor,
  id: string,
  options: { forUpdate?: boolean } = {},
) {
  let q = db.selectFrom('subquotas').selectAll().where('id', '=', id);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}
