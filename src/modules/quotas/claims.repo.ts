import { sql, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { QuotaClaimCarts, QuotaSeatStatus } from '../../platform/db/types.generated.ts';

/** SQL on quota_claim_carts and the quota seats of a claim (E7-F5). */

export type ClaimCartRow = Selectable<QuotaClaimCarts>;

export async function insertClaimCart(
  db: Executor,
  values: {
    quota_id: string;
    subquota_id: string | null;
    user_id: string;
    expires_at: Date;
    now: Date;
  },
): Promise<ClaimCartRow> {
  return db
    .insertInto('quota_claim_carts')
    .values({
      quota_id: values.quota_id,
      subquota_id: values.subquota_id,
      user_id: values.user_id,
      expires_at: values.expires_at,
      created_at: values.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findClaimCart(
  db: Executor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<ClaimCartRow | undefined> {
  let q = db.selectFrom('quota_claim_carts').selectAll().where('id', '=', id);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function findClaimCartOfOrder(db: Executor, orderId: string) {
  return db
    .selectFrom('quota_claim_carts')
    .selectAll()
    .where('order_id', '=', orderId)
    .forUpdate()
    .executeTakeFirst();
}

/** The caller's ACTIVE claims on the quota (or its sub-quota), locked. */
export async function activeClaimCartsOf(
  db: Executor,
  input: { quotaId: string; userId?: string; subquotaId?: string | null },
): Promise<ClaimCartRow[]> {
  let q = db
    .selectFrom('quota_claim_carts')
    .selectAll()
    .where('quota_id', '=', input.quotaId)
    .where('status', '=', 'ACTIVE');
  if (input.userId) q = q.where('user_id', '=', input.userId);
  if (input.subquotaId !== undefined) {
    q =
      input.subquotaId === null
        ? q.where('subquota_id', 'is', null)
        : q.where('subquota_id', '=', input.subquotaId);
  }
  return q.orderBy('created_at').forUpdate().execute();
}

export async function updateClaimCart(
  db: Executor,
  id: string,
  values: Updateable<QuotaClaimCarts>,
): Promise<ClaimCartRow> {
  return db
    .updateTable('quota_claim_carts')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** ACTIVE claims past their expiry (not DEFERRED: those wait for the payment offer), locked. */
export async function lockExpiredClaimCarts(db: Executor, now: Date, limit: number) {
  return db
    .selectFrom('quota_claim_carts')
    .selectAll()
    .where('status', '=', 'ACTIVE')
    .where('expires_at', '<', now)
    .where('payment_status', '=', 'PENDING')
    .orderBy('expires_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/**
 * The free seats of a quota (ALLOCATED, in no sub-quota) or of a sub-quota (its DELEGATED
 * seats) in snake order, with their inventory row.
 */
export async function freeSeatsOf(
  db: Executor,
  input: { quotaId: string; subquotaId: string | null },
): Promise<{ id: string; match_seat_inventory_id: string }[]> {
  const { rows } = await sql<{ id: string; match_seat_inventory_id: string }>`
    SELECT qs.id, qs.match_seat_inventory_id
      FROM quota_seats qs JOIN match_seat_inventory i ON i.id = qs.match_seat_inventory_id
     WHERE qs.quota_id = ${input.quotaId}
       AND ${
         input.subquotaId
           ? sql`qs.subquota_id = ${input.subquotaId} AND qs.status = 'DELEGATED'`
           : sql`qs.subquota_id IS NULL AND qs.status = 'ALLOCATED'`
       }
     ORDER BY i.match_sector_id, i.snake_order`.execute(db);
  return rows;
}

/**
 * Puts free quota seats into a claim: → RESERVED with the claim cart, only from their free
 * status (checked on the row), so two claims of the same seat cannot both win. Returns the
 * inventory ids taken.
 */
export async function reserveQuotaSeats(
  db: Executor,
  input: { quotaSeatIds: readonly string[]; from: QuotaSeatStatus; cartId: string },
): Promise<string[]> {
  if (input.quotaSeatIds.length === 0) return [];
  const rows = await db
    .updateTable('quota_seats')
    .set({ status: 'RESERVED', claim_cart_id: input.cartId })
    .where('id', 'in', [...input.quotaSeatIds])
    .where('status', '=', input.from)
    .returning('match_seat_inventory_id')
    .execute();
  return rows.map((r) => r.match_seat_inventory_id);
}

/** A claim's seats go back to what they were: ALLOCATED, or DELEGATED in their sub-quota. */
export async function unreserveClaimSeats(db: Executor, cartId: string): Promise<number> {
  const rows = await db
    .updateTable('quota_seats')
    .set((eb) => ({
      status: eb
        .case()
        .when('subquota_id', 'is not', null)
        .then(sql<QuotaSeatStatus>`'DELEGATED'::quota_seat_status`)
        .else(sql<QuotaSeatStatus>`'ALLOCATED'::quota_seat_status`)
        .end(),
      claim_cart_id: null,
    }))
    .where('claim_cart_id', '=', cartId)
    .where('status', '=', 'RESERVED')
    .returning('id')
    .execute();
  return rows.length;
}

/** The claim's seats (RESERVED with it), with their inventory rows. */
export async function seatsOfClaim(db: Executor, cartId: string) {
  return db
    .selectFrom('quota_seats')
    .select(['id', 'match_seat_inventory_id', 'status', 'subquota_id', 'ticket_id'])
    .where('claim_cart_id', '=', cartId)
    .orderBy('created_at')
    .execute();
}

/** The sale of a claim's order: its seats SOLD with their tickets. */
export async function markClaimSeatsSold(
  db: Executor,
  cartId: string,
  tickets: readonly { id: string; inventory_id: string }[],
  now: Date,
): Promise<number> {
  if (tickets.length === 0) return 0;
  const { rows } = await sql<{ id: string }>`
    UPDATE quota_seats qs
       SET status = 'SOLD', ticket_id = t.ticket_id, claimed_at = ${now}
      FROM unnest(${tickets.map((t) => t.inventory_id)}::uuid[], ${tickets.map((t) => t.id)}::uuid[])
             AS t(inventory_id, ticket_id)
     WHERE qs.claim_cart_id = ${cartId} AND qs.match_seat_inventory_id = t.inventory_id
       AND qs.status = 'RESERVED'
    RETURNING qs.id`.execute(db);
  return rows.length;
}

/**
 * A quota whose every live seat is sold becomes FULLY_CLAIMED (from ACTIVE); a sub-quota
 * takes the status its seats give it: SOLD when all are sold, RESERVED while a claim holds
 * some, else ALLOCATED.
 */
export async function refreshClaimStatuses(
  db: Executor,
  input: { quotaId: string; subquotaId: string | null; now: Date },
): Promise<void> {
  await sql`
    UPDATE quotas q SET status = 'FULLY_CLAIMED'
     WHERE q.id = ${input.quotaId} AND q.status = 'ACTIVE'
       AND NOT EXISTS (SELECT 1 FROM quota_seats qs WHERE qs.quota_id = q.id
                          AND qs.status NOT IN ('SOLD', 'CANCELLED'))`.execute(db);
  if (!input.subquotaId) return;
  await sql`
    UPDATE subquotas sq
       SET status = x.status,
           claimed_at = CASE WHEN x.status = 'SOLD' THEN ${input.now}::timestamptz ELSE sq.claimed_at END
      FROM (SELECT CASE WHEN bool_and(qs.status = 'SOLD') THEN 'SOLD'
                        WHEN bool_or(qs.status IN ('RESERVED', 'SOLD')) THEN 'RESERVED'
                        ELSE 'ALLOCATED' END::subquota_status AS status
              FROM quota_seats qs WHERE qs.subquota_id = ${input.subquotaId}
               AND qs.status <> 'CANCELLED') x
     WHERE sq.id = ${input.subquotaId} AND sq.status IN ('ALLOCATED', 'RESERVED')
       AND x.status IS NOT NULL`.execute(db);
}
