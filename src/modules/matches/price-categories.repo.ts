import { type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { PriceCategories } from '../../platform/db/types.generated.ts';

/** SQL of price categories. Every function takes the caller's executor. */

export type PriceCategoryRow = Selectable<PriceCategories>;

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
