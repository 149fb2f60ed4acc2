import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { effectiveStatus, heldAt } from './inventory.repo.ts';
import type { SeatStatus } from './seat-status.ts';

/** SQL of bulk status operations (E3-F3); holds are decided inside the writing statement. */

export interface BulkSelection {
  matchId: string;
  seatIds: string[] | null;
  matchSectorId: string | null;
  fromRowIndex: number | null;
  toRowIndex: number | null;
}

/** The selection predicate over `match_seat_inventory i` (status filters are applied later). */
const selectionPredicate = (s: BulkSelection): RawBuilder<boolean> => {
  const parts = [sql`i.match_id = ${s.matchId}`];
  if (s.seatIds) parts.push(sql`i.id = ANY(${s.seatIds}::uuid[])`);
  if (s.matchSectorId) parts.push(sql`i.match_sector_id = ${s.matchSectorId}`);
  if (s.fromRowIndex !== null && s.toRowIndex !== null)
    parts.push(sql`i.row_index BETWEEN ${s.fromRowIndex} AND ${s.toRowIndex}`);
  return sql<boolean>`(${sql.join(parts, sql` AND `)})`;
};

/** Ids of the selection that exist (to report unknown seat ids before accepting the job). */
export async function selectedIds(db: Executor, s: BulkSelection): Promise<string[]> {
  const result = await sql<{
    id: string;
  }>`SELECT i.id FROM match_seat_inventory i WHERE ${selectionPredicate(s)}`.execute(db);
  return result.rows.map((r) => r.id);
}

