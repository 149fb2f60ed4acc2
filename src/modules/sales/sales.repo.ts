import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type {
  Carts,
  FeeConfigurations,
  OrderItems,
  Orders,
  OrderStatus,
} from '../../platform/db/types.generated.ts';

/**
 * SQL of the purchase flow: listing, zones, carts, the per-match limit, orders. Seat claims
 * are in claim.repo.ts.
 */

export type CartRow = Selectable<Carts>;
export type OrderRow = Selectable<Orders>;
export type OrderItemRow = Selectable<OrderItems>;
export type FeeConfigRow = Selectable<FeeConfigurations>;

export const OPEN_ORDER_STATUSES: OrderStatus[] = ['PENDING', 'PAYMENT_PENDING', 'PAYMENT_FAILED'];
/** Ticket statuses that count as a valid ticket (the seat is taken, the fan holds it). */
export const VALID_TICKET_STATUSES = ['SOLD', 'ATTENDED'] as const;

// Matches, phases, prices --------------------------------------------------------------

export interface ListedMatchRow {
  id: string;
  home_team: string;
  away_team: string;
  competition: string;
  kick_off_time: Date;
  match_type: 'HOME' | 'AWAY';
  status: string;
  venue_name: string | null;
  venue_city: string | null;
  available: number;
  phase_id: string | null;
  next_phase_start: Date | null;
}

