import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { CreditNoteRequests } from '../../platform/db/types.generated.ts';

/**
 * The SQL of credit notes on credit_note_requests, the outbox sales writes with each
 * refund (contract in src/modules/sales/README.md, "Credit notes"): invoicing reads the
 * rows and sets `processed_at` once e-računi has the credit note.
 */
export type CreditNoteRequestRow = Selectable<CreditNoteRequests>;

/**
 * Takes sales's unprocessed credit-note requests into invoicing's own outbox
 * (e_racuni_requests, one per refund; a second intake changes nothing). One statement.
 */
export async function takeInCreditNoteRequests(
  db: Executor,
  now: Date,
  limit: number,
): Promise<number> {
  const result = await sql`
    INSERT INTO e_racuni_requests (document_type, local_reference_id, order_id, next_attempt_at, created_at)
    SELECT 'CREDIT_NOTE', c.refund_id, c.order_id, ${now}, ${now}
      FROM credit_note_requests c
     WHERE c.processed_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM e_racuni_requests r
                        WHERE r.document_type = 'CREDIT_NOTE' AND r.local_reference_id = c.refund_id)
     ORDER BY c.created_at
     LIMIT ${limit}
    ON CONFLICT (document_type, local_reference_id) DO NOTHING`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export async function findCreditNoteRequest(
  db: Executor,
  refundId: string,
): Promise<(CreditNoteRequestRow & { ticket_vat_bp: number; fee_vat_bp: number }) | undefined> {
  return db
    .selectFrom('credit_note_requests as c')
    .innerJoin('orders as o', 'o.id', 'c.order_id')
    .selectAll('c')
    .select(['o.ticket_vat_bp', 'o.fee_vat_bp'])
    .where('c.refund_id', '=', refundId)
    .executeTakeFirst();
}

export async function markCreditNoteProcessed(
  db: Executor,
  refundId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('credit_note_requests')
    .set({ processed_at: now })
    .where('refund_id', '=', refundId)
    .where('processed_at', 'is', null)
    .execute();
}
