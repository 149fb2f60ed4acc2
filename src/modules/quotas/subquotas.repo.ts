import type { Executor } from '../../platform/db/database.ts';

/** SQL on subquotas and subquota_seats (E7-F6). */

/** Cancels the quota's live sub-quotas (their parent is cancelled). */
export async function cancelSubquotasOfQuota(
  db: Executor,
  quotaId: string,
  now: Date,
  status: 'CANCELLED' | 'EXPIRED' = 'CANCELLED',
): Promise<string[]> {
  const rows = await db
    .updateTable('subquotas')
    .set(status === 'CANCELLED' ? { status, retracted_at: now } : { status })
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

export async function insertSubquota(
  db: Executor,
  values: {
    parent_quota_id: string;
    recipient_email: string;
    recipient_name: string | null;
    internal_note: string | null;
    quantity: number;
    expires_at: Date | null;
    created_at: Date;
  },
) {
  return db.insertInto('subquotas').values(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * Puts quota seats into a sub-quota: one subquota_seats row each (UNIQUE on quota_seat_id:
 * a concurrent sub-quota over the same seat waits for this one and then fails on the
 * constraint), and the quota seats ALLOCATED → DELEGATED, only from ALLOCATED and no
 * sub-quota (checked on the row). Returns the number of quota seats delegated.
 */
export async function delegateQuotaSeats(
  db: Executor,
  subquotaId: string,
  quotaSeatIds: readonly string[],
  now: Date,
): Promise<number> {
  await db
    .insertInto('subquota_seats')
    .values(
      quotaSeatIds.map((id) => ({ subquota_id: subquotaId, quota_seat_id: id, created_at: now })),
    )
    .execute();
  const rows = await db
    .updateTable('quota_seats')
    .set({ status: 'DELEGATED', subquota_id: subquotaId })
    .where('id', 'in', [...quotaSeatIds])
    .where('status', '=', 'ALLOCATED')
    .where('subquota_id', 'is', null)
    .returning('id')
    .execute();
  return rows.length;
}

/** The sub-quotas of a parent quota, oldest first. */
export async function listSubquotasOfQuota(db: Executor, quotaId: string) {
  return db
    .selectFrom('subquotas')
    .selectAll()
    .where('parent_quota_id', '=', quotaId)
    .orderBy('created_at')
    .execute();
}

/**
 * Retracts a sub-quota: its seats back to the parent's free balance (DELEGATED →
 * ALLOCATED, out of the sub-quota), its subquota_seats rows deleted (so the seats can be
 * passed on again), the sub-quota RETRACTED. Returns the number of seats returned.
 */
export async function retractSubquotaSeats(
  db: Executor,
  subquotaId: string,
  now: Date,
  status: 'RETRACTED' | 'EXPIRED' = 'RETRACTED',
) {
  const rows = await db
    .updateTable('quota_seats')
    .set({ status: 'ALLOCATED', subquota_id: null })
    .where('subquota_id', '=', subquotaId)
    .where('status', '=', 'DELEGATED')
    .returning('id')
    .execute();
  await db.deleteFrom('subquota_seats').where('subquota_id', '=', subquotaId).execute();
  await db
    .updateTable('subquotas')
    .set(status === 'RETRACTED' ? { status, retracted_at: now } : { status })
    .where('id', '=', subquotaId)
    .execute();
  return rows.length;
}

/** Live sub-quotas past their own deadline whose parent is still live, locked. */
export async function lockSubquotasPastDeadline(db: Executor, now: Date, limit: number) {
  return db
    .selectFrom('subquotas as sq')
    .innerJoin('quotas as q', 'q.id', 'sq.parent_quota_id')
    .selectAll('sq')
    .where('sq.status', 'in', ['ALLOCATED', 'RESERVED'])
    .where('sq.expires_at', '<', now)
    .where('q.status', 'in', ['ACTIVE', 'FULLY_CLAIMED'])
    .orderBy('sq.expires_at')
    .limit(limit)
    .forUpdate('sq')
    .skipLocked()
    .execute();
}
