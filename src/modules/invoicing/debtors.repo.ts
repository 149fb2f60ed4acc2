import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Debtors } from '../../platform/db/types.generated.ts';

/** The only SQL on debtors (E8-F4). */
export type DebtorRow = Selectable<Debtors>;

export const isOibTaken = (err: unknown) =>
  (err as { code?: string; constraint?: string }).code === '23505' &&
  (err as { constraint?: string }).constraint === 'debtors_oib_key';

export async function insertDebtor(db: Executor, row: Insertable<Debtors>): Promise<DebtorRow> {
  return db.insertInto('debtors').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findDebtor(
  db: Executor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<DebtorRow | undefined> {
  let query = db.selectFrom('debtors').selectAll().where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function updateDebtor(
  db: Executor,
  id: string,
  fields: Updateable<Debtors>,
): Promise<DebtorRow | undefined> {
  return db
    .updateTable('debtors')
    .set(fields)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteDebtor(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('debtors').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function debtorHasOffers(db: Executor, id: string): Promise<boolean> {
  return !!(await db
    .selectFrom('payment_offers')
    .select('id')
    .where('debtor_id', '=', id)
    .executeTakeFirst());
}

export async function listDebtors(
  db: Executor,
  query: { q?: string; page: number; limit: number },
): Promise<{ items: DebtorRow[]; total: number }> {
  let base = db.selectFrom('debtors');
  if (query.q) {
    const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    base = base.where((eb) => eb.or([eb('name', 'ilike', like), eb('oib', 'like', like)]));
  }
  const [items, count] = await Promise.all([
    base
      .selectAll()
      .orderBy('name')
      .orderBy('id')
      .limit(query.limit)
      .offset((query.page - 1) * query.limit)
      .execute(),
    base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number(count.n) };
}
