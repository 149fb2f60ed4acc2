import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { orderSources, orderTarget } from './order-state.ts';

/** SQL of the expired-hold sweep (sales.jobs.ts): seats, carts and orders whose hold ran out. */

/**
 * Releases every hold past its held_until (any kind: invariant 2 makes them free already;
 * this makes the row say so), marks carts past their expiry EXPIRED and open shop orders
 * left without a live hold CANCELLED (a quota claim's order is the quotas module's). Batched so one run never holds many row locks for long.
 */
export async function sweepExpiredHolds(
  db: Executor,
  now: Date,
  batch: number,
): Promise<{ seats: number; carts: number; orders: number; order_ids: string[] }> {
  // The order machine's HOLD_EXPIRED, as literals: the statement's text stays constant.
  const from = sql.join(orderSources('HOLD_EXPIRED').map((s) => sql.lit(s)));
  const to = sql.lit(orderTarget('HOLD_EXPIRED'));
  const { rows } = await sql<{ seats: number; carts: number; orders: number; order_ids: string[] }>`
    WITH expired AS (
      -- hold_owner_id IS NOT NULL (RESERVED, by the hold check): among the seats held now,
      -- through match_seat_inventory_holder_idx (no index on held_until, issue 28).
      SELECT id, hold_kind, hold_owner_id FROM match_seat_inventory
       WHERE hold_owner_id IS NOT NULL AND status = 'RESERVED' AND held_until < ${now}
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
      -- Shop orders only: an order of another channel (a quota claim, cart_id NULL) has its
      -- seats held by the claim until payment starts, and its own module closes it.
      UPDATE orders o
         SET status = ${to}, cancelled_at = ${now}, cancellation_reason = 'HOLD_EXPIRED'
       WHERE o.status IN (${from}) AND o.cart_id IS NOT NULL
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
