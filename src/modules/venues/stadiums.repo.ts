import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Stadiums } from '../../platform/db/types.generated.ts';

/** SQL of stadium templates. Every function takes the caller's executor. */

export type StadiumRow = Selectable<Stadiums>;
export type StadiumWithCount = StadiumRow & { sector_count: number };
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
