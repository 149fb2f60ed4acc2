import type { Executor } from '../../platform/db/database.ts';
import { attendAllValidTickets, attendScannedTickets } from './attendance.repo.ts';

/**
 * Attendance (E2-F9, E13-F2), the tickets module's side of a match closure: called by the
 * access-control closure in its transaction, after the match was locked and closed.
 */

export type ScanOutcome = 'ATTENDED' | 'NOT_FOUND' | 'ALREADY_CANCELLED';

/**
 * Marks the scanned tickets ATTENDED and classifies every scanned barcode: ATTENDED (a
 * valid ticket of the match, also when scanned more than once), ALREADY_CANCELLED (a
 * ticket of the match that is no longer valid: cancelled, refunded, transferred away) or
 * NOT_FOUND (no ticket of this match has it: an unused extra code, another match's ticket,
 * a barcode replaced by a transfer). Returns the outcome per barcode and the tickets marked.
 */
export async function recordScannedAttendance(
  trx: Executor,
  matchId: string,
  scans: ReadonlyArray<{ barcode: string; scanned_at: Date | null }>,
  fallbackAt: Date,
): Promise<{ outcomes: Map<string, ScanOutcome>; attended: number }> {
  const rows = await attendScannedTickets(trx, { matchId, scans, fallbackAt });
  const outcomes = new Map<string, ScanOutcome>();
  let attended = 0;
  for (const r of rows) {
    if (r.attended) attended += 1;
    outcomes.set(
      r.barcode,
      r.attended ? 'ATTENDED' : r.status_before === null ? 'NOT_FOUND' : 'ALREADY_CANCELLED',
    );
  }
  return { outcomes, attended };
}

/** No attendance data: every valid ticket of the match is taken as attended. */
export async function assumeAttendance(trx: Executor, matchId: string, at: Date) {
  return attendAllValidTickets(trx, matchId, at);
}
