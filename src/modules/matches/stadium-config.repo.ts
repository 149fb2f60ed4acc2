import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Sectors, Stadiums } from '../../platform/db/types.generated.ts';

/**
 * SQL of the match stadium configuration: the stadium and its template sectors, and the
 * seat inventory a lock writes. Every function takes the caller's executor.
 */

export type StadiumRow = Selectable<Stadiums>;

// Stadiums and template sectors ----------------------------------------------------------

export async function findStadium(db: Executor, id: string): Promise<StadiumRow | undefined> {
  return db.selectFrom('stadiums').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertStadium(
  db: Executor,
  values: Insertable<Stadiums>,
): Promise<StadiumRow> {
  return db.insertInto('stadiums').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function insertSectors(
  db: Executor,
  values: Insertable<Sectors>[],
): Promise<Selectable<Sectors>[]> {
  if (values.length === 0) return [];
  return db.insertInto('sectors').values(values).returningAll().execute();
}

export interface TemplateSector extends Selectable<Sectors> {
  /** Seats actually generated for the sector (not the stored counter). */
  generated_seats: number;
  technical_generated_seats: number;
}

/** A stadium's sectors with their generated seat counts, in code order. */
export async function listTemplateSectors(
  db: Executor,
  stadiumId: string,
): Promise<TemplateSector[]> {
  const rows = await sql<TemplateSector>`
    SELECT s.*, coalesce(c.n, 0)::int AS generated_seats,
           coalesce(c.t, 0)::int AS technical_generated_seats
      FROM sectors s
      -- LATERAL: count only this stadium's seats, not every stadium's.
      LEFT JOIN LATERAL (
        SELECT count(*) AS n, count(*) FILTER (WHERE seat_type = 'TECHNICAL') AS t
          FROM seats WHERE seats.sector_id = s.id
      ) c ON true
     WHERE s.stadium_id = ${stadiumId}
     ORDER BY s.code`.execute(db);
  return rows.rows;
}

export async function findSector(
  db: Executor,
  id: string,
): Promise<Selectable<Sectors> | undefined> {
  return db.selectFrom('sectors').selectAll().where('id', '=', id).executeTakeFirst();
}

// Inventory ----------------------------------------------------------------------------

export async function countInventory(db: Executor, matchId: string): Promise<number> {
  const row = await db
    .selectFrom('match_seat_inventory')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('match_id', '=', matchId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface LockSeat {
  id: string;
  row_index: number;
  col_index: number;
  seat_type: 'STANDARD' | 'TECHNICAL' | 'ACCESSIBILITY' | 'COMPANION';
  sector_id: string;
  match_sector_id: string;
  sector_status: 'ACTIVE' | 'CLOSED' | 'MAINTENANCE';
}

/** Every seat of the match's numbered sectors, with the match sector it belongs to. */
export async function seatsToInventory(db: Executor, matchId: string): Promise<LockSeat[]> {
  const rows = await sql<LockSeat>`
    SELECT s.id, s.row_index, s.col_index, s.seat_type, s.sector_id,
           ms.id AS match_sector_id, ms.status AS sector_status
      FROM match_sectors ms
      JOIN seats s ON s.sector_id = ms.sector_id
     WHERE ms.match_id = ${matchId} AND ms.is_numbered`.execute(db);
  return rows.rows;
}

/** The per-sector snake configuration of the venues module (E2-F10); none = defaults. */
export async function snakeConfigs(db: Executor, sectorIds: readonly string[]) {
  if (sectorIds.length === 0) return [];
  return db
    .selectFrom('sector_snake_configs')
    .select([
      'sector_id',
      'best_row_index',
      'traversal_direction',
      'within_row_strategy',
      'subsector_grouping_json',
    ])
    .where('sector_id', 'in', sectorIds)
    .execute();
}

export interface InventoryBatch {
  seat_id: string[];
  match_sector_id: string[];
  row_index: number[];
  col_index: number[];
  snake_order: number[];
  status: string[];
}

const PLAIN_ELEMENTS = /^[A-Za-z0-9_,-]*$/;

/**
 * A PostgreSQL array literal for ids, integers and enum names. pg's generic array
 * serialiser escapes element by element and costs about as much CPU as the database
 * spends inserting 34,000 inventory rows; these elements never need escaping, which one
 * pass over the joined text checks (a comma inside an element cannot occur in ids,
 * integers or enum names).
 */
function arrayLiteral(values: readonly (string | number)[]): string {
  const body = values.join(',');
  if (!PLAIN_ELEMENTS.test(body)) throw new Error('arrayLiteral: an element needs escaping');
  return `{${body}}`;
}

/**
 * Writes the whole inventory of a match in one statement (arrays unnested server-side:
 * ~34,000 seats are a few MB of parameters and one round trip). A re-lock after an unlock
 * (`firstLock` false) updates the existing rows instead of duplicating them: position,
 * sector and snake order follow the configuration, and so does a status the configuration
 * derives (`derivedStatuses`); any other status staff gave a seat is kept. The first lock
 * is a plain INSERT: nothing can conflict yet (the match row is locked), and it spares
 * 34,000 speculative insertions.
 */
export async function upsertInventory(
  db: Executor,
  matchId: string,
  batch: InventoryBatch,
  derivedStatuses: readonly string[],
  firstLock: boolean,
): Promise<number> {
  const rows = sql`
    SELECT ${matchId}::uuid, u.seat_id, u.match_sector_id, u.row_index, u.col_index,
           u.snake_order, u.status::seat_status
      FROM unnest(${arrayLiteral(batch.seat_id)}::uuid[],
                  ${arrayLiteral(batch.match_sector_id)}::uuid[],
                  ${arrayLiteral(batch.row_index)}::int[], ${arrayLiteral(batch.col_index)}::int[],
                  ${arrayLiteral(batch.snake_order)}::int[], ${arrayLiteral(batch.status)}::text[])
           AS u(seat_id, match_sector_id, row_index, col_index, snake_order, status)`;
  if (firstLock) {
    const result = await sql`
      INSERT INTO match_seat_inventory
        (match_id, seat_id, match_sector_id, row_index, col_index, snake_order, status)
      ${rows}`.execute(db);
    return Number(result.numAffectedRows ?? 0);
  }
  const result = await sql`
    INSERT INTO match_seat_inventory
      (match_id, seat_id, match_sector_id, row_index, col_index, snake_order, status)
    ${rows}
    ON CONFLICT (match_id, seat_id) DO UPDATE SET
      match_sector_id = EXCLUDED.match_sector_id,
      row_index = EXCLUDED.row_index,
      col_index = EXCLUDED.col_index,
      snake_order = EXCLUDED.snake_order,
      status = CASE WHEN match_seat_inventory.status::text = ANY(${derivedStatuses as string[]})
                    THEN EXCLUDED.status ELSE match_seat_inventory.status END,
      last_modified_at = now(),
      version = match_seat_inventory.version + 1
    -- Rows the new configuration leaves as they are are not rewritten: a re-lock after an
    -- unlock with few changes costs little more than the conflict checks.
    WHERE match_seat_inventory.match_sector_id <> EXCLUDED.match_sector_id
       OR match_seat_inventory.row_index <> EXCLUDED.row_index
       OR match_seat_inventory.col_index <> EXCLUDED.col_index
       OR match_seat_inventory.snake_order <> EXCLUDED.snake_order
       OR (match_seat_inventory.status <> EXCLUDED.status
           AND match_seat_inventory.status::text = ANY(${derivedStatuses as string[]}))`.execute(
    db,
  );
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Drops inventory rows of sectors that are no longer numbered (changed since the previous
 * lock): they sell by capacity now. Rows of removed match sectors already went with them
 * (ON DELETE CASCADE), and seats cannot disappear under inventory rows (foreign key).
 * Only called once no seat is committed to a buyer.
 */
export async function deleteUnnumberedInventory(db: Executor, matchId: string): Promise<void> {
  await sql`
    DELETE FROM match_seat_inventory i
     USING match_sectors ms
     WHERE ms.id = i.match_sector_id AND ms.match_id = ${matchId} AND NOT ms.is_numbered`.execute(
    db,
  );
}
