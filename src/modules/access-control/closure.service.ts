import type { AppDeps } from '../../deps.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { enqueueMatchAward } from '../loyalty/award.service.ts';
import { closeMatchRecord } from '../matches/matches.service.ts';
import { assumeAttendance, recordScannedAttendance } from '../tickets/attendance.service.ts';
import { readAttendanceFile } from './attendance-file.ts';
import {
  findImportOfMatch,
  findMatchSummary,
  insertAttendanceImport,
  insertUnmatched,
  listUnmatched,
  type UnmatchedRow,
} from './closure.repo.ts';
import type { Actor } from './export.service.ts';

/**
 * Closing a match with its attendance (E2-F9, E13-F2): POST /admin/matches/{id}/close.
 * The file is read and checked before anything is written; then one transaction closes the
 * match (matches module), marks the scanned tickets ATTENDED (tickets module), stores the
 * import with its unmatched rows, queues the loyalty award (E6-F3) and audits. Any failure
 * rolls all of it back.
 */

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'jobs'>;

export interface CloseInput {
  /** The gates' scanned list; absent: a closure without attendance data. */
  file?: { name: string; bytes: Buffer };
  /** Required without a file (why there is no data); kept with the match otherwise. */
  reason?: string;
}

/** The unmatched rows a closure answers with; the rest: GET …/attendance. */
const UNMATCHED_IN_RESPONSE = 1_000;

export async function closeMatchWithAttendance(
  deps: Deps,
  actor: Actor,
  matchId: string,
  input: CloseInput,
) {
  const reason = input.reason?.trim() || null;
  if (!input.file && !reason) {
    throw new AppError('VALIDATION_FAILED', 'Without an attendance file a reason is required', {
      errors: [{ field: 'body.reason', message: 'required when no attendance file is sent' }],
    });
  }
  const scans = input.file
    ? await readAttendanceFile(input.file.bytes, { maxRows: deps.config.ATTENDANCE_FILE_MAX_ROWS })
    : null;
  const now = deps.clock.now();

  return deps.db.transaction().execute(async (trx) => {
    const match = await closeMatchRecord(deps, trx, actor, matchId, {
      attendance_mode: scans ? 'WITH_DATA' : 'WITHOUT_DATA',
      reason,
    });
    // A ticket scanned without a time, or all tickets without data, attended at kick-off.
    const attendedAt = match.kick_off_time;
    let attendance: {
      import_id: string;
      file_name: string;
      total_scanned: number;
      matched_count: number;
      unmatched_count: number;
    } | null = null;
    let attended: number;
    let unmatched: UnmatchedRow[] = [];
    if (scans && input.file) {
      const readable = scans.filter((s) => s.barcode !== null) as Array<
        (typeof scans)[number] & { barcode: string }
      >;
      const result = await recordScannedAttendance(trx, matchId, readable, attendedAt);
      attended = result.attended;
      unmatched = scans.flatMap((s): UnmatchedRow[] => {
        const outcome = s.barcode === null ? 'INVALID_FORMAT' : result.outcomes.get(s.barcode)!;
        if (outcome === 'ATTENDED') return [];
        return [
          { row_number: s.row, barcode: s.raw, scan_timestamp: s.scanned_at, reason: outcome },
        ];
      });
      const counts = {
        total_scanned: scans.length,
        matched_count: scans.length - unmatched.length,
        unmatched_count: unmatched.length,
      };
      const importId = await insertAttendanceImport(trx, {
        match_id: matchId,
        file_name: input.file.name,
        ...counts,
        attended_tickets: attended,
        imported_by: actor.userId,
        imported_at: now,
      });
      await insertUnmatched(trx, importId, unmatched);
      attendance = { import_id: importId, file_name: input.file.name, ...counts };
    } else {
      attended = await assumeAttendance(trx, matchId, attendedAt);
    }
    await enqueueMatchAward(deps, trx, matchId);
    await recordAudit(deps, trx, {
      domain: 'access_control',
      action: 'attendance_recorded',
      actor: actor.userId ? { type: 'user', id: actor.userId } : { type: 'system' },
      subject: { type: 'match', id: matchId },
      changes: {
        attendance_mode: match.attendance_mode,
        attended_tickets: attended,
        ...(attendance ?? {}),
      },
      context: actor.context,
    });
    return {
      match_id: matchId,
      status: 'CLOSED' as const,
      closed_at: match.closed_at!.toISOString(),
      attendance_mode: scans ? ('WITH_DATA' as const) : ('WITHOUT_DATA' as const),
      closure_reason: match.closure_reason,
      attended_tickets: attended,
      attendance,
      unmatched: unmatched.slice(0, UNMATCHED_IN_RESPONSE).map(unmatchedOut),
      unmatched_truncated: unmatched.length > UNMATCHED_IN_RESPONSE,
      loyalty_award_queued: true,
    };
  });
}

const unmatchedOut = (u: UnmatchedRow) => ({
  row: u.row_number,
  barcode: u.barcode,
  scan_timestamp: u.scan_timestamp ? u.scan_timestamp.toISOString() : null,
  reason: u.reason,
});

/** GET /admin/matches/{id}/attendance: the closure's import and its unmatched rows. */
export async function getAttendance(
  deps: Pick<AppDeps, 'db'>,
  matchId: string,
  page: { page: number; limit: number },
) {
  const match = await findMatchSummary(deps.db, matchId);
  if (!match) throw notFound('Match');
  const imported = await findImportOfMatch(deps.db, matchId);
  const unmatched = imported
    ? await listUnmatched(deps.db, imported.id, {
        offset: (page.page - 1) * page.limit,
        limit: page.limit,
      })
    : [];
  return {
    match_id: matchId,
    status: match.status,
    closed_at: match.closed_at ? match.closed_at.toISOString() : null,
    attendance_mode: match.attendance_mode,
    closure_reason: match.closure_reason,
    attendance: imported
      ? {
          import_id: imported.id,
          file_name: imported.file_name,
          total_scanned: imported.total_scanned,
          matched_count: imported.matched_count,
          unmatched_count: imported.unmatched_count,
          attended_tickets: imported.attended_tickets,
          imported_by: imported.imported_by,
          imported_at: imported.imported_at.toISOString(),
        }
      : null,
    unmatched: unmatched.map((u) => unmatchedOut(u as UnmatchedRow)),
    page: page.page,
    limit: page.limit,
    total: imported?.unmatched_count ?? 0,
  };
}
