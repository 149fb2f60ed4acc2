import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Carts } from '../../platform/db/types.generated.ts';

/**
 * SQL of carts and holds: the per-match limit, carts, the seats a cart or an order holds,
 * giving holds back, and checking a cart out to its order. Seat claims (which create the
 * holds) are in claim.repo.ts.
 */

export type CartRow = Selectable<Carts>;

// The per-match limit -------------------------------------------------------------------

/**
 * Locks the (fan, match) row for the rest of the transaction. Every cart addition takes it
 * first, so two additions of one fan for one match run one after the other and the limit
 * check below sees the other's seats.
 */
export async function lockPurchaseLimit(
  db: Executor,
  userId: string,
  matchId: string,
  now: Date,
): Promise<void> {
  await db
    .insertInto('purchase_limit_locks')
    .values({ user_id: userId, match_id: matchId, locked_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'match_id']).doUpdateSet({ locked_at: now }))
    .execute();
}

/** Tickets the fan bought for the match plus seats held for them right now (all phases). */
export async function countFanSeats(
  db: Executor,
  userId: string,
  matchId: string,
  now: Date,
): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT (
      -- The fan's orders of the match first (orders_user_id_idx), then their tickets.
      SELECT coalesce(sum(sold.n), 0) FROM orders o
       CROSS JOIN LATERAL (
         SELECT count(*) AS n FROM tickets t
          WHERE t.order_id = o.id AND t.status IN ('SOLD', 'ATTENDED')
       ) sold
       WHERE o.user_id = ${userId} AND o.match_id = ${matchId}
    ) + (
      -- Per hold owner (the fan's few carts and open orders) through the holder index: a
      -- scan of the match's RESERVED seats cost ~26 ms per cart addition mid-sale.
      SELECT coalesce(sum(held.n), 0) FROM (
           SELECT c.id FROM carts c
            WHERE c.user_id = ${userId} AND c.match_id = ${matchId} AND c.status = 'ACTIVE'
           UNION ALL
           SELECT o.id FROM orders o
            WHERE o.user_id = ${userId} AND o.match_id = ${matchId}
              AND o.status IN ('PENDING', 'PAYMENT_PENDING', 'PAYMENT_FAILED')
        ) owner
        CROSS JOIN LATERAL (
          SELECT count(*) AS n FROM match_seat_inventory i
           WHERE i.hold_owner_id = owner.id AND i.status = 'RESERVED' AND i.held_until > ${now}
        ) held
    ) AS n`.execute(db);
  return Number(rows[0]!.n);
}

// Carts ---------------------------------------------------------------------------------

/**
 * The fan's ACTIVE cart of the match, locked, or a new one with `expires_at` when there is
 * none: one statement where a lookup and an insert were two (the first addition of every
 * fan creates the cart). The caller holds the (fan, match) purchase-limit lock, so no other
 * transaction opens the same cart meanwhile; the unique index on active carts
 * (carts_active_user_match_key) stays the backstop. The cart found may have expired: the
 * caller closes it and opens another with insertCart.
 */
export async function lockOrOpenActiveCart(
  db: Executor,
  values: { user_id: string; match_id: string; expires_at: Date },
): Promise<CartRow> {
  const { rows } = await sql<CartRow>`
    WITH found AS (
      SELECT * FROM carts
       WHERE user_id = ${values.user_id} AND match_id = ${values.match_id} AND status = 'ACTIVE'
         FOR UPDATE
    ),
    opened AS (
      INSERT INTO carts (user_id, match_id, expires_at)
      SELECT ${values.user_id}, ${values.match_id}, ${values.expires_at}
       WHERE NOT EXISTS (SELECT 1 FROM found)
      RETURNING *
    )
    SELECT * FROM found UNION ALL SELECT * FROM opened`.execute(db);
  return rows[0]!;
}

/** Keeps the cart's latest keyed addition, so a retry with its key finds it. */
export async function recordKeyedAddition(
  db: Executor,
  cartId: string,
  addition: { key: string; asked: string; added: string[]; warnings: string[] },
): Promise<void> {
  await db
    .updateTable('carts')
    .set({ last_addition: JSON.stringify(addition) })
    .where('id', '=', cartId)
    .execute();
}

export async function findCart(
  db: Executor,
  cartId: string,
  options: { forUpdate?: boolean } = {},
): Promise<CartRow | undefined> {
  let q = db.selectFrom('carts').selectAll().where('id', '=', cartId);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

/**
 * Locks the cart the user's order was made from (FOR UPDATE), found through the order.
 * Starting a payment takes this lock before the order's, in the order every other writer
 * of both takes them (naming holders, emptying the cart, the sweeper): taking the order
 * first deadlocked with holders named again at the same moment (seen in bench:onsale).
 */
export async function lockCartOfOrder(
  db: Executor,
  orderId: string,
  userId: string,
): Promise<CartRow | undefined> {
  return db
    .selectFrom('carts')
    .selectAll()
    .where('id', '=', (eb) =>
      eb
        .selectFrom('orders')
        .select('cart_id')
        .where('id', '=', orderId)
        .where('user_id', '=', userId),
    )
    .forUpdate()
    .executeTakeFirst();
}

export async function insertCart(db: Executor, values: Insertable<Carts>): Promise<CartRow> {
  return db.insertInto('carts').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function setCartStatus(
  db: Executor,
  cartId: string,
  status: CartRow['status'],
): Promise<void> {
  await db.updateTable('carts').set({ status }).where('id', '=', cartId).execute();
}

export async function listActiveCarts(db: Executor, userId: string, now: Date, matchId?: string) {
  let q = db
    .selectFrom('carts')
    .selectAll()
    .where('user_id', '=', userId)
    .where('status', '=', 'ACTIVE')
    .where('expires_at', '>', now);
  if (matchId) q = q.where('match_id', '=', matchId);
  return q.orderBy('created_at').execute();
}

export async function listCartsForRelease(db: Executor, userId: string, matchId?: string) {
  let q = db
    .selectFrom('carts')
    .selectAll()
    .where('user_id', '=', userId)
    .where('status', '=', 'ACTIVE');
  if (matchId) q = q.where('match_id', '=', matchId);
  return q.forUpdate().execute();
}

export interface HeldSeatRow {
  inventory_id: string;
  seat_id: string;
  match_sector_id: string;
  sector_name: string;
  sector_code: string;
  row_identifier: string;
  seat_number: number;
  row_index: number;
  col_index: number;
  snake_order: number;
  held_until: Date;
  price_category_id: string | null;
  price: number | null;
}

/** Seats whose live hold belongs to `ownerId` (a cart or an order). */
export async function listHeldSeats(
  db: Executor,
  ownerIds: string[],
  now: Date,
): Promise<Array<HeldSeatRow & { hold_owner_id: string }>> {
  if (ownerIds.length === 0) return [];
  return db
    .selectFrom('match_seat_inventory as i')
    .innerJoin('seats as s', 's.id', 'i.seat_id')
    .innerJoin('match_sectors as ms', 'ms.id', 'i.match_sector_id')
    .leftJoin('price_categories as pc', 'pc.id', 'ms.price_category_id')
    .select([
      'i.id as inventory_id',
      'i.seat_id',
      'i.match_sector_id',
      'ms.name as sector_name',
      'ms.code as sector_code',
      's.row_identifier',
      's.seat_number',
      'i.row_index',
      'i.col_index',
      'i.snake_order',
      'i.held_until',
      'i.hold_owner_id',
      'pc.id as price_category_id',
      'pc.price',
    ])
    .where('i.hold_owner_id', 'in', ownerIds)
    .where('i.status', '=', 'RESERVED')
    .where('i.held_until', '>', now)
    .orderBy('ms.code')
    .orderBy('i.snake_order')
    .execute() as Promise<Array<HeldSeatRow & { hold_owner_id: string }>>;
}

/** Why a hold is given back, for the seat trail (seat_audit_logs.reason). */
export interface ReleaseAudit {
  reason: string;
  /** The user who caused it (null: the system). */
  by: string | null;
}

/**
 * Gives a hold's seats back (DELETE /cart, cancelled orders) and writes their seat trail in
 * the same statement: HOLD_RELEASED, or HOLD_EXPIRED for seats whose held_until had passed.
 * The rows are locked first so a concurrent claimer of an expired seat either took it (the
 * row no longer belongs to this owner and is left alone) or waits for this release. A quota
 * claim's hold (hold_kind QUOTA) goes back to ALLOCATED: the seat is the quota's.
 */
export async function releaseHolds(
  db: Executor,
  ownerId: string,
  now: Date,
  audit: ReleaseAudit,
): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    WITH held AS (
      SELECT id, hold_kind, held_until FROM match_seat_inventory
       WHERE hold_owner_id = ${ownerId} AND status = 'RESERVED'
         FOR UPDATE
    ),
    released AS (
      -- a quota claim's seat goes back to its quota, never to public sale (E7-F5)
      UPDATE match_seat_inventory m
         SET status = CASE WHEN held.hold_kind = 'QUOTA' THEN 'ALLOCATED'::seat_status
                           ELSE 'AVAILABLE'::seat_status END,
             hold_kind = NULL, hold_owner_id = NULL, held_until = NULL,
             last_modified_at = ${now}, version = m.version + 1
        FROM held
       WHERE m.id = held.id
      RETURNING m.id, m.status, held.hold_kind, held.held_until
    ),
    logged AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, action,
              hold_kind, hold_owner_id, order_id, created_at)
      SELECT r.id, 'RESERVED', r.status, ${audit.reason}, ${audit.by}::uuid,
             CASE WHEN r.held_until < ${now} THEN 'HOLD_EXPIRED' ELSE 'HOLD_RELEASED' END::seat_audit_action,
             r.hold_kind, ${ownerId}::uuid,
             CASE WHEN r.hold_kind = 'ORDER' THEN ${ownerId}::uuid END, ${now}
        FROM released r
    )
    SELECT count(*)::int AS n FROM released`.execute(db);
  return Number(rows[0]!.n);
}

