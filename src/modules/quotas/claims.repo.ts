import type { Executor } from '../../platform/db/database.ts';

/** SQL on quota_claim_carts (E7-F5). */

/** Closes the quota's ACTIVE claims (quota cancelled): they become ABANDONED. */
export async function abandonClaimCartsOfQuota(
  db: Executor,
  quotaId: string,
  now: Date,
): Promise<string[]> {
  const rows = await db
    .updateTable('quota_claim_carts')
    .set({ status: 'ABANDONED', completed_at: now })
    .where('quota_id', '=', quotaId)
    .where('status', '=', 'ACTIVE')
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}
