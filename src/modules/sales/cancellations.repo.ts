import type { Insertable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type {
  CancellationReqStatus,
  CancellationRequests,
} from '../../platform/db/types.generated.ts';

/** SQL of the fan's cancellation requests (E9-F8, cancellations.service.ts). */

export async function insertCancellationRequest(
  db: Executor,
  row: Insertable<CancellationRequests>,
): Promise<string> {
  const inserted = await db
    .insertInto('cancellation_requests')
    .values(row)
    .returning('id')
    .executeTakeFirstOrThrow();
  return inserted.id;
}

/** The request follows its refund: PROCESSING, then COMPLETED or FAILED (and retried). */
export async function setCancellationStatusOfRefund(
  db: Executor,
  refundId: string,
  status: CancellationReqStatus,
  completedAt: Date | null,
): Promise<void> {
  await db
    .updateTable('cancellation_requests')
    .set({ status, completed_at: completedAt })
    .where('refund_id', '=', refundId)
    .execute();
}
