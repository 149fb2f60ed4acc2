import type { Executor } from '../../platform/db/database.ts';
import type { AwayPdfOutcome } from '../../platform/db/types.generated.ts';

/** SQL on away_pdf_uploads and away_pdf_documents (E9-F6). */

export async function findMatchForPdfs(db: Executor, matchId: string) {
  return db
    .selectFrom('matches')
    .select(['id', 'match_type', 'home_team', 'away_team'])
    .where('id', '=', matchId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

export async function findUploadBySha(db: Executor, matchId: string, sha256: string) {
  return db
    .selectFrom('away_pdf_uploads')
    .select(['id', 'created_at'])
    .where('match_id', '=', matchId)
    .where('sha256', '=', sha256)
    .executeTakeFirst();
}

/** The upload; undefined when the same file was uploaded for the match concurrently. */
export async function insertUpload(
  db: Executor,
  row: {
    id: string;
    match_id: string;
    sha256: string;
    file_name: string | null;
    content_type: string;
    documents: number;
    uploaded_by: string;
    created_at: Date;
  },
) {
  return db
    .insertInto('away_pdf_uploads')
    .values(row)
    .onConflict((oc) => oc.columns(['match_id', 'sha256']).doNothing())
    .returning('id')
    .executeTakeFirst();
}

/** Text hashes of documents the match already has (the same page uploaded again). */
export async function listKnownDocumentHashes(db: Executor, matchId: string, hashes: string[]) {
  if (hashes.length === 0) return new Set<string>();
  const rows = await db
    .selectFrom('away_pdf_documents')
    .select('sha256')
    .where('match_id', '=', matchId)
    .where('sha256', 'in', hashes)
    .where('outcome', '!=', 'DUPLICATE')
    .execute();
  return new Set(rows.map((r) => r.sha256));
}

export interface NewDocument {
  id: string;
  upload_id: string;
  match_id: string;
  source: string;
  sha256: string;
  file_key: string | null;
  outcome: AwayPdfOutcome;
  reason: string | null;
  ticket_id: string | null;
  candidate_ticket_ids: string[];
  email_log_id: string | null;
  created_at: Date;
}

export async function insertDocuments(db: Executor, rows: NewDocument[]) {
  if (rows.length === 0) return;
  await db.insertInto('away_pdf_documents').values(rows).execute();
}

export async function findDocumentForUpdate(db: Executor, matchId: string, documentId: string) {
  return db
    .selectFrom('away_pdf_documents')
    .selectAll()
    .where('id', '=', documentId)
    .where('match_id', '=', matchId)
    .forUpdate()
    .executeTakeFirst();
}

export async function assignDocument(
  db: Executor,
  input: { id: string; ticketId: string; emailLogId: string; by: string; at: Date },
) {
  await db
    .updateTable('away_pdf_documents')
    .set({
      outcome: 'ASSIGNED',
      ticket_id: input.ticketId,
      email_log_id: input.emailLogId,
      assigned_by: input.by,
      assigned_at: input.at,
    })
    .where('id', '=', input.id)
    .execute();
}

/** The tickets of these that already have a PDF document. */
export async function ticketsWithDocument(db: Executor, ticketIds: string[]) {
  if (ticketIds.length === 0) return new Set<string>();
  const rows = await db
    .selectFrom('away_pdf_documents')
    .select('ticket_id')
    .where('ticket_id', 'in', ticketIds)
    .execute();
  return new Set(rows.map((r) => r.ticket_id!));
}

/** Every document of a match with the send state of its email (notifications' outbox). */
export async function listDocuments(db: Executor, matchId: string) {
  return db
    .selectFrom('away_pdf_documents as d')
    .leftJoin('email_logs as e', 'e.id', 'd.email_log_id')
    .select([
      'd.id',
      'd.upload_id',
      'd.source',
      'd.outcome',
      'd.reason',
      'd.ticket_id',
      'd.candidate_ticket_ids',
      'd.created_at',
      'd.assigned_at',
      'e.status as email_status',
      'e.recipient_email',
    ])
    .where('d.match_id', '=', matchId)
    .orderBy('d.created_at')
    .orderBy('d.source')
    .execute();
}

export async function findDocumentOfTicket(db: Executor, ticketId: string) {
  return db
    .selectFrom('away_pdf_documents')
    .select(['id', 'file_key'])
    .where('ticket_id', '=', ticketId)
    .executeTakeFirst();
}
