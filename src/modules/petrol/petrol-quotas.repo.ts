import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { QuotaStatus } from '../../platform/db/types.generated.ts';
import type { PetrolFreeSeat } from './petrol.rules.ts';

/**
 * SQL of the petrol side of quotas (E12-F4): the match's petrol quota, its free seats, and
 * the quota-seat states a petrol reservation and sale give them (RESERVED, SOLD with the
 * ticket). The seats' inventory side goes through inventory/quota-seats.repo.ts.
 */

export interface PetrolQuotaRow {
  id: string;
  match_id: string;
  status: QuotaStatus;
  sector_ids: string[];
  discount_percent: string;
  total_quantity: number;
}

/** The match's ACTIVE petrol quota (at most one: the partial UNIQUE), optionally locked. */
export async function activePetrolQuotaOf(
  db: Executor,
  matchId: string,
  options: { forUpdate?: boolean } = {},
): Promise<PetrolQuotaRow | undefined> {
  let q = db
    .selectFrom('quotas')
    .select(['id', 'match_id', 'status', 'sector_ids', 'discount_percent', 'total_quantity'])
    .where('match_id', '=', matchId)
    .where('quota_type', '=', 'PETROL')
    .where('status', '=', 'ACTIVE');
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function lockPetrolQuota(db: Executor, id: string) {
  return db
    .selectFrom('quotas')
    .select(['id', 'match_id', 'status', 'sector_ids', 'discount_percent', 'total_quantity'])
    .where('id', '=', id)
    .where('quota_type', '=', 'PETROL')
    .forUpdate()
    .executeTakeFirst();
}

/** Free seats of a petrol quota (ALLOCATED), in the quota's sector order, then snake order. */
export async function freePetrolSeats(db: Executor, quotaId: string): Promise<PetrolFreeSeat[]> {
  const { rows } = await sql<PetrolFreeSeat>`
    SELECT i.id, i.match_sector_id, i.row_index, i.col_index, i.snake_order
      FROM quota_seats qs
      JOIN quotas q ON q.id = qs.quota_id
      JOIN match_seat_inventory i ON i.id = qs.match_seat_inventory_id
     WHERE qs.quota_id = ${quotaId} AND qs.status = 'ALLOCATED' AND i.status = 'ALLOCATED'
     ORDER BY array_position(q.sector_ids, i.match_sector_id), i.snake_order`.execute(db);
  return rows;
}

export async function countFreePetrolSeats(db: Executor, quotaId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM quota_seats
     WHERE quota_id = ${quotaId} AND status = 'ALLOCATED'`.execute(db);
  return rows[0]!.n;
}

/** Quota seats of these inventory rows: ALLOCATED → RESERVED (a cashier's reservation). */
export async function reservePetrolQuotaSeats(
  db: Executor,
  quotaId: string,
  inventoryIds: readonly string[],
): Promise<number> {
  const rows = await db
    .updateTable('quota_seats')
    .set({ status: 'RESERVED' })
    .where('quota_id', '=', quotaId)
    .where('match_seat_inventory_id', 'in', [...inventoryIds])
    .where('status', '=', 'ALLOCATED')
    .returning('id')
    .execute();
  return rows.length;
}

/** The reservation ended unsold: its quota seats RESERVED → ALLOCATED. */
export async function unreservePetrolQuotaSeats(
  db: Executor,
  quotaId: string,
  inventoryIds: readonly string[],
): Promise<number> {
  if (inventoryIds.length === 0) return 0;
  const rows = await db
    .updateTable('quota_seats')
    .set({ status: 'ALLOCATED' })
    .where('quota_id', '=', quotaId)
    .where('match_seat_inventory_id', 'in', [...inventoryIds])
    .where('status', '=', 'RESERVED')
    .returning('id')
    .execute();
  return rows.length;
}

/** The sale: the reservation's quota seats SOLD with their tickets. */
export async function markPetrolSeatsSold(
  db: Executor,
  quotaId: string,
  tickets: readonly { id: string; inventory_id: string }[],
  now: Date,
): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    UPDATE quota_seats qs
       SET status = 'SOLD', ticket_id = t.ticket_id, claimed_at = ${now}
      FROM unnest(${tickets.map((t) => t.inventory_id)}::uuid[], ${tickets.map((t) => t.id)}::uuid[])
             AS t(inventory_id, ticket_id)
     WHERE qs.quota_id = ${quotaId} AND qs.match_seat_inventory_id = t.inventory_id
       AND qs.status = 'RESERVED'
    RETURNING qs.id`.execute(db);
  return rows.length;
}

export interface PetrolQuotaFilter {
  quotaId?: string;
  matchId?: string;
  status?: QuotaStatus;
  deferredPaymentStatus?: 'NO_SALES' | 'OPEN' | 'SETTLED';
  from?: Date;
  to?: Date;
  page: number;
  limit: number;
}

/**
 * Petrol quotas with their sale figures, filtered and paginated (E12-F4). The
 * deferred-payment status (our reading: the petrol company owes HNS what its cashiers
 * took): NO_SALES, OPEN (sales not yet in a PAID payment offer), SETTLED (every sale's
 * order is in a PAID offer). The date range is on the match's kick-off.
 */
export async function listPetrolQuotas(db: Executor, f: PetrolQuotaFilter) {
  const { rows } = await sql<{
    id: string;
    sold: number;
    cash_amount: number;
    card_amount: number;
    deferred_payment_status: 'NO_SALES' | 'OPEN' | 'SETTLED';
    full_count: number;
  }>`
    WITH figures AS (
      SELECT q.id, m.kick_off_time, q.created_at,
             count(s.id)::int AS sales,
             coalesce(sum(s.total_amount) FILTER (WHERE s.payment_method = 'CASH'), 0)::int AS cash_amount,
             coalesce(sum(s.total_amount) FILTER (WHERE s.payment_method = 'CARD'), 0)::int AS card_amount,
             count(s.id) FILTER (WHERE NOT EXISTS (
               SELECT 1 FROM payment_offer_orders po JOIN payment_offers o ON o.id = po.payment_offer_id
                WHERE po.order_id = s.order_id AND o.status = 'PAID'))::int AS unsettled
        FROM quotas q
        JOIN matches m ON m.id = q.match_id
        LEFT JOIN petrol_reservations r ON r.quota_id = q.id AND r.status = 'COMPLETED'
        LEFT JOIN petrol_sales s ON s.reservation_id = r.id
       WHERE q.quota_type = 'PETROL'
         AND (${f.quotaId ?? null}::uuid IS NULL OR q.id = ${f.quotaId ?? null}::uuid)
         AND (${f.matchId ?? null}::uuid IS NULL OR q.match_id = ${f.matchId ?? null}::uuid)
         AND (${f.status ?? null}::quota_status IS NULL OR q.status = ${f.status ?? null}::quota_status)
         AND (${f.from ?? null}::timestamptz IS NULL OR m.kick_off_time >= ${f.from ?? null}::timestamptz)
         AND (${f.to ?? null}::timestamptz IS NULL OR m.kick_off_time < ${f.to ?? null}::timestamptz)
       GROUP BY q.id, m.kick_off_time, q.created_at
    ),
    shaped AS (
      SELECT id, kick_off_time, created_at, cash_amount, card_amount,
             (SELECT count(*)::int FROM quota_seats qs WHERE qs.quota_id = figures.id AND qs.status = 'SOLD') AS sold,
             CASE WHEN sales = 0 THEN 'NO_SALES' WHEN unsettled > 0 THEN 'OPEN' ELSE 'SETTLED' END AS deferred_payment_status
        FROM figures
    )
    SELECT id, sold, cash_amount, card_amount, deferred_payment_status, count(*) OVER ()::int AS full_count
      FROM shaped
     WHERE ${f.deferredPaymentStatus ?? null}::text IS NULL
        OR deferred_payment_status = ${f.deferredPaymentStatus ?? null}::text
     ORDER BY kick_off_time DESC, created_at DESC
     LIMIT ${f.limit} OFFSET ${(f.page - 1) * f.limit}`.execute(db);
  return rows;
}