export async function countSelection(db: Executor, s: BulkSelection): Promise<number> {
  const result = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM match_seat_inventory i WHERE ${selectionPredicate(s)}`.execute(
    db,
  );
  return result.rows[0]?.n ?? 0;
}

export async function insertBulkOperation(
  db: Executor,
  input: BulkSelection & {
    statusFilter: SeatStatus[] | null;
    toStatus: SeatStatus;
    reason: string;
    requestedBy: string;
    batchSize: number;
    totalCount: number;
    now: Date;
  },
) {
  return db
    .insertInto('seat_bulk_operations')
    .values({
      match_id: input.matchId,
      seat_ids: input.seatIds,
      match_sector_id: input.matchSectorId,
      from_row_index: input.fromRowIndex,
      to_row_index: input.toRowIndex,
      status_filter: input.statusFilter,
      to_status: input.toStatus,
      reason: input.reason,
      requested_by: input.requestedBy,
      batch_size: input.batchSize,
      total_count: input.totalCount,
      created_at: input.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}

export async function findBulkOperation(db: Executor, id: string, forUpdate = false) {
  let q = db
    .selectFrom('seat_bulk_operations')
    .select([
      'id',
      'match_id',
      'seat_ids',
      'match_sector_id',
      'from_row_index',
      'to_row_index',
      // node-pg leaves arrays of enum types as '{A,B}' text; text[] comes back as an array
      sql<SeatStatus[] | null>`status_filter::text[]`.as('status_filter'),
      'to_status',
      'reason',
      'requested_by',
      'status',
      'batch_size',
      'total_count',
      'processed_count',
      'updated_count',
      'unchanged_count',
      'filtered_count',
      'skipped_count',
      'batches_done',
      'cursor_id',
      'error',
      'created_at',
      'started_at',
      'finished_at',
    ])
    .where('id', '=', id);
  if (forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export type BulkOperationRow = NonNullable<Awaited<ReturnType<typeof findBulkOperation>>>;

export type BatchOutcome = 'UPDATED' | 'UNCHANGED' | 'FILTERED' | 'HELD' | 'INVALID_TRANSITION';

/**
 * One batch of a bulk status change, as one statement: lock the next `batchSize` selected
 * rows after the cursor (FOR UPDATE: a concurrent hold either committed before, and the
 * row is seen held, or waits and then finds the new status), update those that are not
 * held, match the status filter and may move to the target, write their seat_audit_logs
 * rows, record the skipped ones, and report each row's outcome.
 */
export async function runBulkBatch(
  db: Executor,
  input: {
    operationId: string;
    selection: BulkSelection;
    cursorId: string | null;
    batchSize: number;
    toStatus: SeatStatus;
    allowedFrom: SeatStatus[];
    statusFilter: SeatStatus[] | null;
    reason: string;
    by: string | null;
    now: Date;
  },
): Promise<{ id: string; outcome: BatchOutcome }[]> {
  const { now, toStatus } = input;
  const filter = input.statusFilter;
  const result = await sql<{ id: string; outcome: BatchOutcome }>`
    WITH candidates AS (
      SELECT i.id, i.status, i.held_until,
             ${heldAt(now)} AS held,
             ${effectiveStatus(now)} AS eff
        FROM match_seat_inventory i
       WHERE ${selectionPredicate(input.selection)}
         AND (${input.cursorId}::uuid IS NULL OR i.id > ${input.cursorId}::uuid)
       ORDER BY i.id
       LIMIT ${input.batchSize}
         FOR UPDATE
    ),
    updated AS (
      UPDATE match_seat_inventory t
         SET status = ${toStatus}::seat_status, hold_kind = NULL, hold_owner_id = NULL,
             held_until = NULL, version = t.version + 1,
             last_modified_by = ${input.by}, last_modified_at = ${now}
        FROM candidates c
       WHERE t.id = c.id
         AND NOT c.held
         AND c.eff <> ${toStatus}::seat_status
         AND (${filter}::seat_status[] IS NULL OR c.eff = ANY(${filter}::seat_status[]))
         AND c.eff = ANY(${input.allowedFrom}::seat_status[])
      RETURNING t.id, c.eff AS from_status
    ),
    logged AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, bulk_operation_id, created_at)
      SELECT u.id, u.from_status, ${toStatus}::seat_status, ${input.reason}, ${input.by},
             ${input.operationId}, ${now}
        FROM updated u
    ),
    outcomes AS (
      SELECT c.id, c.status, c.held_until,
             CASE WHEN u.id IS NOT NULL THEN 'UPDATED'
                  WHEN c.held THEN 'HELD'
                  WHEN c.eff = ${toStatus}::seat_status THEN 'UNCHANGED'
                  WHEN ${filter}::seat_status[] IS NOT NULL
                       AND NOT c.eff = ANY(${filter}::seat_status[]) THEN 'FILTERED'
                  ELSE 'INVALID_TRANSITION' END AS outcome
        FROM candidates c LEFT JOIN updated u ON u.id = c.id
    ),
    skipped AS (
      INSERT INTO seat_bulk_operation_skips
             (operation_id, match_seat_inventory_id, reason, status, held_until)
      SELECT ${input.operationId}, o.id, o.outcome::bulk_skip_reason, o.status, o.held_until
        FROM outcomes o
       WHERE o.outcome IN ('HELD', 'INVALID_TRANSITION')
      ON CONFLICT DO NOTHING
    )
    SELECT o.id, o.outcome FROM outcomes o ORDER BY o.id`.execute(db);
  return result.rows;
}

/**
 * PENDING → RUNNING. Only an unfinished operation: a re-delivered job starting while
 * another run commits the last batch must not turn the COMPLETED operation back.
 */
export async function markBulkOperationRunning(db: Executor, id: string, now: Date) {
  await db
    .updateTable('seat_bulk_operations')
    .set({ status: 'RUNNING', started_at: sql`coalesce(started_at, ${now})` })
    .where('id', '=', id)
    .where('status', 'in', ['PENDING', 'RUNNING'])
    .execute();
}

export async function advanceBulkOperation(
  db: Executor,
  id: string,
  delta: {
    cursorId: string;
    processed: number;
    updated: number;
    unchanged: number;
    filtered: number;
    skipped: number;
  },
) {
  await db
    .updateTable('seat_bulk_operations')
    .set((eb) => ({
      cursor_id: delta.cursorId,
      processed_count: eb('processed_count', '+', delta.processed),
      updated_count: eb('updated_count', '+', delta.updated),
      unchanged_count: eb('unchanged_count', '+', delta.unchanged),
      filtered_count: eb('filtered_count', '+', delta.filtered),
      skipped_count: eb('skipped_count', '+', delta.skipped),
      batches_done: eb('batches_done', '+', 1),
    }))
    .where('id', '=', id)
    .execute();
}

export async function finishBulkOperation(
  db: Executor,
  id: string,
  outcome: { status: 'COMPLETED' | 'FAILED'; error?: string; now: Date },
) {
  await db
    .updateTable('seat_bulk_operations')
    .set({ status: outcome.status, error: outcome.error ?? null, finished_at: outcome.now })
    .where('id', '=', id)
    .execute();
}

/** The seats an operation skipped, with where they are (first `limit`, by sector/row/seat). */
export async function listBulkSkips(db: Executor, operationId: string, limit: number) {
  return db
    .selectFrom('seat_bulk_operation_skips as k')
    .innerJoin('match_seat_inventory as i', 'i.id', 'k.match_seat_inventory_id')
    .innerJoin('seats as s', 's.id', 'i.seat_id')
    .innerJoin('match_sectors as ms', 'ms.id', 'i.match_sector_id')
    .select([
      'k.match_seat_inventory_id as id',
      'k.reason',
      'k.status',
      'k.held_until',
      'ms.code as sector_code',
      's.row_identifier',
      's.seat_number',
    ])
    .where('k.operation_id', '=', operationId)
    .orderBy('ms.code')
    .orderBy('i.row_index')
    .orderBy('i.col_index')
    .limit(limit)
    .execute();
}