export async function listUpcomingMatches(
  db: Executor,
  now: Date,
  page: number,
  limit: number,
): Promise<{ rows: ListedMatchRow[]; total: number }> {
  const base = db
    .selectFrom('matches as m')
    .where('m.status', 'in', ['PUBLISHED', 'ACTIVE'])
    .where('m.kick_off_time', '>', now);
  const [rows, count] = await Promise.all([
    base
      .leftJoin('stadiums as s', 's.id', 'm.venue_id')
      .select([
        'm.id',
        'm.home_team',
        'm.away_team',
        'm.competition',
        'm.kick_off_time',
        'm.match_type',
        'm.status',
        's.name as venue_name',
        's.city as venue_city',
      ])
      .select(
        sql<number>`(SELECT count(*) FROM match_seat_inventory i
           JOIN match_sectors ms ON ms.id = i.match_sector_id
          WHERE i.match_id = m.id AND ms.status = 'ACTIVE' AND ms.purpose = 'GENERAL'
            AND (i.status = 'AVAILABLE' OR (i.status = 'RESERVED' AND i.held_until < ${now})))::int`.as(
          'available',
        ),
      )
      .select(
        sql<string | null>`(SELECT p.id FROM sales_phases p
          WHERE p.match_id = m.id AND p.is_active AND p.phase_type <> 'QUOTA_ONLY'
            AND m.stadium_config_status = 'LOCKED'
            AND p.start_at <= ${now} AND p.end_at > ${now}
          ORDER BY p.start_at DESC LIMIT 1)`.as('phase_id'),
      )
      .select(
        sql<Date | null>`(SELECT min(p.start_at) FROM sales_phases p
          WHERE p.match_id = m.id AND p.is_active AND p.phase_type <> 'QUOTA_ONLY'
            AND p.start_at > ${now})`.as('next_phase_start'),
      )
      .orderBy('m.kick_off_time')
      .orderBy('m.id')
      .limit(limit)
      .offset((page - 1) * limit)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows: rows as ListedMatchRow[], total: Number(count.n) };
}

export interface SaleMatchRow {
  id: string;
  home_team: string;
  away_team: string;
  competition: string;
  kick_off_time: Date;
  match_type: 'HOME' | 'AWAY';
  status: string;
  venue_name: string | null;
  phase_id: string | null;
  phase_ticket_limit: number | null;
  phase_type: 'LOYALTY' | 'GENERAL_PUBLIC' | null;
  /** The open phase's eligibility_rules_json (loyalty_tiers for a LOYALTY phase). */
  phase_rules: unknown;
}

/** A public sales phase of a match (QUOTA_ONLY phases are never sold to fans). */
interface SalePhaseFacts {
  id: string;
  ticket_limit: number;
  start_at: Date;
  end_at: Date;
  phase_type: 'LOYALTY' | 'GENERAL_PUBLIC';
  eligibility_rules_json: unknown;
}

/**
 * What decides whether and how a match is sold, independent of the time: the match, its
 * venue, whether its stadium configuration is locked, and its active public phases. Which
 * phase is open is decided at a given time by `saleMatchAt` (so these facts may be
 * memoised, see sale-facts.ts, without a phase boundary ever being late).
 */
export interface SaleMatchFacts {
  match: Omit<SaleMatchRow, 'phase_id' | 'phase_ticket_limit' | 'phase_type' | 'phase_rules'>;
  config_locked: boolean;
  phases: SalePhaseFacts[];
}

export async function loadSaleMatchFacts(
  db: Executor,
  matchId: string,
): Promise<SaleMatchFacts | undefined> {
  const row = await db
    .selectFrom('matches as m')
    .leftJoin('stadiums as s', 's.id', 'm.venue_id')
    .select([
      'm.id',
      'm.home_team',
      'm.away_team',
      'm.competition',
      'm.kick_off_time',
      'm.match_type',
      'm.status',
      's.name as venue_name',
      'm.stadium_config_status',
    ])
    .select(
      sql<SalePhaseFacts[]>`coalesce((
        SELECT json_agg(json_build_object(
                 'id', p.id, 'ticket_limit', p.ticket_limit, 'start_at', p.start_at,
                 'end_at', p.end_at, 'phase_type', p.phase_type,
                 'eligibility_rules_json', p.eligibility_rules_json))
          FROM sales_phases p
         WHERE p.match_id = m.id AND p.is_active AND p.phase_type <> 'QUOTA_ONLY'), '[]')`.as(
        'phases',
      ),
    )
    .where('m.id', '=', matchId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { stadium_config_status, phases, ...match } = row;
  return {
    match: match as SaleMatchFacts['match'],
    config_locked: stadium_config_status === 'LOCKED',
    phases: phases.map((p) => ({
      ...p,
      start_at: new Date(p.start_at),
      end_at: new Date(p.end_at),
    })),
  };
}

/**
 * The match with the sales phase open at `now`: the latest-starting active public phase
 * whose window holds `now`. Only a locked stadium configuration is sold, so an unlocked
 * match has no open phase.
 */
export function saleMatchAt(facts: SaleMatchFacts, now: Date): SaleMatchRow {
  const open = facts.config_locked
    ? facts.phases
        .filter((p) => p.start_at <= now && p.end_at > now)
        .sort((a, b) => b.start_at.getTime() - a.start_at.getTime())[0]
    : undefined;
  return {
    ...facts.match,
    phase_id: open?.id ?? null,
    phase_ticket_limit: open?.ticket_limit ?? null,
    phase_type: open?.phase_type ?? null,
    phase_rules: open?.eligibility_rules_json ?? null,
  };
}

/** A match with the sales phase open now (public phases only), if any. */
export async function findSaleMatch(
  db: Executor,
  matchId: string,
  now: Date,
): Promise<SaleMatchRow | undefined> {
  const facts = await loadSaleMatchFacts(db, matchId);
  return facts && saleMatchAt(facts, now);
}

/** The fee configurations that may apply to a match: its own rows and the defaults. */
export async function loadFeeConfigurations(
  db: Executor,
  matchId: string,
): Promise<FeeConfigRow[]> {
  return db
    .selectFrom('fee_configurations')
    .selectAll()
    .where((eb) => eb.or([eb('match_id', '=', matchId), eb('match_id', 'is', null)]))
    .execute();
}

/**
 * The fee configuration in force at `at` among a match's configurations: its own row,
 * else the default; the latest effective_from among those in force.
 */
export function feeConfigurationAt(rows: FeeConfigRow[], at: Date): FeeConfigRow | undefined {
  const inForce = rows.filter(
    (r) => r.effective_from <= at && (r.effective_to === null || r.effective_to > at),
  );
  const best = (list: FeeConfigRow[]) =>
    list.sort((a, b) => b.effective_from.getTime() - a.effective_from.getTime())[0];
  return best(inForce.filter((r) => r.match_id !== null)) ?? best(inForce);
}

/** The fee configuration in force for a match at `at`: its own row, else the default. */
export async function findFeeConfiguration(
  db: Executor,
  matchId: string,
  at: Date,
): Promise<FeeConfigRow | undefined> {
  return feeConfigurationAt(await loadFeeConfigurations(db, matchId), at);
}

export async function listMatchPriceCategories(db: Executor, matchIds: string[]) {
  if (matchIds.length === 0) return [];
  return db
    .selectFrom('price_categories')
    .select(['id', 'match_id', 'name', 'price', 'currency'])
    .where('match_id', 'in', matchIds)
    .orderBy('price')
    .execute();
}

/** Zones on sale to the public: ACTIVE GENERAL sectors with a price category. */
export async function listSaleZones(db: Executor, matchId: string) {
  return db
    .selectFrom('match_sectors as ms')
    .innerJoin('price_categories as pc', 'pc.id', 'ms.price_category_id')
    .select([
      'ms.id',
      'ms.name',
      'ms.code',
      'ms.sellable_capacity',
      'pc.id as price_category_id',
      'pc.name as price_category_name',
      'pc.price',
      'pc.currency',
    ])
    .where('ms.match_id', '=', matchId)
    .where('ms.status', '=', 'ACTIVE')
    .where('ms.purpose', '=', 'GENERAL')
    .orderBy('ms.code')
    .execute();
}

export async function findSaleZone(db: Executor, matchId: string, matchSectorId: string) {
  return db
    .selectFrom('match_sectors as ms')
    .innerJoin('price_categories as pc', 'pc.id', 'ms.price_category_id')
    .select(['ms.id', 'ms.name', 'ms.code', 'pc.id as price_category_id', 'pc.price'])
    .where('ms.match_id', '=', matchId)
    .where('ms.id', '=', matchSectorId)
    .where('ms.status', '=', 'ACTIVE')
    .where('ms.purpose', '=', 'GENERAL')
    .executeTakeFirst();
}

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

export async function findActiveCart(
  db: Executor,
  userId: string,
  matchId: string,
  options: { forUpdate?: boolean } = {},
): Promise<CartRow | undefined> {
  let q = db
    .selectFrom('carts')
    .selectAll()
    .where('user_id', '=', userId)
    .where('match_id', '=', matchId)
    .where('status', '=', 'ACTIVE');
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
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
 * row no longer belongs to this owner and is left alone) or waits for this release.
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
      UPDATE match_seat_inventory m
         SET status = 'AVAILABLE', hold_kind = NULL, hold_owner_id = NULL, held_until = NULL,
             last_modified_at = ${now}, version = m.version + 1
        FROM held
       WHERE m.id = held.id
      RETURNING m.id, held.hold_kind, held.held_until
    ),
    logged AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, action,
              hold_kind, hold_owner_id, order_id, created_at)
      SELECT r.id, 'RESERVED', 'AVAILABLE', ${audit.reason}, ${audit.by}::uuid,
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

