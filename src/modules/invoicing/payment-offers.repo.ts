import { sql, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { OfferStatus, PaymentOffers } from '../../platform/db/types.generated.ts';

/** The only SQL on payment_offers and payment_offer_orders (E8-F4). */
export type OfferRow = Selectable<PaymentOffers>;

/** Locks the orders (in id order, no deadlock between two offers) and reads what an offer needs. */
export async function lockOrders(
  db: Executor,
  ids: readonly string[],
): Promise<
  Array<{
    id: string;
    status: string;
    total_amount: number;
    currency: string;
    offer_id: string | null;
    paid_at_petrol_station: boolean;
  }>
> {
  const { rows } = await sql<{
    id: string;
    status: string;
    total_amount: number;
    currency: string;
    offer_id: string | null;
    paid_at_petrol_station: boolean;
  }>`
    SELECT o.id, o.status, o.total_amount, o.currency,
           (SELECT payment_offer_id FROM payment_offer_orders p WHERE p.order_id = o.id) AS offer_id,
           EXISTS (SELECT 1 FROM petrol_sales ps WHERE ps.order_id = o.id) AS paid_at_petrol_station
      FROM orders o WHERE o.id IN (${sql.join(ids.map((id) => sql`${id}::uuid`))})
     ORDER BY o.id FOR UPDATE OF o`.execute(db);
  return rows;
}

export async function insertOffer(
  db: Executor,
  row: {
    debtor_id: string;
    orders: string[];
    total_amount: number;
    currency: string;
    due_date: string;
    created_by: string;
    created_at: Date;
  },
): Promise<OfferRow> {
  const offer = await db
    .insertInto('payment_offers')
    .values(row)
    .returningAll()
    .executeTakeFirstOrThrow();
  await db
    .insertInto('payment_offer_orders')
    .values(row.orders.map((order_id) => ({ order_id, payment_offer_id: offer.id })))
    .execute();
  return offer;
}

export async function findOffer(
  db: Executor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<OfferRow | undefined> {
  let query = db.selectFrom('payment_offers').selectAll().where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Moves an offer to `to` if it is in one of `from`; undefined when it was not. */
export async function transitionOffer(
  db: Executor,
  id: string,
  from: readonly OfferStatus[],
  to: OfferStatus,
  fields: Updateable<PaymentOffers> = {},
): Promise<OfferRow | undefined> {
  return db
    .updateTable('payment_offers')
    .set({ ...fields, status: to })
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .returningAll()
    .executeTakeFirst();
}

/** A cancelled offer lets its orders go into another one. */
export async function releaseOfferOrders(db: Executor, offerId: string): Promise<void> {
  await db.deleteFrom('payment_offer_orders').where('payment_offer_id', '=', offerId).execute();
}

/** Every SENT offer due before `today`: OVERDUE, in one statement. */
export async function markOverdue(db: Executor, today: string, now: Date): Promise<OfferRow[]> {
  return db
    .updateTable('payment_offers')
    .set({ status: 'OVERDUE', overdue_at: now })
    .where('status', '=', 'SENT')
    .where('due_date', '<', sql<string>`${today}::date`)
    .returningAll()
    .execute();
}

export async function listOffers(
  db: Executor,
  query: { status?: OfferStatus; debtor_id?: string; page: number; limit: number },
): Promise<{ items: OfferRow[]; total: number }> {
  let base = db.selectFrom('payment_offers');
  if (query.status) base = base.where('status', '=', query.status);
  if (query.debtor_id) base = base.where('debtor_id', '=', query.debtor_id);
  const [items, count] = await Promise.all([
    base
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(query.limit)
      .offset((query.page - 1) * query.limit)
      .execute(),
    base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number(count.n) };
}

export interface OverdueOfferLine {
  id: string;
  debtor_name: string;
  e_racuni_reference: string | null;
  due_date: string;
  total_amount: number;
  currency: string;
}

/** What finance is told of each overdue offer: debtor, e-računi number, due date, amount. */
export async function overdueOfferLines(
  db: Executor,
  ids: readonly string[],
): Promise<OverdueOfferLine[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('payment_offers as o')
    .innerJoin('debtors as d', 'd.id', 'o.debtor_id')
    .select([
      'o.id',
      'd.name as debtor_name',
      'o.e_racuni_reference',
      sql<string>`o.due_date::text`.as('due_date'),
      'o.total_amount',
      'o.currency',
    ])
    .where('o.id', 'in', [...ids])
    .orderBy('o.due_date')
    .orderBy('d.name')
    .execute();
}

/** The addresses of the active users who hold FINANCE (granted here or by Drupal's map). */
export async function financeUserEmails(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('users as u')
    .select('u.email')
    .where('u.status', '=', 'active')
    .where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('user_roles as r')
            .select('r.user_id')
            .whereRef('r.user_id', '=', 'u.id')
            .where('r.role', '=', 'FINANCE'),
        ),
        sql<boolean>`'FINANCE'::app_role = ANY(u.sso_roles)`,
      ]),
    )
    .orderBy('u.email')
    .execute();
  return rows.map((r) => r.email);
}
