import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { TicketStatus } from '../../platform/db/types.generated.ts';
import { ticketSources, ticketTarget } from '../sales/order-state.ts';

/** SQL of attendance (E2-F9, E13-F2): tickets of a closed match become ATTENDED. */

export interface ScannedBarcodeOutcome {
  barcode: string;
  /** The ticket of the match with this barcode as it was before, or null: none. */
  status_before: TicketStatus | null;
  attended: boolean;
}

/**
 * Marks the match's tickets whose barcodes were scanned ATTENDED (SCANNED_AT_GATE), with
 * their first scan time (or `fallbackAt` when the gates sent none), in one statement; and
 * says, per distinct barcode, what the match's ticket with it was before (none: null).
 */
export async function attendScannedTickets(
  db: Executor,
  input: {
    matchId: string;
    scans: ReadonlyArray<{ barcode: string; scanned_at: Date | null }>;
    fallbackAt: Date;
  },
): Promise<ScannedBarcodeOutcome[]> {
  if (input.scans.length === 0) return [];
  const { rows } = await sql<ScannedBarcodeOutcome>`
    WITH scan AS (
      SELECT s.barcode, s.at
        FROM unnest(${input.scans.map((s) => s.barcode)}::text[],
                    ${input.scans.map((s) => s.scanned_at)}::timestamptz[]) AS s(barcode, at)
    ),
    first_scan AS (SELECT barcode, min(at) AS at FROM scan GROUP BY barcode),
    attended AS (
      UPDATE tickets t
         SET status = ${ticketTarget('SCANNED_AT_GATE')},
             attended_at = coalesce(f.at, ${input.fallbackAt})
        FROM first_scan f
       WHERE t.match_id = ${input.matchId} AND t.barcode = f.barcode
         AND t.status = ANY (${ticketSources('SCANNED_AT_GATE')}::ticket_status[])
      RETURNING t.barcode
    )
    SELECT f.barcode, t.status AS status_before, (a.barcode IS NOT NULL) AS attended
      FROM first_scan f
      LEFT JOIN tickets t ON t.match_id = ${input.matchId} AND t.barcode = f.barcode
      LEFT JOIN attended a ON a.barcode = f.barcode`.execute(db);
  return rows;
}

/**
 * A closure without attendance data: every valid ticket of the match becomes ATTENDED
 * (ATTENDANCE_ASSUMED) at `at`. Returns how many.
 */
export async function attendAllValidTickets(
  db: Executor,
  matchId: string,
  at: Date,
): Promise<number> {
  const result = await db
    .updateTable('tickets')
    .set({ status: ticketTarget('ATTENDANCE_ASSUMED'), attended_at: at })
    .where('match_id', '=', matchId)
    .where('status', 'in', ticketSources('ATTENDANCE_ASSUMED'))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
