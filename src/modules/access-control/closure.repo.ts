import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/** SQL of the closure's attendance import (E2-F9, E13-F2). */

export type UnmatchedReason = 'NOT_FOUND' | 'ALREADY_CANCELLED' | 'INVALID_FORMAT';

export interface UnmatchedRow {
  row_number: number;
  barcode: string;
  scan_timestamp: Date | null;
  reason: UnmatchedReason;
}

export async function insertAttendanceImport(
  db: Executor,
  row: {
    match_id: string;
    file_name: string;
    total_scanned: number;
    matched_count: number;
    unmatched_count: number;
    attended_tickets: number;
    imported_by: string | null;
    imported_at: Date;
  },
): Promise<string> {
  const inserted = await db
    .insertInto('attendance_imports')
    .values(row)
    .returning('id')
    .executeTakeFirstOrThrow();
  return inserted.id;
}

/** All unmatched rows of an import in one statement. */
export async function insertUnmatched(
  db: Executor,
  importId: string,
  rows: readonly UnmatchedRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    INSERT INTO attendance_unmatched (import_id, row_number, barcode, scan_timestamp, reason)
    SELECT ${importId}::uuid, u.row_number, u.barcode, u.scan_timestamp, u.reason
      FROM unnest(${rows.map((r) => r.row_number)}::int[],
                  ${rows.map((r) => r.barcode)}::text[],
                  ${rows.map((r) => r.scan_timestamp)}::timestamptz[],
                  ${rows.map((r) => r.reason)}::unmatched_reason[])
           AS u(row_number, barcode, scan_timestamp, reason)`.execute(db);
}

export async function findImportOfMatch(db: Executor, matchId: string) {
  return db
    .selectFrom('attendance_imports')
    .selectAll()
    .where('match_id', '=', matchId)
    .executeTakeFirst();
}

export async function listUnmatched(
  db: Executor,
  importId: string,
  page: { offset: number; limit: number },
) {
  return db
    .selectFrom('attendance_unmatched')
    .select(['row_number', 'barcode', 'scan_timestamp', 'reason'])
    .where('import_id', '=', importId)
    .orderBy('row_number')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
}

export async function findMatchSummary(db: Executor, matchId: string) {
  return db
    .selectFrom('matches')
    .select(['id', 'status', 'closed_at', 'attendance_mode', 'closure_reason'])
    .where('id', '=', matchId)
    .executeTakeFirst();
}
