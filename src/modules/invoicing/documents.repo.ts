import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type {
  ERacuniDocType,
  ERacuniDocuments,
  ERacuniRequests,
  ERacuniStatus,
} from '../../platform/db/types.generated.ts';

/** The only SQL on e_racuni_requests (the outbox) and e_racuni_documents. */
export type RequestRow = Selectable<ERacuniRequests>;
export type DocumentRow = Selectable<ERacuniDocuments>;

/** Queues a document request in the caller's transaction; a second one for the same thing is a no-op. */
export async function insertRequest(
  db: Executor,
  row: { document_type: ERacuniDocType; local_reference_id: string; order_id: string | null },
  now: Date,
): Promise<void> {
  await db
    .insertInto('e_racuni_requests')
    .values({ ...row, next_attempt_at: now, created_at: now })
    .onConflict((oc) => oc.columns(['document_type', 'local_reference_id']).doNothing())
    .execute();
}

/**
 * Leases up to `limit` due PENDING requests with one committed statement (SKIP LOCKED: the
 * workers share the backlog): they are not due again until `until`, so a worker that dies
 * mid-send leaves them to be picked up after the lease.
 */
export async function leaseDueRequests(
  db: Executor,
  now: Date,
  until: Date,
  limit: number,
): Promise<RequestRow[]> {
  const { rows } = await sql<RequestRow>`
    UPDATE e_racuni_requests r SET next_attempt_at = ${until}
     WHERE r.id IN (
       SELECT id FROM e_racuni_requests
        WHERE status = 'PENDING' AND next_attempt_at <= ${now}
        ORDER BY next_attempt_at, created_at
        LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING r.*`.execute(db);
  return rows;
}

export async function markRequestDone(db: Executor, id: string, now: Date): Promise<void> {
  await db
    .updateTable('e_racuni_requests')
    .set({ status: 'DONE', completed_at: now, next_attempt_at: null, last_error: null })
    .where('id', '=', id)
    .execute();
}

/** A failed attempt: due again at `retryAt`, or FAILED for good when `retryAt` is null. */
export async function markRequestFailed(
  db: Executor,
  id: string,
  attempts: number,
  retryAt: Date | null,
  error: string,
): Promise<void> {
  await db
    .updateTable('e_racuni_requests')
    .set({
      attempts,
      status: retryAt ? 'PENDING' : 'FAILED',
      next_attempt_at: retryAt,
      last_error: error.slice(0, 2_000),
    })
    .where('id', '=', id)
    .execute();
}

/** Records the document e-računi made; the request's replay after a crash changes nothing. */
export async function insertDocument(
  db: Executor,
  row: {
    document_type: ERacuniDocType;
    local_reference_id: string;
    order_id: string | null;
    reference: string;
    e_racuni_id: string;
    e_racuni_number: string;
    fiscalization_id: string | null;
    status: ERacuniStatus;
    total_amount: number;
    currency: string;
    public_url: string | null;
    next_poll_at: Date | null;
    created_at: Date;
    fiscalized_at: Date | null;
  },
): Promise<void> {
  await db
    .insertInto('e_racuni_documents')
    .values(row)
    .onConflict((oc) => oc.columns(['document_type', 'local_reference_id']).doNothing())
    .execute();
}

export async function findDocument(
  db: Executor,
  type: ERacuniDocType,
  localReferenceId: string,
): Promise<DocumentRow | undefined> {
  return db
    .selectFrom('e_racuni_documents')
    .selectAll()
    .where('document_type', '=', type)
    .where('local_reference_id', '=', localReferenceId)
    .executeTakeFirst();
}

/** Leases documents whose status is due for a look (see leaseDueRequests). */
export async function leaseDocumentsToPoll(
  db: Executor,
  now: Date,
  until: Date,
  limit: number,
): Promise<DocumentRow[]> {
  const { rows } = await sql<DocumentRow>`
    UPDATE e_racuni_documents d SET next_poll_at = ${until}
     WHERE d.id IN (
       SELECT id FROM e_racuni_documents
        WHERE next_poll_at IS NOT NULL AND next_poll_at <= ${now}
        ORDER BY next_poll_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING d.*`.execute(db);
  return rows;
}

export async function updatePolledDocument(
  db: Executor,
  id: string,
  fields: {
    status: ERacuniStatus;
    fiscalization_id: string | null;
    public_url: string | null;
    fiscalized_at: Date | null;
    next_poll_at: Date | null;
    poll_attempts: number;
  },
): Promise<void> {
  await db.updateTable('e_racuni_documents').set(fields).where('id', '=', id).execute();
}

/** Rows waiting in the outbox (for /metrics). */
export async function countPendingRequests(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('e_racuni_requests')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('status', '=', 'PENDING')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