/**
 * Checks a cart out to its order for the payment window (POST /checkout/pay), in one
 * statement: counts the seats the cart holds, hands those of the order's lines to the order
 * (only seats the cart still holds, extending the hold to `heldUntil`) with the
 * HOLD_TRANSFERRED seat trail, and marks the cart CHECKED_OUT. The caller compares both
 * counts with the order's lines and rolls the transaction back when they differ (seats
 * added since the holders were named, or expired).
 */
export async function checkOutCart(
  db: Executor,
  cartId: string,
  orderId: string,
  inventoryIds: string[],
  heldUntil: Date,
  now: Date,
  by: string,
): Promise<{ held: number; moved: number }> {
  const { rows } = await sql<{ held: number; moved: number }>`
    WITH held AS (
      SELECT count(*)::int AS n FROM match_seat_inventory
       WHERE hold_owner_id = ${cartId} AND status = 'RESERVED' AND held_until > ${now}
    ),
    moved AS (
      UPDATE match_seat_inventory m
         SET hold_kind = 'ORDER', hold_owner_id = ${orderId},
             held_until = greatest(m.held_until, ${heldUntil}),
             last_modified_at = ${now}, version = m.version + 1
       WHERE m.hold_owner_id = ${cartId} AND m.status = 'RESERVED' AND m.held_until > ${now}
         AND m.id = ANY (${inventoryIds}::uuid[])
      RETURNING m.id, m.held_until
    ),
    logged AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, action,
              hold_kind, hold_owner_id, order_id, created_at)
      SELECT mv.id, 'RESERVED', 'RESERVED',
             'payment started, held until ' || to_char(mv.held_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
             ${by}::uuid, 'HOLD_TRANSFERRED', 'ORDER', ${orderId}::uuid, ${orderId}::uuid, ${now}
        FROM moved mv
    ),
    closed AS (
      UPDATE carts SET status = 'CHECKED_OUT' WHERE id = ${cartId}
    )
    SELECT (SELECT n FROM held) AS held, (SELECT count(*) FROM moved)::int AS moved`.execute(db);
  return { held: Number(rows[0]!.held), moved: Number(rows[0]!.moved) };
}

