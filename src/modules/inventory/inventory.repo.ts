import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { HoldKind, QuotaSeatStatus, SeatType } from '../../platform/db/types.generated.ts';
import type { SeatStatus } from './seat-status.ts';

/**
 * SQL of the inventory module. Every "is it held / what does it show" decision that a
 * write depends on is made inside the statement that writes (architecture invariants 1–3):
 * a RESERVED seat counts as held only while held_until is in the future (or has no
 * expiry); an expired hold counts as AVAILABLE.
 */

/** The status a row shows at `now` (an expired hold shows AVAILABLE). */
const effectiveStatus = (now: Date): RawBuilder<SeatStatus> =>
  sql<SeatStatus>`(CASE WHEN i.status = 'RESERVED' AND i.held_until < ${now} THEN 'AVAILABLE'::seat_status ELSE i.status END)`;

/** Is the row in a live hold at `now`? */
const heldAt = (now: Date): RawBuilder<boolean> =>
  sql<boolean>`(i.status = 'RESERVED' AND (i.held_until IS NULL OR i.held_until >= ${now}))`;

export interface InventorySeatRow {
  id: string;
  match_id: string;
  seat_id: string;
  match_sector_id: string;
  sector_code: string;
  sector_name: string;
  row_identifier: string;
  seat_number: number;
  seat_type: SeatType;
  stored_status: SeatStatus;
  status: SeatStatus;
  held: boolean;
  hold_kind: HoldKind | null;
  hold_owner_id: string | null;
  held_until: Date | null;
  row_index: number;
  col_index: number;
  snake_order: number;
  version: number;
  last_modified_by: string | null;
  last_modified_at: Date;
}

function seatQuery(db: Executor, now: Date) {
  return db
    .selectFrom('match_seat_inventory as i')
    .innerJoin('seats as s', 's.id', 'i.seat_id')
    .innerJoin('match_sectors as ms', 'ms.id', 'i.match_sector_id')
    .select([
      'i.id',
      'i.match_id',
      'i.seat_id',
      'i.match_sector_id',
      'ms.code as sector_code',
      'ms.name as sector_name',
      's.row_identifier',
      's.seat_number',
      's.seat_type',
      'i.status as stored_status',
      effectiveStatus(now).as('status'),
      heldAt(now).as('held'),
      'i.hold_kind',
      'i.hold_owner_id',
      'i.held_until',
      'i.row_index',
      'i.col_index',
      'i.snake_order',
      'i.version',
      'i.last_modified_by',
      'i.last_modified_at',
    ]);
}

export async function findSeat(
  db: Executor,
  id: string,
  now: Date,
): Promise<InventorySeatRow | undefined> {
  return seatQuery(db, now).where('i.id', '=', id).executeTakeFirst();
}

/**
 * The optimistic write of a single status change: only if nobody changed the row since it
 * was read (same version). Clears any hold (a staff status is never a hold).
 */
export async function updateStatusIfVersion(
  db: Executor,
  input: { id: string; version: number; to: SeatStatus; by: string; now: Date },
): Promise<{ id: string; version: number } | undefined> {
  return db
    .updateTable('match_seat_inventory')
    .set({
      status: input.to,
      hold_kind: null,
      hold_owner_id: null,
      held_until: null,
      version: sql`version + 1`,
      last_modified_by: input.by,
      last_modified_at: input.now,
    })
    .where('id', '=', input.id)
    .where('version', '=', input.version)
    .returning(['id', 'version'])
    .executeTakeFirst();
}

export async function insertSeatAuditLog(
  db: Executor,
  row: {
    match_seat_inventory_id: string;
    from_status: SeatStatus;
    to_status: SeatStatus;
    reason: string;
    changed_by: string;
    created_at: Date;
  },
): Promise<void> {
  await db.insertInto('seat_audit_logs').values(row).execute();
}

// Lookups ----------------------------------------------------------------------------------

