import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type {
  Json,
  Seats,
  Sectors,
  SectorSeatMaps,
  SectorSnakeConfigs,
  Stadiums,
} from '../../platform/db/types.generated.ts';
import type { GeneratedSeat, SeatType } from './seat-map.ts';
import { DEFAULT_SNAKE_CONFIG, type SnakeConfig, type SubsectorGrouping } from './snake.ts';

/** The only SQL of the venues module. Every function takes the caller's executor. */

export type StadiumRow = Selectable<Stadiums>;
export type SectorRow = Selectable<Sectors>;
export type SeatRow = Selectable<Seats>;
export type SeatMapRow = Selectable<SectorSeatMaps>;
export type SnakeConfigRow = Selectable<SectorSnakeConfigs>;
export type StadiumWithCount = StadiumRow & { sector_count: number };

/** Postgres error codes the service turns into problems. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';

export function isPgError(error: unknown, code: string, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string } | null;
  return !!e && e.code === code && (constraint === undefined || e.constraint === constraint);
}

// Stadiums -----------------------------------------------------------------------------

export async function listStadiums(
  db: Executor,
  filters: { type?: 'HOME' | 'AWAY' },
  page: { offset: number; limit: number },
): Promise<{ rows: StadiumWithCount[]; total: number }> {
  let query = db.selectFrom('stadiums');
  if (filters.type) query = query.where('type', '=', filters.type);
  const [rows, count] = await Promise.all([
    query
      .selectAll('stadiums')
      .select(
        sql<number>`(SELECT count(*)::int FROM sectors WHERE sectors.stadium_id = stadiums.id)`.as(
          'sector_count',
        ),
      )
      .orderBy('name')
      .orderBy('id')
      .offset(page.offset)
      .limit(page.limit)
      .execute(),
    query.select(sql<number>`count(*)::int`.as('total')).executeTakeFirstOrThrow(),
  ]);
  return { rows: rows as StadiumWithCount[], total: count.total };
}

/** `lock` takes the row lock that serialises changes of one stadium's sectors. */
export async function findStadium(
  db: Executor,
  id: string,
  options: { lock?: boolean } = {},
): Promise<StadiumRow | undefined> {
  let query = db.selectFrom('stadiums').selectAll().where('id', '=', id);
  if (options.lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function findStadiumByName(db: Executor, name: string) {
  return db.selectFrom('stadiums').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function insertStadium(
  db: Executor,
  values: Insertable<Stadiums>,
): Promise<StadiumRow> {
  return db.insertInto('stadiums').values(values).returningAll().executeTakeFirstOrThrow();
}

/** base_capacity follows the sectors: the sum of their capacities. */
export async function syncBaseCapacity(db: Executor, stadiumId: string): Promise<void> {
  await db
    .updateTable('stadiums')
    .set({
      base_capacity: sql<number>`(SELECT coalesce(sum(capacity), 0)::int FROM sectors WHERE stadium_id = ${stadiumId})`,
    })
    .where('id', '=', stadiumId)
    .execute();
}

// Sectors ------------------------------------------------------------------------------

export async function listSectors(db: Executor, stadiumId: string): Promise<SectorRow[]> {
  return db
    .selectFrom('sectors')
    .selectAll()
    .where('stadium_id', '=', stadiumId)
    .orderBy('code')
    .execute();
}

/** `lock` takes the row lock that serialises seat map and seat changes of one sector. */
export async function findSector(
  db: Executor,
  id: string,
  options: { lock?: boolean } = {},
): Promise<SectorRow | undefined> {
  let query = db.selectFrom('sectors').selectAll().where('id', '=', id);
  if (options.lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function insertSector(db: Executor, values: Insertable<Sectors>): Promise<SectorRow> {
  return db.insertInto('sectors').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function insertSectors(
  db: Executor,
  values: Insertable<Sectors>[],
): Promise<SectorRow[]> {
  if (values.length === 0) return [];
  return db.insertInto('sectors').values(values).returningAll().execute();
}

export async function updateSector(
  db: Executor,
  id: string,
  values: Updateable<Sectors>,
): Promise<SectorRow> {
  return db
    .updateTable('sectors')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteSector(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('sectors').where('id', '=', id).execute();
}

/** How many match configurations use the sector (match_sectors rows). */
export async function matchSectorUses(db: Executor, sectorId: string): Promise<number> {
  const row = await db
    .selectFrom('match_sectors')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('sector_id', '=', sectorId)
    .executeTakeFirstOrThrow();
  return row.n;
}

// Seat maps ----------------------------------------------------------------------------

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

// Snake configuration ------------------------------------------------------------------

export async function findSnakeConfig(
  db: Executor,
  sectorId: string,
): Promise<SnakeConfigRow | undefined> {
  return db
    .selectFrom('sector_snake_configs')
    .selectAll()
    .where('sector_id', '=', sectorId)
    .executeTakeFirst();
}

export async function upsertSnakeConfig(
  db: Executor,
  sectorId: string,
  config: SnakeConfig,
): Promise<SnakeConfigRow> {
  const values = {
    best_row_index: config.best_row_index,
    traversal_direction: config.traversal_direction,
    within_row_strategy: config.within_row_strategy,
    subsector_grouping_json:
      config.subsector_grouping_json === null
        ? null
        : (JSON.stringify(config.subsector_grouping_json) as unknown as Json),
  };
  return db
    .insertInto('sector_snake_configs')
    .values({ sector_id: sectorId, ...values })
    .onConflict((oc) => oc.column('sector_id').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertSnakeConfigs(
  db: Executor,
  values: Array<{ sector_id: string; config: SnakeConfig }>,
): Promise<void> {
  if (values.length === 0) return;
  await db
    .insertInto('sector_snake_configs')
    .values(
      values.map(({ sector_id, config }) => ({
        sector_id,
        best_row_index: config.best_row_index,
        traversal_direction: config.traversal_direction,
        within_row_strategy: config.within_row_strategy,
        subsector_grouping_json:
          config.subsector_grouping_json === null
            ? null
            : (JSON.stringify(config.subsector_grouping_json) as unknown as Json),
      })),
    )
    .execute();
}

export const snakeConfigOf = (row: SnakeConfigRow | undefined): SnakeConfig =>
  row
    ? {
        best_row_index: row.best_row_index,
        traversal_direction: row.traversal_direction,
        within_row_strategy: row.within_row_strategy,
        subsector_grouping_json: row.subsector_grouping_json as SubsectorGrouping | null,
      }
    : DEFAULT_SNAKE_CONFIG;