// Orders --------------------------------------------------------------------------------

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

export async function insertOrder(db: Executor, values: Insertable<Orders>): Promise<OrderRow> {
  return db.insertInto('orders').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function updateOrder(
  db: Executor,
  orderId: string,
  values: Partial<Insertable<Orders>>,
): Promise<OrderRow> {
  return db
    .updateTable('orders')
    .set(values)
    .where('id', '=', orderId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function replaceOrderItems(
  db: Executor,
  orderId: string,
  items: Insertable<OrderItems>[],
): Promise<void> {
  await db.deleteFrom('order_items').where('order_id', '=', orderId).execute();
  if (items.length) await db.insertInto('order_items').values(items).execute();
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

/** Open orders on these carts become CANCELLED (the cart was emptied or expired). */
export async function cancelOpenOrdersOfCarts(
  db: Executor,
  cartIds: string[],
  reason: string,
  now: Date,
): Promise<string[]> {
  if (cartIds.length === 0) return [];
  const rows = await db
    .updateTable('orders')
    .set({ status: 'CANCELLED', cancelled_at: now, cancellation_reason: reason })
    .where('cart_id', 'in', cartIds)
    .where('status', 'in', OPEN_ORDER_STATUSES)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * The fan's open orders (of one match, or all) become CANCELLED: DELETE /cart abandons the
 * order on the cart as well as one whose payment has started (its cart is CHECKED_OUT).
 */
export async function cancelOpenOrdersOfUser(
  db: Executor,
  userId: string,
  matchId: string | undefined,
  reason: string,
  now: Date,
): Promise<string[]> {
  let q = db
    .updateTable('orders')
    .set({ status: 'CANCELLED', cancelled_at: now, cancellation_reason: reason })
    .where('user_id', '=', userId)
    .where('status', 'in', OPEN_ORDER_STATUSES);
  if (matchId) q = q.where('match_id', '=', matchId);
  const rows = await q.returning('id').execute();
  return rows.map((r) => r.id);
}

// Sweeper -------------------------------------------------------------------------------

/**
 * Releases every hold past its held_until (any kind: invariant 2 makes them free already;
 * this makes the row say so), marks carts past their expiry EXPIRED and open orders left
 * without a live hold CANCELLED. Batched so one run never holds many row locks for long.
 */
export async function sweepExpiredHolds(
  db: Executor,
  now: Date,
  batch: number,
): Promise<{ seats: number; carts: number; orders: number; order_ids: string[] }> {
  const { rows } = await sql<{ seats: number; carts: number; orders: number; order_ids: string[] }>`
    WITH expired AS (
      SELECT id, hold_kind, hold_owner_id FROM match_seat_inventory
       WHERE status = 'RESERVED' AND held_until < ${now}
       ORDER BY held_until
       LIMIT ${batch}
         FOR UPDATE SKIP LOCKED
    ),
    released AS (
      UPDATE match_seat_inventory m
         SET status = 'AVAILABLE', hold_kind = NULL, hold_owner_id = NULL, held_until = NULL,
             last_modified_at = ${now}, version = m.version + 1
        FROM expired
       WHERE m.id = expired.id AND m.status = 'RESERVED' AND m.held_until < ${now}
      RETURNING m.id, expired.hold_kind, expired.hold_owner_id
    ),
    logged AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, action,
              hold_kind, hold_owner_id, order_id, created_at)
      SELECT r.id, 'RESERVED', 'AVAILABLE', 'hold expired (sweeper)', NULL, 'HOLD_EXPIRED',
             r.hold_kind, r.hold_owner_id,
             CASE WHEN r.hold_kind = 'ORDER' THEN r.hold_owner_id END, ${now}
        FROM released r
    ),
    carts_expired AS (
      UPDATE carts SET status = 'EXPIRED'
       WHERE status = 'ACTIVE' AND expires_at < ${now}
      RETURNING id
    ),
    orders_cancelled AS (
      UPDATE orders o
         SET status = 'CANCELLED', cancelled_at = ${now}, cancellation_reason = 'HOLD_EXPIRED'
       WHERE o.status IN ('PENDING', 'PAYMENT_PENDING', 'PAYMENT_FAILED')
         AND NOT EXISTS (
           SELECT 1 FROM match_seat_inventory i
            WHERE i.hold_owner_id IN (o.id, o.cart_id) AND i.status = 'RESERVED'
              AND i.held_until >= ${now})
      RETURNING o.id
    )
    SELECT (SELECT count(*) FROM released)::int AS seats,
           (SELECT count(*) FROM carts_expired)::int AS carts,
           (SELECT count(*) FROM orders_cancelled)::int AS orders,
           (SELECT coalesce(array_agg(id), '{}') FROM orders_cancelled) AS order_ids`.execute(db);
  return rows[0]!;
}
