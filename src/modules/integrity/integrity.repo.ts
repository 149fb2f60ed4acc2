import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/**
 * The invariants of a sale, each as one query returning the offending rows' ids. They read
 * the system of record only (PostgreSQL), so they can be run after any real sale.
 */
export interface InvariantQuery {
  name: string;
  description: string;
  query: (matchId: string, now: Date, graceSeconds: number) => RawBuilder<{ id: string }>;
}

const VALID_TICKET = sql`t.status IN ('SOLD', 'ATTENDED')`;

export const INVARIANTS: InvariantQuery[] = [
  {
    name: 'seat_with_two_valid_tickets',
    description: 'a seat carries at most one valid ticket',
    query: (m) => sql`
      SELECT t.match_seat_inventory_id::text AS id FROM tickets t
      WHERE t.match_id = ${m} AND ${VALID_TICKET}
      GROUP BY t.match_seat_inventory_id HAVING count(*) > 1`,
  },
  {
    name: 'sold_seat_without_ticket',
    description: 'every SOLD seat has exactly one valid ticket',
    query: (m) => sql`
      SELECT i.id::text AS id FROM match_seat_inventory i
      WHERE i.match_id = ${m} AND i.status = 'SOLD'
        AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.match_seat_inventory_id = i.id AND ${VALID_TICKET})`,
  },
  {
    name: 'ticket_on_unsold_seat',
    description: 'every valid ticket sits on a SOLD seat',
    query: (m) => sql`
      SELECT t.id::text AS id FROM tickets t
      JOIN match_seat_inventory i ON i.id = t.match_seat_inventory_id
      WHERE t.match_id = ${m} AND ${VALID_TICKET} AND i.status <> 'SOLD'`,
  },
  {
    name: 'seat_held_twice',
    description: 'a held seat has exactly one holder, and a cart hold belongs to an active cart',
    query: (m, now) => sql`
      SELECT i.id::text AS id FROM match_seat_inventory i
      LEFT JOIN carts c ON i.hold_kind = 'CART' AND c.id = i.hold_owner_id
      WHERE i.match_id = ${m} AND i.status = 'RESERVED' AND i.held_until > ${now}
        AND i.hold_kind = 'CART' AND (c.id IS NULL OR c.status <> 'ACTIVE')`,
  },
  {
    name: 'completed_order_without_payment',
    description: 'every COMPLETED order has a SUCCEEDED payment',
    query: (m) => sql`
      SELECT o.id::text AS id FROM orders o
      WHERE o.match_id = ${m} AND o.status = 'COMPLETED'
        AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'SUCCEEDED')`,
  },
  {
    name: 'completed_order_without_its_tickets',
    description: 'every COMPLETED order has one ticket per order line',
    query: (m) => sql`
      SELECT o.id::text AS id FROM orders o
      WHERE o.match_id = ${m} AND o.status = 'COMPLETED'
        AND (SELECT count(*) FROM order_items oi WHERE oi.order_id = o.id)
         <> (SELECT count(*) FROM tickets t WHERE t.order_id = o.id)`,
  },
  {
    name: 'succeeded_payment_without_order_outcome',
    description: 'every SUCCEEDED payment has a COMPLETED order or a refund',
    query: (m) => sql`
      SELECT p.id::text AS id FROM payments p JOIN orders o ON o.id = p.order_id
      WHERE o.match_id = ${m} AND p.status = 'SUCCEEDED'
        AND o.status NOT IN ('COMPLETED', 'REFUNDED') AND p.refund_requested_at IS NULL`,
  },
  {
    name: 'fan_over_match_limit',
    description: 'no fan bought more than 4 tickets for the match',
    query: (m) => sql`
      SELECT o.user_id::text AS id FROM tickets t JOIN orders o ON o.id = t.order_id
      WHERE t.match_id = ${m} AND ${VALID_TICKET}
      GROUP BY o.user_id HAVING count(*) > 4`,
  },
  {
    name: 'external_ticket_without_one_pdf',
    description: 'every ticket admitted by a host PDF (E9-F6) has exactly one assigned page',
    query: (m) => sql`
      SELECT t.id::text AS id FROM tickets t
      WHERE t.match_id = ${m} AND t.external_ticket_required
        AND (SELECT count(*) FROM away_pdf_documents d
              WHERE d.ticket_id = t.id AND d.outcome IN ('MATCHED', 'ASSIGNED')) <> 1`,
  },
  {
    name: 'expired_hold_still_blocking',
    description: 'no hold stays RESERVED longer than the sweeper grace after its expiry',
    query: (m, now, grace) => sql`
      SELECT i.id::text AS id FROM match_seat_inventory i
      WHERE i.match_id = ${m} AND i.status = 'RESERVED'
        AND i.held_until < ${now}::timestamptz - make_interval(secs => ${grace})`,
  },
  {
    name: 'queue_completed_without_order',
    description: 'a COMPLETED queue entry has a COMPLETED order of that fan for the match',
    query: (m) => sql`
      SELECT q.id::text AS id FROM queue_entries q
      WHERE q.match_id = ${m} AND q.status = 'COMPLETED'
        AND NOT EXISTS (
          SELECT 1 FROM orders o WHERE o.user_id = q.user_id AND o.match_id = q.match_id
            AND o.status IN ('COMPLETED', 'REFUNDED'))`,
  },
];

export async function findViolations(
  db: Executor,
  invariant: InvariantQuery,
  matchId: string,
  now: Date,
  graceSeconds: number,
): Promise<string[]> {
  const { rows } = await invariant.query(matchId, now, graceSeconds).execute(db);
  return rows.map((r) => r.id);
}

export async function matchExists(db: Executor, matchId: string): Promise<boolean> {
  const row = await db
    .selectFrom('matches')
    .select('id')
    .where('id', '=', matchId)
    .executeTakeFirst();
  return !!row;
}
