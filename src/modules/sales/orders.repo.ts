import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { OrderItems, Orders } from '../../platform/db/types.generated.ts';
import {
  NEW_ORDER_STATUS,
  OPEN_ORDER_STATUSES,
  orderSources,
  orderTarget,
  type OrderEvent,
} from './order-state.ts';

/**
 * SQL of orders: order rows and their items, the fan's order views, and cancelling open
 * orders. Checkout's one-statement order writes are in checkout.repo.ts. Every status these
 * statements write, and the statuses they move it from, come from the order machine
 * (order-state.ts); updateOrder cannot write a status.
 */

export type OrderRow = Selectable<Orders>;
export type OrderItemRow = Selectable<OrderItems>;

/** Order columns other than the status, which only an event of the machine writes. */
export type OrderValues = Omit<Partial<Insertable<Orders>>, 'status'>;

export async function findOrder(
  db: Executor,
  orderId: string,
  options: { forUpdate?: boolean } = {},
): Promise<OrderRow | undefined> {
  let q = db.selectFrom('orders').selectAll().where('id', '=', orderId);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function findOpenOrderForCart(
  db: Executor,
  cartId: string,
): Promise<OrderRow | undefined> {
  return db
    .selectFrom('orders')
    .selectAll()
    .where('cart_id', '=', cartId)
    .where('status', 'in', OPEN_ORDER_STATUSES)
    .forUpdate()
    .executeTakeFirst();
}

export async function findOrderByIdempotencyKey(db: Executor, userId: string, key: string) {
  return db
    .selectFrom('orders')
    .select(['id'])
    .where('user_id', '=', userId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

export async function insertOrder(
  db: Executor,
  values: Omit<Insertable<Orders>, 'status'>,
): Promise<OrderRow> {
  return db
    .insertInto('orders')
    .values({ ...values, status: NEW_ORDER_STATUS })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateOrder(
  db: Executor,
  orderId: string,
  values: OrderValues,
): Promise<OrderRow> {
  return db
    .updateTable('orders')
    .set(values)
    .where('id', '=', orderId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Moves one order by an event of the machine (with other columns of the same change):
 * only from the event's source statuses. Returns the updated order; undefined when the
 * order is in no such status (nothing written).
 */
export async function transitionOrder(
  db: Executor,
  orderId: string,
  event: OrderEvent,
  values: OrderValues = {},
): Promise<OrderRow | undefined> {
  return db
    .updateTable('orders')
    .set({ ...values, status: orderTarget(event) })
    .where('id', '=', orderId)
    .where('status', 'in', orderSources(event))
    .returningAll()
    .executeTakeFirst();
}

export async function listOrderItems(db: Executor, orderId: string): Promise<OrderItemRow[]> {
  return db
    .selectFrom('order_items')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('position')
    .execute();
}

export interface UserOrderRow extends OrderRow {
  home_team: string;
  away_team: string;
  competition: string;
  kick_off_time: Date;
  match_type: 'HOME' | 'AWAY';
  seat_count: number;
}

function userOrderQuery(db: Executor, userId: string) {
  return db
    .selectFrom('orders as o')
    .innerJoin('matches as m', 'm.id', 'o.match_id')
    .selectAll('o')
    .select([
      'm.home_team',
      'm.away_team',
      'm.competition',
      'm.kick_off_time',
      'm.match_type',
      sql<number>`(SELECT count(*) FROM order_items oi WHERE oi.order_id = o.id)::int`.as(
        'seat_count',
      ),
    ])
    .where('o.user_id', '=', userId);
}

/** The fan's orders, newest first (orders_user_id_idx), with the page's total. */
export async function listUserOrders(
  db: Executor,
  userId: string,
  page: number,
  limit: number,
): Promise<{ rows: UserOrderRow[]; total: number }> {
  const [rows, count] = await Promise.all([
    userOrderQuery(db, userId)
      .orderBy('o.created_at', 'desc')
      .orderBy('o.id', 'desc')
      .limit(limit)
      .offset((page - 1) * limit)
      .execute(),
    db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow(),
  ]);
  return { rows: rows as UserOrderRow[], total: Number(count.n) };
}

/** One of the fan's orders; another fan's order is simply not found. */
export async function findUserOrder(
  db: Executor,
  userId: string,
  orderId: string,
): Promise<UserOrderRow | undefined> {
  return userOrderQuery(db, userId).where('o.id', '=', orderId).executeTakeFirst() as Promise<
    UserOrderRow | undefined
  >;
}

/** Open orders on these carts are cancelled (the cart expired): the event is the reason. */
export async function cancelOpenOrdersOfCarts(
  db: Executor,
  cartIds: string[],
  reason: Extract<OrderEvent, 'CART_EXPIRED'>,
  now: Date,
): Promise<string[]> {
  if (cartIds.length === 0) return [];
  const rows = await db
    .updateTable('orders')
    .set({ status: orderTarget(reason), cancelled_at: now, cancellation_reason: reason })
    .where('cart_id', 'in', cartIds)
    .where('status', 'in', orderSources(reason))
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * The fan's open orders (of one match, or all) are cancelled: DELETE /cart abandons the
 * order on the cart as well as one whose payment has started (its cart is CHECKED_OUT).
 */
export async function cancelOpenOrdersOfUser(
  db: Executor,
  userId: string,
  matchId: string | undefined,
  reason: Extract<OrderEvent, 'CART_CLEARED'>,
  now: Date,
): Promise<string[]> {
  let q = db
    .updateTable('orders')
    .set({ status: orderTarget(reason), cancelled_at: now, cancellation_reason: reason })
    .where('user_id', '=', userId)
    .where('status', 'in', orderSources(reason));
  if (matchId) q = q.where('match_id', '=', matchId);
  const rows = await q.returning('id').execute();
  return rows.map((r) => r.id);
}

/**
 * Locks the match's open orders (FOR UPDATE, by id) before a cancellation touches the match
 * row: the webhook and the payment start lock an order before they read the match, so the
 * cancellation takes its locks in the same order and never deadlocks with them (E2-F7).
 */
export async function lockOpenOrdersOfMatch(db: Executor, matchId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('orders')
    .select('id')
    .where('match_id', '=', matchId)
    .where('status', 'in', orderSources('MATCH_CANCELLED'))
    .orderBy('id')
    .forUpdate()
    .execute();
  return rows.map((r) => r.id);
}

/**
 * The match was cancelled: every open order of it is CANCELLED (MATCH_CANCELLED). Orders
 * another transaction holds now are skipped (SKIP LOCKED), not waited for: the
 * cancellation holds the match row by then, and a webhook holding an order waits for it
 * (a wait here would deadlock). Such an order's payment is refunded when it succeeds
 * (the match is cancelled), and the job's last step cancels what is still open.
 */
export async function cancelOpenOrdersOfMatch(
  db: Executor,
  matchId: string,
  now: Date,
): Promise<string[]> {
  const rows = await db
    .updateTable('orders')
    .set({
      status: orderTarget('MATCH_CANCELLED'),
      cancelled_at: now,
      cancellation_reason: 'MATCH_CANCELLED',
    })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('orders')
        .select('id')
        .where('match_id', '=', matchId)
        .where('status', 'in', orderSources('MATCH_CANCELLED'))
        .forUpdate()
        .skipLocked(),
    )
    .where('status', 'in', orderSources('MATCH_CANCELLED'))
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}
