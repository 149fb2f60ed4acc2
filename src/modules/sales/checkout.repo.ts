import { sql, type Insertable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { OrderItems } from '../../platform/db/types.generated.ts';
import type { CartRow } from './carts.repo.ts';
import { orderSources, orderTarget } from './order-state.ts';
import type { OrderItemRow, OrderRow, OrderValues } from './orders.repo.ts';

/**
 * SQL of checkout (POST /checkout/ticket-holders, POST /checkout/pay) where it saves round
 * trips on the hot path of an on-sale: reads folded into the statement that needs them,
 * writes returning what the caller would otherwise read back. The shared order and cart
 * queries are in orders.repo.ts and carts.repo.ts.
 */

/** A cart with the email of the calling user (null: no such user), in one read. */
export async function findCartWithBuyerEmail(
  db: Executor,
  cartId: string,
  userId: string,
): Promise<(CartRow & { buyer_email: string | null }) | undefined> {
  return db
    .selectFrom('carts as c')
    .selectAll('c')
    .select((eb) =>
      eb.selectFrom('users as u').select('u.email').where('u.id', '=', userId).as('buyer_email'),
    )
    .where('c.id', '=', cartId)
    .executeTakeFirst();
}

/**
 * Writes an order's lines and returns them by position. A new order has none to replace;
 * an order whose holders are named again loses its old lines first.
 */
export async function writeOrderItems(
  db: Executor,
  orderId: string,
  items: Insertable<OrderItems>[],
  options: { replace: boolean },
): Promise<OrderItemRow[]> {
  if (options.replace) await db.deleteFrom('order_items').where('order_id', '=', orderId).execute();
  if (items.length === 0) return [];
  const rows = await db.insertInto('order_items').values(items).returningAll().execute();
  return rows.sort((a, b) => a.position - b.position);
}

/**
 * Locks an order to start its payment (FOR UPDATE) and, when the client sent an
 * Idempotency-Key, reads in the same statement which of the user's orders the key is bound
 * to (`key_order_id`, null: none).
 */
export async function lockOrderForPayment(
  db: Executor,
  orderId: string,
  userId: string,
  idempotencyKey: string | null,
): Promise<(OrderRow & { key_order_id: string | null }) | undefined> {
  return db
    .selectFrom('orders as o')
    .selectAll('o')
    .select((eb) =>
      eb
        .selectFrom('orders as k')
        .select('k.id')
        .where('k.user_id', '=', userId)
        .where('k.idempotency_key', '=', idempotencyKey)
        .as('key_order_id'),
    )
    .where('o.id', '=', orderId)
    .forUpdate('o')
    .executeTakeFirst();
}

/**
 * Puts an order into payment (the order machine's PAYMENT_STARTED, from its source
 * statuses only): updates it, creates its payment row unless it has one, and returns the
 * updated order with the earliest held_until of its seats (null: none), in one statement.
 * Throws when the order is in no source status: the caller checked it under the row lock.
 */
export async function markOrderPaymentPending(
  db: Executor,
  order: Pick<OrderRow, 'id' | 'total_amount' | 'currency'>,
  values: OrderValues,
): Promise<OrderRow & { hold_until: Date | null }> {
  return db
    .with('payment', (qb) =>
      qb
        .insertInto('payments')
        .values({ order_id: order.id, amount: order.total_amount, currency: order.currency })
        .onConflict((oc) => oc.column('order_id').doNothing()),
    )
    .updateTable('orders')
    .set({ ...values, status: orderTarget('PAYMENT_STARTED') })
    .where('id', '=', order.id)
    .where('status', 'in', orderSources('PAYMENT_STARTED'))
    .returningAll('orders')
    .returning(
      sql<Date | null>`(SELECT min(held_until) FROM match_seat_inventory WHERE hold_owner_id = ${order.id})`.as(
        'hold_until',
      ),
    )
    .executeTakeFirstOrThrow();
}
