import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Seats, SectorSeatMaps } from '../../platform/db/types.generated.ts';
import type { GeneratedSeat, SeatType } from './seat-map.ts';

/** SQL of seat maps and seats. Every function takes the caller's executor. */

export type SeatRow = Selectable<Seats>;
export type SeatMapRow = Selectable<SectorSeatMaps>;
export async function findSeatMap(db: Executor, sectorId: string): Promise<SeatMapRow | undefined> {
  return db
    .selectFrom('sector_seat_maps')
    .selectAll()
    .where('sector_id', '=', sectorId)
    .executeTakeFirst();
}

export async function insertSeatMap(
  db: Executor,
  values: { sector_id: string; seat_map_json: unknown; total_seats: number },
): Promise<SeatMapRow> {
  return db
    .insertInto('sector_seat_maps')
    .values({ ...values, seat_map_json: JSON.stringify(values.seat_map_json) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Several sectors' maps at once, with their status (the seed writes them GENERATED). */
export async function insertSeatMaps(
  db: Executor,
  values: Array<{
    sector_id: string;
    seat_map_json: unknown;
    total_seats: number;
    configuration_status: 'DRAFT' | 'GENERATED';
  }>,
): Promise<void> {
  if (values.length === 0) return;
  await db
    .insertInto('sector_seat_maps')
    .values(values.map((v) => ({ ...v, seat_map_json: JSON.stringify(v.seat_map_json) })))
    .execute();
}

export async function updateSeatMap(
  db: Executor,
  sectorId: string,
  values: { seat_map_json: unknown; total_seats: number },
): Promise<SeatMapRow> {
  return db
    .updateTable('sector_seat_maps')
    .set({
      seat_map_json: JSON.stringify(values.seat_map_json),
      total_seats: values.total_seats,
      configuration_status: 'DRAFT',
    })
    .where('sector_id', '=', sectorId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function setSeatMapStatus(
  db: Executor,
  sectorId: string,
  status: 'DRAFT' | 'GENERATED',
): Promise<void> {
  await db
    .updateTable('sector_seat_maps')
    .set({ configuration_status: status })
    .where('sector_id', '=', sectorId)
    .execute();
}

export async function deleteSeatMap(db: Executor, sectorId: string): Promise<void> {
  await db.deleteFrom('sector_seat_maps').where('sector_id', '=', sectorId).execute();
}

/** Keeps the sector's denormalised flags in step with its seat map and seats. */
export async function setSectorSeatFacts(
  db: Executor,
  sectorId: string,
  facts: { has_seat_map?: boolean; seat_count?: number },
): Promise<void> {
  await db.updateTable('sectors').set(facts).where('id', '=', sectorId).execute();
}

// Seats --------------------------------------------------------------------------------

export async function countSeats(db: Executor, sectorId: string): Promise<number> {
  const row = await db
    .selectFrom('seats')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('sector_id', '=', sectorId)
    .executeTakeFirstOrThrow();
  return row.n;
}

/**
 * How the sector's seats are used by match inventories: `on_sale` counts inventory rows
 * that are SOLD or belong to a match whose configuration is LOCKED (sales may run at any
 * moment); `referenced` counts every inventory row (any of them keeps the seat alive).
 */
export async function seatInventoryUse(
  db: Executor,
  sectorId: string,
): Promise<{ on_sale: number; referenced: number }> {
  const row = await db
    .selectFrom('match_seat_inventory as i')
    .innerJoin('seats as s', 's.id', 'i.seat_id')
    .innerJoin('matches as m', 'm.id', 'i.match_id')
    .select([
      sql<number>`count(*) FILTER (WHERE i.status = 'SOLD' OR m.stadium_config_status = 'LOCKED')::int`.as(
        'on_sale',
      ),
      sql<number>`count(*)::int`.as('referenced'),
    ])
    .where('s.sector_id', '=', sectorId)
    .executeTakeFirstOrThrow();
  return row;
}

export async function deleteSeats(db: Executor, sectorId: string): Promise<number> {
  const result = await db.deleteFrom('seats').where('sector_id', '=', sectorId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** One statement for the whole sector (unnest of column arrays): fast for thousands. */
export async function insertSeats(
  db: Executor,
  sectorId: string,
  seats: readonly GeneratedSeat[],
): Promise<SeatRow[]> {
  if (seats.length === 0) return [];
  const result = await sql<SeatRow>`
    INSERT INTO seats (sector_id, row_identifier, seat_number, seat_type, row_index, col_index)
    SELECT ${sectorId}::uuid, u.r, u.n, u.t::seat_type, u.ri, u.ci
      FROM unnest(
        ${seats.map((s) => s.row_identifier)}::text[],
        ${seats.map((s) => s.seat_number)}::int[],
        ${seats.map((s) => s.seat_type)}::text[],
        ${seats.map((s) => s.row_index)}::int[],
        ${seats.map((s) => s.col_index)}::int[]
      ) AS u(r, n, t, ri, ci)
    RETURNING *`.execute(db);
  return result.rows.sort((a, b) => a.row_index - b.row_index || a.col_index - b.col_index);
}

/**
 * Seats of many sectors in one statement, nothing returned: the seed's path, where a whole
 * stadium (≈34,000 seats for Poljud) goes in with one round trip.
 */
export async function insertSeatsBulk(
  db: Executor,
  seats: ReadonlyArray<GeneratedSeat & { sector_id: string }>,
): Promise<void> {
  if (seats.length === 0) return;
  await sql`
    INSERT INTO seats (sector_id, row_identifier, seat_number, seat_type, row_index, col_index)
    SELECT u.s, u.r, u.n, u.t::seat_type, u.ri, u.ci
      FROM unnest(
        ${seats.map((s) => s.sector_id)}::uuid[],
        ${seats.map((s) => s.row_identifier)}::text[],
        ${seats.map((s) => s.seat_number)}::int[],
        ${seats.map((s) => s.seat_type)}::text[],
        ${seats.map((s) => s.row_index)}::int[],
        ${seats.map((s) => s.col_index)}::int[]
      ) AS u(s, r, n, t, ri, ci)`.execute(db);
}

export async function findSeat(db: Executor, seatId: string): Promise<SeatRow | undefined> {
  return db.selectFrom('seats').selectAll().where('id', '=', seatId).executeTakeFirst();
}

/** Of the given ids, those that are not seats of the sector. */
export async function seatIdsOutsideSector(
  db: Executor,
  sectorId: string,
  seatIds: readonly string[],
): Promise<string[]> {
  const found = await db
    .selectFrom('seats')
    .select('id')
    .where('sector_id', '=', sectorId)
    .where('id', 'in', seatIds)
    .execute();
  const inside = new Set(found.map((r) => r.id));
  return seatIds.filter((id) => !inside.has(id));
}

export async function classifySeats(
  db: Executor,
  sectorId: string,
  seatType: SeatType,
  target:
    | { seat_ids: readonly string[] }
    | { rows: [number, number]; cols?: [number | undefined, number | undefined] },
): Promise<number> {
  let query = db
    .updateTable('seats')
    .set({ seat_type: seatType })
    .where('sector_id', '=', sectorId);
  if ('seat_ids' in target) {
    query = query.where('id', 'in', target.seat_ids);
  } else {
    query = query.where('row_index', '>=', target.rows[0]).where('row_index', '<=', target.rows[1]);
    const [from, to] = target.cols ?? [];
    if (from !== undefined) query = query.where('col_index', '>=', from);
    if (to !== undefined) query = query.where('col_index', '<=', to);
  }
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function updateSeatType(
  db: Executor,
  seatId: string,
  seatType: SeatType,
): Promise<SeatRow | undefined> {
  return db
    .updateTable('seats')
    .set({ seat_type: seatType })
    .where('id', '=', seatId)
    .returningAll()
    .executeTakeFirst();
}
