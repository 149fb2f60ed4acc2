import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type {
  MatchAuditLogs,
  Matches,
  MatchSectors,
  PriceCategories,
  SalesPhases,
  Sectors,
  Stadiums,
} from '../../platform/db/types.generated.ts';
import type { MatchChangeType, MatchStatus, SectorFacts } from './matches.rules.ts';

/** The only SQL of the matches module. Every function takes the caller's executor. */

export type MatchRow = Selectable<Matches>;
export type SalesPhaseRow = Selectable<SalesPhases>;
export type PriceCategoryRow = Selectable<PriceCategories>;
export type MatchSectorRow = Selectable<MatchSectors>;
export type StadiumRow = Selectable<Stadiums>;

// Matches ------------------------------------------------------------------------------

export async function insertMatch(db: Executor, values: Insertable<Matches>): Promise<MatchRow> {
  return db.insertInto('matches').values(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * `lock` takes the row lock that serialises every change of one match's configuration.
 * FOR NO KEY UPDATE, not FOR UPDATE: the match's key never changes, and the weaker lock
 * does not conflict with the KEY SHARE lock that every insert referencing the match takes
 * for its foreign key check (carts, purchase limits, orders, tickets), so a configuration
 * change never makes the sale path wait.
 */
export async function findMatch(
  db: Executor,
  id: string,
  options: { lock?: boolean } = {},
): Promise<MatchRow | undefined> {
  let query = db.selectFrom('matches').selectAll().where('id', '=', id);
  if (options.lock) query = query.forNoKeyUpdate();
  return query.executeTakeFirst();
}

export interface MatchFilters {
  status?: MatchStatus;
  match_type?: 'HOME' | 'AWAY';
  from?: Date;
  to?: Date;
  include_deleted?: boolean;
}

export async function listMatches(
  db: Executor,
  filters: MatchFilters,
  page: { offset: number; limit: number },
): Promise<{ rows: MatchRow[]; total: number }> {
  let query = db.selectFrom('matches');
  if (filters.status) query = query.where('status', '=', filters.status);
  else if (!filters.include_deleted) query = query.where('status', '<>', 'DELETED');
  if (filters.match_type) query = query.where('match_type', '=', filters.match_type);
  if (filters.from) query = query.where('kick_off_time', '>=', filters.from);
  if (filters.to) query = query.where('kick_off_time', '<=', filters.to);
  const [rows, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('kick_off_time', 'asc')
      .orderBy('id', 'asc')
      .offset(page.offset)
      .limit(page.limit)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.total) };
}

/** Matches of one competition, deleted ones excluded (the demo sale finds its own by it). */
export async function listMatchesOfCompetition(
  db: Executor,
  competition: string,
): Promise<MatchRow[]> {
  return db
    .selectFrom('matches')
    .selectAll()
    .where('competition', '=', competition)
    .where('status', '<>', 'DELETED')
    .orderBy('created_at')
    .execute();
}

/** Whether any match (deleted ones too) exists outside `competition`. */
export async function hasMatchOutside(db: Executor, competition: string): Promise<boolean> {
  const row = await db
    .selectFrom('matches')
    .select('id')
    .where('competition', '<>', competition)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function updateMatch(
  db: Executor,
  id: string,
  patch: Updateable<Matches>,
): Promise<MatchRow> {
  return db
    .updateTable('matches')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertMatchAuditLog(
  db: Executor,
  entry: {
    match_id: string;
    changed_by: string | null;
    change_type: MatchChangeType;
    changes: Record<string, unknown>;
    notification_preference?: 'notify' | 'silent' | null;
  },
): Promise<void> {
  const values: Insertable<MatchAuditLogs> = {
    match_id: entry.match_id,
    changed_by: entry.changed_by,
    change_type: entry.change_type,
    changes_json: JSON.stringify(entry.changes),
    notification_preference: entry.notification_preference ?? null,
  };
  await db.insertInto('match_audit_logs').values(values).execute();
}

// Sales phases -------------------------------------------------------------------------

export async function listSalesPhases(db: Executor, matchId: string): Promise<SalesPhaseRow[]> {
  return db
    .selectFrom('sales_phases')
    .selectAll()
    .where('match_id', '=', matchId)
    .orderBy('start_at')
    .orderBy('id')
    .execute();
}

export async function findSalesPhase(
  db: Executor,
  matchId: string,
  phaseId: string,
): Promise<SalesPhaseRow | undefined> {
  return db
    .selectFrom('sales_phases')
    .selectAll()
    .where('match_id', '=', matchId)
    .where('id', '=', phaseId)
    .executeTakeFirst();
}

export async function insertSalesPhase(
  db: Executor,
  values: Insertable<SalesPhases>,
): Promise<SalesPhaseRow> {
  return db.insertInto('sales_phases').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function updateSalesPhase(
  db: Executor,
  id: string,
  patch: Updateable<SalesPhases>,
): Promise<SalesPhaseRow> {
  return db
    .updateTable('sales_phases')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** An active phase of the match has begun: sales have started (E2-F4 unlock rule). */
export async function hasStartedSalesPhase(
  db: Executor,
  matchId: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .selectFrom('sales_phases')
    .select('id')
    .where('match_id', '=', matchId)
    .where('is_active', '=', true)
    .where('start_at', '<=', now)
    .limit(1)
    .executeTakeFirst();
  return !!row;
}

// Price categories ---------------------------------------------------------------------

export async function listPriceCategories(
  db: Executor,
  matchId: string,
): Promise<PriceCategoryRow[]> {
  return db
    .selectFrom('price_categories')
    .selectAll()
    .where('match_id', '=', matchId)
    .orderBy('price', 'desc')
    .orderBy('name')
    .execute();
}

export async function findPriceCategory(
  db: Executor,
  matchId: string,
  id: string,
): Promise<PriceCategoryRow | undefined> {
  return db
    .selectFrom('price_categories')
    .selectAll()
    .where('match_id', '=', matchId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function insertPriceCategories(
  db: Executor,
  values: Insertable<PriceCategories>[],
): Promise<PriceCategoryRow[]> {
  if (values.length === 0) return [];
  return db.insertInto('price_categories').values(values).returningAll().execute();
}

export async function updatePriceCategory(
  db: Executor,
  id: string,
  patch: Updateable<PriceCategories>,
): Promise<PriceCategoryRow> {
  return db
    .updateTable('price_categories')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deletePriceCategory(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('price_categories').where('id', '=', id).execute();
}

export async function priceCategoryInUse(db: Executor, id: string): Promise<boolean> {
  const row = await db
    .selectFrom('match_sectors')
    .select('id')
    .where('price_category_id', '=', id)
    .limit(1)
    .executeTakeFirst();
  return !!row;
}

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

// Match sectors ------------------------------------------------------------------------

export async function listMatchSectors(db: Executor, matchId: string): Promise<MatchSectorRow[]> {
  return db
    .selectFrom('match_sectors')
    .selectAll()
    .where('match_id', '=', matchId)
    .orderBy('code')
    .execute();
}

/** `lock`: FOR NO KEY UPDATE (see findMatch), for the rest of the transaction. */
export async function findMatchSectors(
  db: Executor,
  matchId: string,
  ids: readonly string[],
  options: { lock?: boolean } = {},
): Promise<MatchSectorRow[]> {
  if (ids.length === 0) return [];
  let query = db
    .selectFrom('match_sectors')
    .selectAll()
    .where('match_id', '=', matchId)
    .where('id', 'in', ids)
    .orderBy('id');
  if (options.lock) query = query.forNoKeyUpdate();
  return query.execute();
}

/** The match sectors priced with a category. */
export async function sectorIdsWithPriceCategory(
  db: Executor,
  categoryId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('match_sectors')
    .select('id')
    .where('price_category_id', '=', categoryId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

export async function insertMatchSectors(
  db: Executor,
  values: Insertable<MatchSectors>[],
): Promise<MatchSectorRow[]> {
  if (values.length === 0) return [];
  return db.insertInto('match_sectors').values(values).returningAll().execute();
}

export async function updateMatchSector(
  db: Executor,
  id: string,
  patch: Updateable<MatchSectors>,
): Promise<MatchSectorRow> {
  return db
    .updateTable('match_sectors')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Removes a match's sectors; their inventory rows go with them (ON DELETE CASCADE). */
export async function deleteMatchSectors(db: Executor, matchId: string): Promise<void> {
  await db.deleteFrom('match_sectors').where('match_id', '=', matchId).execute();
}

/** Everything the configuration validation needs, one row per match sector. */
export async function sectorFacts(db: Executor, matchId: string): Promise<SectorFacts[]> {
  const rows = await sql<SectorFacts>`
    SELECT ms.id, ms.code, ms.status, ms.price_category_id, ms.total_capacity,
           ms.technical_seats, ms.sellable_capacity, ms.is_numbered, ms.has_seat_map,
           coalesce(c.n, 0)::int AS seat_count, coalesce(c.t, 0)::int AS technical_seat_count
      FROM match_sectors ms
      -- LATERAL: count only this match's sectors' seats, not every stadium's.
      LEFT JOIN LATERAL (
        SELECT count(*) AS n, count(*) FILTER (WHERE seat_type = 'TECHNICAL') AS t
          FROM seats WHERE seats.sector_id = ms.sector_id
      ) c ON true
     WHERE ms.match_id = ${matchId}
     ORDER BY ms.code`.execute(db);
  return rows.rows;
}

// Inventory ----------------------------------------------------------------------------

export interface InventoryCommitments {
  match_sector_id: string;
  /** SOLD seats. */
  sold: number;
  /** RESERVED seats in a live hold (held_until NULL or not yet passed at `now`). */
  held: number;
  /** RESERVED seats, live or expired. */
  reserved: number;
  /** ALLOCATED (quota) seats. */
  allocated: number;
}

/**
 * Per match sector, the seats committed to buyers: sold, held, allocated. Scope: the given
 * sectors of the match, or the whole match. Sectors with none of these do not appear.
 *
 * With `lock`, every inventory row of the scope is first locked `FOR NO KEY UPDATE NOWAIT`
 * and the counts are taken from the locked rows (their newest versions). That is what
 * makes a configuration change race-free against the sale path without slowing the sale
 * path: the claims lock seats with `FOR UPDATE SKIP LOCKED` (sales/claim.repo.ts), which
 * conflicts with this lock (as every update of the row does; foreign-key checks do not),
 * so while the change's transaction holds the rows every claim passes over them, and a
 * claim that holds a row first makes NOWAIT fail at once (error 55P03) instead of the
 * change waiting, or deadlocking, behind it. Every row is locked, not only the claimable
 * ones: a staff status change could otherwise make a seat AVAILABLE and a claim take it
 * before the change commits. Without `lock`, a plain read (index-only on
 * match_seat_inventory_summary_idx).
 */
export async function inventoryCommitments(
  db: Executor,
  scope: { matchId: string; matchSectorIds?: readonly string[] },
  now: Date,
  options: { lock?: boolean } = {},
): Promise<InventoryCommitments[]> {
  if (scope.matchSectorIds && scope.matchSectorIds.length === 0) return [];
  const inSectors = scope.matchSectorIds
    ? sql`AND i.match_sector_id = ANY(${scope.matchSectorIds as string[]}::uuid[])`
    : sql``;
  const rows = options.lock
    ? sql`SELECT i.match_sector_id, i.status, i.held_until
            FROM match_seat_inventory i
           WHERE i.match_id = ${scope.matchId} ${inSectors}
             FOR NO KEY UPDATE NOWAIT`
    : sql`SELECT i.match_sector_id, i.status, i.held_until
            FROM match_seat_inventory i
           WHERE i.match_id = ${scope.matchId} ${inSectors}
             AND i.status IN ('SOLD', 'RESERVED', 'ALLOCATED')`;
  const result = await sql<InventoryCommitments>`
    WITH scoped AS MATERIALIZED (${rows})
    SELECT match_sector_id,
           count(*) FILTER (WHERE status = 'SOLD')::int AS sold,
           count(*) FILTER (WHERE status = 'RESERVED'
                              AND (held_until IS NULL OR held_until >= ${now}))::int AS held,
           count(*) FILTER (WHERE status = 'RESERVED')::int AS reserved,
           count(*) FILTER (WHERE status = 'ALLOCATED')::int AS allocated
      FROM scoped
     GROUP BY match_sector_id
    HAVING count(*) FILTER (WHERE status IN ('SOLD', 'RESERVED', 'ALLOCATED')) > 0
     ORDER BY match_sector_id`.execute(db);
  return result.rows;
}

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