/** Holds an order still has (payment retries). */
export async function countLiveOrderHolds(
  db: Executor,
  orderId: string,
  now: Date,
): Promise<number> {
  const row = await db
    .selectFrom('match_seat_inventory')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('hold_owner_id', '=', orderId)
    .where('status', '=', 'RESERVED')
    .where('held_until', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * A cancelled match gives back every hold of its sale at once (E2-F7), with the seat trail:
 * cart and order holds go back to AVAILABLE (nothing sells on a cancelled match: every sale
 * path checks its status), a quota claim's to its quota (ALLOCATED); the ACTIVE carts of
 * the match are RELEASED. Returns the seats released.
 */
export async function releaseMatchHolds(
  db: Executor,
  matchId: string,
  now: Date,
  audit: ReleaseAudit,
): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    WITH held AS (
      SELECT id, hold_kind, hold_owner_id, held_until FROM match_seat_inventory
       WHERE match_id = ${matchId} AND status = 'RESERVED'
       ORDER BY id
         FOR UPDATE
    ),
    released AS (
      UPDATE match_seat_inventory m
         SET status = CASE WHEN held.hold_kind = 'QUOTA' THEN 'ALLOCATED'::seat_status
                           ELSE 'AVAILABLE'::seat_status END,
             hold_kind = NULL, hold_owner_id = NULL, held_until = NULL,
             last_modified_at = ${now}, last_modified_by = ${audit.by}::uuid,
             version = m.version + 1
        FROM held
       WHERE m.id = held.id
      RETURNING m.id, m.status, held.hold_kind, held.hold_owner_id, held.held_until
    ),
    logged AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, action,
              hold_kind, hold_owner_id, order_id, created_at)
      SELECT r.id, 'RESERVED', r.status, ${audit.reason}, ${audit.by}::uuid,
             CASE WHEN r.held_until < ${now} THEN 'HOLD_EXPIRED' ELSE 'HOLD_RELEASED' END::seat_audit_action,
             r.hold_kind, r.hold_owner_id,
             CASE WHEN r.hold_kind = 'ORDER' THEN r.hold_owner_id END, ${now}
        FROM released r
    ),
    carts_released AS (
      UPDATE carts SET status = 'RELEASED'
       WHERE match_id = ${matchId} AND status = 'ACTIVE'
      RETURNING id
    )
    SELECT (SELECT count(*) FROM released)::int AS n,
           (SELECT count(*) FROM carts_released)::int AS carts`.execute(db);
  return Number(rows[0]!.n);
}
