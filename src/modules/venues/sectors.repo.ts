import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Sectors } from '../../platform/db/types.generated.ts';

/** SQL of stadium sectors. Every function takes the caller's executor. */

export type SectorRow = Selectable<Sectors>;
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
