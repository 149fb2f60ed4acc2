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
export const effectiveStatus = (now: Date): RawBuilder<SeatStatus> =>
  sql<SeatStatus>`(CASE WHEN i.status = 'RESERVED' AND i.held_until < ${now} THEN 'AVAILABLE'::seat_status ELSE i.status END)`;

/** Is the row in a live hold at `now`? */
export const heldAt = (now: Date): RawBuilder<boolean> =>
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
