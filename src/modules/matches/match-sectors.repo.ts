import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { MatchSectors } from '../../platform/db/types.generated.ts';
import type { SectorFacts } from './matches.rules.ts';

/** SQL of match sectors. Every function takes the caller's executor. */

export type MatchSectorRow = Selectable<MatchSectors>;

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