export async function findMatch(db: Executor, id: string) {
  return db
    .selectFrom('matches')
    .select(['id', 'home_team', 'away_team', 'kick_off_time', 'status'])
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findMatchSector(db: Executor, matchId: string, matchSectorId: string) {
  return db
    .selectFrom('match_sectors')
    .select(['id', 'match_id', 'sector_id', 'code', 'name', 'total_capacity'])
    .where('match_id', '=', matchId)
    .where('id', '=', matchSectorId)
    .executeTakeFirst();
}

/** The row_index of a row label within a sector's seats (null: no such row). */
export async function findRowIndex(
  db: Executor,
  sectorId: string,
  rowIdentifier: string,
): Promise<number | null> {
  const row = await db
    .selectFrom('seats')
    .select(({ fn }) => fn.min('row_index').as('row_index'))
    .where('sector_id', '=', sectorId)
    .where('row_identifier', '=', rowIdentifier)
    .executeTakeFirst();
  return row?.row_index ?? null;
}

// Search and listing -----------------------------------------------------------------------

export interface SeatFilters {
  matchId?: string;
  matchSectorId?: string;
  rowIdentifier?: string;
  seatNumber?: number;
  statuses?: SeatStatus[];
  modifiedFrom?: Date;
  modifiedTo?: Date;
}

export interface Page {
  page: number;
  limit: number;
}

function filtered(db: Executor, f: SeatFilters, now: Date) {
  let q = seatQuery(db, now);
  if (f.matchId) q = q.where('i.match_id', '=', f.matchId);
  if (f.matchSectorId) q = q.where('i.match_sector_id', '=', f.matchSectorId);
  if (f.rowIdentifier !== undefined) q = q.where('s.row_identifier', '=', f.rowIdentifier);
  if (f.seatNumber !== undefined) q = q.where('s.seat_number', '=', f.seatNumber);
  if (f.statuses?.length)
    q = q.where(sql<boolean>`${effectiveStatus(now)} = ANY(${f.statuses}::seat_status[])`);
  if (f.modifiedFrom) q = q.where('i.last_modified_at', '>=', f.modifiedFrom);
  if (f.modifiedTo) q = q.where('i.last_modified_at', '<', f.modifiedTo);
  return q;
}

/**
 * One page of seats plus the total, ordered for display (sector, row, column). The total
 * rides on the page query as a window count; only a page past the end needs a second query.
 */
export async function listSeats(
  db: Executor,
  f: SeatFilters,
  page: Page,
  now: Date,
): Promise<{ items: InventorySeatRow[]; total: number }> {
  const rows = await filtered(db, f, now)
    .select(sql<number>`count(*) OVER ()`.as('total_count'))
    .orderBy('ms.code')
    .orderBy('i.match_id')
    .orderBy('i.row_index')
    .orderBy('i.col_index')
    .limit(page.limit)
    .offset((page.page - 1) * page.limit)
    .execute();
  if (rows.length > 0) {
    const total = Number(rows[0]!.total_count);
    return { items: rows.map(({ total_count: _t, ...r }) => r), total };
  }
  if (page.page === 1) return { items: [], total: 0 };
  const counted = await filtered(db, f, now)
    .clearSelect()
    .select(({ fn }) => fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { items: [], total: Number(counted.n) };
}

export interface SearchFilters extends SeatFilters {
  /** Lower-cased email of a ticket holder, purchaser or ticket owner. */
  email?: string;
  /** Seats of this quota (its live, not CANCELLED, quota_seats rows). */
  quotaId?: string;
}

export interface SearchRow extends InventorySeatRow {
  home_team: string;
  away_team: string;
  kick_off_time: Date;
  quota_id: string | null;
  quota_seat_status: QuotaSeatStatus | null;
  ticket_id: string | null;
  ticket_status: string | null;
  order_id: string | null;
  order_number: string | null;
  holder_full_name: string | null;
  holder_email: string | null;
  purchaser_email: string | null;
}

/**
 * E3-F4: seats with their match, quota and ticket. Without an email the ticket is the seat's
 * valid one (SOLD/ATTENDED), if any; with an email every ticket (any status) whose holder,
 * purchaser or current owner has that email gives a row. The quota is the seat's live
 * quota_seats row (not CANCELLED; at most one, `quota_seats_live_seat_key`), so the join
 * never multiplies rows; with `quotaId` only that quota's seats remain.
 */
export async function searchSeats(
  db: Executor,
  f: SearchFilters,
  page: Page,
  now: Date,
): Promise<{ items: SearchRow[]; total: number }> {
  const base = () => {
    const q = filtered(db, f, now)
      .innerJoin('matches as m', 'm.id', 'i.match_id')
      .leftJoin('tickets as t', (join) => {
        const onSeat = join.onRef('t.match_seat_inventory_id', '=', 'i.id');
        return f.email ? onSeat : onSeat.on('t.status', 'in', ['SOLD', 'ATTENDED']);
      })
      .leftJoin('orders as o', 'o.id', 't.order_id')
      .leftJoin('users as pu', 'pu.id', 'o.user_id')
      .leftJoin('users as ou', 'ou.id', 't.owner_user_id')
      .leftJoin('ticket_holders as th', 'th.ticket_id', 't.id')
      .leftJoin('quota_seats as qs', (join) =>
        join.onRef('qs.match_seat_inventory_id', '=', 'i.id').on('qs.status', '<>', 'CANCELLED'),
      );
    const byQuota = f.quotaId ? q.where('qs.quota_id', '=', f.quotaId) : q;
    if (!f.email) return byQuota;
    const email = f.email;
    return byQuota.where((eb) =>
      eb.or([
        eb(sql<string>`lower(th.email)`, '=', email),
        eb('pu.email', '=', email),
        eb('ou.email', '=', email),
      ]),
    );
  };
  const rows = await base()
    .select([
      'm.home_team',
      'm.away_team',
      'm.kick_off_time',
      'qs.quota_id',
      'qs.status as quota_seat_status',
      't.id as ticket_id',
      sql<string | null>`t.status::text`.as('ticket_status'),
      'o.id as order_id',
      'o.order_number',
      'th.full_name as holder_full_name',
      'th.email as holder_email',
      'pu.email as purchaser_email',
      sql<number>`count(*) OVER ()`.as('total_count'),
    ])
    .orderBy('m.kick_off_time')
    .orderBy('i.match_id')
    .orderBy('ms.code')
    .orderBy('i.row_index')
    .orderBy('i.col_index')
    .orderBy('t.id')
    .limit(page.limit)
    .offset((page.page - 1) * page.limit)
    .execute();
  if (rows.length > 0) {
    const total = Number(rows[0]!.total_count);
    return { items: rows.map(({ total_count: _t, ...r }) => r), total };
  }
  if (page.page === 1) return { items: [], total: 0 };
  const counted = await base()
    .clearSelect()
    .select(({ fn }) => fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { items: [], total: Number(counted.n) };
}

/** Every seat of a match sector with its map cell, for drawing. */
export async function sectorSeatsForMap(db: Executor, matchSectorId: string, now: Date) {
  return db
    .selectFrom('match_seat_inventory as i')
    .innerJoin('seats as s', 's.id', 'i.seat_id')
    .select([
      'i.id',
      's.row_identifier',
      's.seat_number',
      'i.row_index',
      'i.col_index',
      effectiveStatus(now).as('status'),
    ])
    .where('i.match_sector_id', '=', matchSectorId)
    .orderBy('i.row_index')
    .orderBy('i.col_index')
    .execute();
}

// Status summary (E3-F5) -------------------------------------------------------------------

export interface SectorSummaryRow {
  match_sector_id: string;
  code: string;
  name: string;
  total_capacity: number;
  seat_count: number;
  counts: Record<SeatStatus, number>;
  dominant_status: SeatStatus | null;
}

/**
 * Counts per status for every sector of a match, total capacity and the dominant status,
 * in one statement: one pass over the match's inventory rows grouped by sector, the counts
 * folded into a JSON object and the dominant status picked by a lateral over the counts
 * (ties to the earlier status in enum order). Expired holds count as AVAILABLE.
 */
export async function sectorStatusSummary(
  db: Executor,
  matchId: string,
  now: Date,
): Promise<SectorSummaryRow[]> {
  return (await sectorStatusSummaryQuery(matchId, now).execute(db)).rows;
}

/** The summary statement itself (also compiled by the benchmark to EXPLAIN it). */
export function sectorStatusSummaryQuery(matchId: string, now: Date) {
  return sql<SectorSummaryRow>`
    WITH counts AS (
      SELECT i.match_sector_id, ${effectiveStatus(now)} AS status, count(*)::int AS n
        FROM match_seat_inventory i
       WHERE i.match_id = ${matchId}
       GROUP BY 1, 2
    )
    SELECT ms.id AS match_sector_id, ms.code, ms.name, ms.total_capacity,
           coalesce(sum(c.n), 0)::int AS seat_count,
           (SELECT jsonb_object_agg(e.s, coalesce(c2.n, 0))
              FROM unnest(enum_range(NULL::seat_status)) AS e(s)
              LEFT JOIN counts c2 ON c2.match_sector_id = ms.id AND c2.status = e.s) AS counts,
           (SELECT c3.status FROM counts c3
             WHERE c3.match_sector_id = ms.id
             ORDER BY c3.n DESC, c3.status ASC LIMIT 1) AS dominant_status
      FROM match_sectors ms
      LEFT JOIN counts c ON c.match_sector_id = ms.id
     WHERE ms.match_id = ${matchId}
     GROUP BY ms.id
     ORDER BY ms.code`;
}

// Bulk operations (E3-F3) ------------------------------------------------------------------

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
