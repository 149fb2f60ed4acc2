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
    name: 'moved_ticket_off_its_trail',
    description: 'a ticket moved by a sector transfer sits on a seat a transfer gave it',
    // Only tickets some transfer moved (the partial index on sector_transfer_id); their
    // current seat must be one a TRANSFER_IN row gave them, whatever the order of moves.
    query: (m) => sql`
      SELECT l.ticket_id::text AS id FROM seat_audit_logs l
      JOIN tickets t ON t.id = l.ticket_id AND t.match_id = ${m} AND ${VALID_TICKET}
      WHERE l.sector_transfer_id IS NOT NULL AND l.action = 'TRANSFER_IN'
      GROUP BY l.ticket_id, t.match_seat_inventory_id
      HAVING NOT bool_or(l.match_seat_inventory_id = t.match_seat_inventory_id)`,
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
    description:
      'every COMPLETED order with an amount to pay has a SUCCEEDED payment (a free quota claim has none), was paid at a petrol station, or was paid against a PAID payment offer (a deferred quota claim)',
    query: (m) => sql`
      SELECT o.id::text AS id FROM orders o
      WHERE o.match_id = ${m} AND o.status = 'COMPLETED' AND o.total_amount > 0
        AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'SUCCEEDED')
        AND NOT EXISTS (SELECT 1 FROM petrol_sales ps WHERE ps.order_id = o.id)

        AND NOT EXISTS (SELECT 1 FROM payment_offer_orders poo
                          JOIN payment_offers po ON po.id = poo.payment_offer_id
                         WHERE poo.order_id = o.id AND po.status = 'PAID')`,
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
  // Quotas (E7): a quota seat's state agrees with its inventory row, and no quota seat was
  // also sold to the public.
  {
    name: 'quota_seat_inventory_mismatch',
    description:
      'a live quota seat is ALLOCATED (ALLOCATED, DELEGATED), held by its claim (RESERVED) or SOLD with its valid ticket, as its inventory row says',
    query: (m) => sql`
      SELECT qs.id::text AS id FROM quota_seats qs
      JOIN match_seat_inventory i ON i.id = qs.match_seat_inventory_id
      LEFT JOIN tickets t ON t.id = qs.ticket_id
      WHERE i.match_id = ${m} AND qs.status <> 'CANCELLED'
        AND NOT coalesce(
              (qs.status IN ('ALLOCATED', 'DELEGATED') AND i.status = 'ALLOCATED')
              OR (qs.status = 'RESERVED' AND i.status = 'RESERVED' AND i.hold_kind = 'QUOTA')
              OR (qs.status = 'SOLD' AND i.status = 'SOLD' AND t.match_seat_inventory_id = i.id
                  AND ${VALID_TICKET}), false)`,
  },
  {
    name: 'deferred_order_without_its_seats',
    description:
      'a DEFERRED order (a quota claim paid later, E7-F5) holds every seat of its lines: RESERVED, hold_kind QUOTA, the order as holder',
    query: (m) => sql`
      SELECT DISTINCT o.id::text AS id FROM orders o
      JOIN order_items oi ON oi.order_id = o.id
      JOIN match_seat_inventory i ON i.id = oi.match_seat_inventory_id
      WHERE o.match_id = ${m} AND o.status = 'DEFERRED'
        AND NOT (i.status = 'RESERVED' AND i.hold_kind = 'QUOTA' AND i.hold_owner_id = o.id)`,
  },
  {
    name: 'deferred_order_in_paid_offer',
    description:
      'an order of a PAID payment offer is no longer DEFERRED: the payment completed it (OFFER_PAID, E8-F4)',
    query: (m) => sql`
      SELECT o.id::text AS id FROM orders o
      JOIN payment_offer_orders poo ON poo.order_id = o.id
      JOIN payment_offers po ON po.id = poo.payment_offer_id
      WHERE o.match_id = ${m} AND o.status = 'DEFERRED' AND po.status = 'PAID'`,
  },
  {
    name: 'quota_seat_sold_to_public',
    description: 'no seat of a live quota carries a valid ticket other than its quota ticket',
    query: (m) => sql`
      SELECT qs.id::text AS id FROM quota_seats qs
      JOIN tickets t ON t.match_seat_inventory_id = qs.match_seat_inventory_id
      WHERE t.match_id = ${m} AND qs.status <> 'CANCELLED' AND ${VALID_TICKET}
        AND t.id IS DISTINCT FROM qs.ticket_id`,
  },
  {
    name: 'allocated_seat_without_quota',
    description: 'every ALLOCATED seat belongs to a live quota',
    query: (m) => sql`
      SELECT i.id::text AS id FROM match_seat_inventory i
      WHERE i.match_id = ${m} AND i.status = 'ALLOCATED'
        AND NOT EXISTS (SELECT 1 FROM quota_seats qs
                         WHERE qs.match_seat_inventory_id = i.id AND qs.status <> 'CANCELLED')`,
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
  {
    name: 'attended_ticket_of_open_match',
    description: 'a ticket is ATTENDED only once its match is CLOSED (E2-F9)',
    query: (m) => sql`
      SELECT t.id::text AS id FROM tickets t JOIN matches mt ON mt.id = t.match_id
      WHERE t.match_id = ${m} AND t.status = 'ATTENDED' AND mt.status <> 'CLOSED'`,
  },
  {
    name: 'barcode_repeated_in_match',
    description:
      "no barcode is two codes of the match (tickets and extra codes; an extra code is its ticket's)",
    query: (m) => sql`
      SELECT x.barcode AS id FROM (
        SELECT t.barcode, t.id AS owner FROM tickets t WHERE t.match_id = ${m}
        UNION ALL
        SELECT e.barcode, coalesce(e.assigned_ticket_id, e.id) FROM extra_barcodes e
         WHERE e.match_id = ${m}
      ) x GROUP BY x.barcode HAVING count(DISTINCT x.owner) > 1`,
  },
  {
    name: 'loyalty_points_not_attendance',
    description:
      "a closed match's points are 1 per fan holding an ATTENDED ticket by OIB (after the grace, E6-F3)",
    query: (m, now, grace) => sql`
      WITH closed AS (
        SELECT id FROM matches WHERE id = ${m} AND status = 'CLOSED'
           AND closed_at < ${now}::timestamptz - make_interval(secs => ${grace})
      ),
      expected AS (
        SELECT DISTINCT p.user_id FROM closed
          JOIN tickets t ON t.match_id = closed.id AND t.status = 'ATTENDED'
          JOIN ticket_holders h ON h.ticket_id = t.id
          JOIN profiles p ON p.oib_blind_index = h.oib_blind_index
      ),
      awarded AS (
        SELECT lp.user_id, lp.points FROM closed JOIN loyalty_points lp ON lp.match_id = closed.id
      )
      SELECT coalesce(e.user_id, a.user_id)::text AS id
        FROM expected e FULL JOIN awarded a ON a.user_id = e.user_id
       WHERE e.user_id IS NULL OR a.user_id IS NULL OR a.points <> 1`,
  },
  {
    name: 'paid_order_without_invoice',
    description:
      'every paid order (a free quota claim pays nothing and is not invoiced) has exactly one invoice at e-računi or a pending invoice request (E8-F5)',
    query: (m) => sql`
      SELECT o.id::text AS id FROM orders o
      WHERE o.match_id = ${m} AND o.completed_at IS NOT NULL AND o.total_amount > 0
        AND NOT EXISTS (SELECT 1 FROM e_racuni_documents d
                         WHERE d.document_type = 'INVOICE' AND d.local_reference_id = o.id)
        AND NOT EXISTS (SELECT 1 FROM e_racuni_requests r
                         WHERE r.document_type = 'INVOICE' AND r.local_reference_id = o.id
                           AND r.status = 'PENDING')`,
  },
  {
    name: 'invoice_total_differs_from_order',
    description: "an invoice's total at e-računi equals its order's total to the cent",
    query: (m) => sql`
      SELECT d.id::text AS id FROM e_racuni_documents d JOIN orders o ON o.id = d.local_reference_id
      WHERE d.document_type = 'INVOICE' AND o.match_id = ${m} AND d.total_amount <> o.total_amount`,
  },
  {
    name: 'refund_without_credit_note',
    description:
      'every completed refund has one credit note at e-računi or a pending credit-note request (E8-F3)',
    query: (m) => sql`
      SELECT r.id::text AS id FROM refunds r JOIN orders o ON o.id = r.order_id
      WHERE o.match_id = ${m} AND r.status = 'COMPLETED'
        AND NOT EXISTS (SELECT 1 FROM e_racuni_documents d
                         WHERE d.document_type = 'CREDIT_NOTE' AND d.local_reference_id = r.id)
        AND NOT EXISTS (SELECT 1 FROM credit_note_requests c
                         WHERE c.refund_id = r.id AND c.processed_at IS NULL
                           AND NOT EXISTS (SELECT 1 FROM e_racuni_requests q
                                            WHERE q.document_type = 'CREDIT_NOTE'
                                              AND q.local_reference_id = r.id AND q.status = 'FAILED'))`,
  },
  {
    name: 'credit_note_total_differs_from_refund',
    description: "a credit note's total at e-računi equals its refund's amount to the cent",
    query: (m) => sql`
      SELECT d.id::text AS id FROM e_racuni_documents d
      JOIN refunds r ON r.id = d.local_reference_id JOIN orders o ON o.id = r.order_id
      WHERE d.document_type = 'CREDIT_NOTE' AND o.match_id = ${m} AND d.total_amount <> r.refund_amount`,
  },
  {
    name: 'refunds_exceed_payment',
    description: "an order's refunds (all but rejected ones) add up to no more than was paid",
    query: (m) => sql`
      SELECT o.id::text AS id FROM orders o
      JOIN refunds r ON r.order_id = o.id AND r.status <> 'REJECTED'
      WHERE o.match_id = ${m}
      GROUP BY o.id
      HAVING sum(r.refund_amount) > coalesce(
        (SELECT sum(p.amount) FROM payments p WHERE p.order_id = o.id AND p.status = 'SUCCEEDED'), 0)`,
  },
  {
    name: 'returned_ticket_without_refund',
    description:
      'every REFUNDED or CANCELLED ticket has a completed refund or one under way (its reason recorded), or a cancellation reason',
    query: (m) => sql`
      SELECT t.id::text AS id FROM tickets t
      WHERE t.match_id = ${m} AND t.status IN ('REFUNDED', 'CANCELLED')
        AND NOT EXISTS (
          SELECT 1 FROM refund_tickets rt JOIN refunds r ON r.id = rt.refund_id
           WHERE rt.ticket_id = t.id AND rt.released_at IS NULL AND r.status <> 'REJECTED')
        AND t.cancellation_reason IS NULL`,
  },
  {
    name: 'refunded_ticket_in_two_refunds',
    description:
      'a ticket is in at most one refund that is not rejected (its money goes back once)',
    query: (m) => sql`
      SELECT rt.ticket_id::text AS id FROM refund_tickets rt
      JOIN refunds r ON r.id = rt.refund_id JOIN tickets t ON t.id = rt.ticket_id
      WHERE t.match_id = ${m} AND r.status <> 'REJECTED'
      GROUP BY rt.ticket_id HAVING count(*) > 1`,
  },
  {
    name: 'completed_refund_without_stripe_refund',
    description: 'every COMPLETED refund has its one Stripe refund id',
    query: (m) => sql`
      SELECT r.id::text AS id FROM refunds r JOIN orders o ON o.id = r.order_id
      WHERE o.match_id = ${m} AND r.status = 'COMPLETED'
        AND (r.stripe_refund_id IS NULL
             OR EXISTS (SELECT 1 FROM refunds r2
                         WHERE r2.stripe_refund_id = r.stripe_refund_id AND r2.id <> r.id))`,
  },
  {
    name: 'available_seat_with_valid_ticket',
    description: 'no seat is both AVAILABLE and held by a valid ticket',
    query: (m) => sql`
      SELECT i.id::text AS id FROM match_seat_inventory i
      WHERE i.match_id = ${m} AND i.status = 'AVAILABLE'
        AND EXISTS (SELECT 1 FROM tickets t WHERE t.match_seat_inventory_id = i.id AND ${VALID_TICKET})`,
  },
  {
    name: 'blacklisted_person_with_valid_ticket',
    description:
      'after a confirmed blacklist cancellation (E11-F4) no valid ticket of a match still to be played then is held or bought by the person',
    // The match was upcoming at the confirmation (the auto-cancel's 6 h grace); the
    // listed person is the ticket's holder, or the buyer of its order (through the profile).
    query: (m) => sql`
      SELECT t.id::text AS id FROM tickets t
      JOIN matches mt ON mt.id = t.match_id
      JOIN orders o ON o.id = t.order_id
      LEFT JOIN ticket_holders h ON h.ticket_id = t.id
      LEFT JOIN profiles p ON p.user_id = o.user_id
      JOIN blacklist b ON b.status = 'ACTIVE' AND b.tickets_cancelled_at IS NOT NULL
                      AND b.oib_blind_index IN (h.oib_blind_index, p.oib_blind_index)
      WHERE t.match_id = ${m} AND t.status = 'SOLD'
        AND mt.kick_off_time > b.tickets_cancelled_at - interval '6 hours'`,
  },
  // Petrol-station sales (E12, modules/petrol).
  {
    name: 'petrol_sale_differs_from_order',
    description: 'a petrol sale took exactly its order total, and its order is COMPLETED',
    query: (m) => sql`
      SELECT ps.id::text AS id FROM petrol_sales ps JOIN orders o ON o.id = ps.order_id
      WHERE o.match_id = ${m}
        AND (ps.total_amount <> o.total_amount OR o.status NOT IN ('COMPLETED', 'REFUNDED'))`,
  },
  {
    name: 'petrol_reservation_seats_not_held',
    description:
      'every seat of a live petrol reservation is RESERVED for it in the inventory and in its petrol quota',
    query: (m) => sql`
      SELECT r.id::text AS id FROM petrol_reservations r
      JOIN quotas q ON q.id = r.quota_id AND q.match_id = ${m}
      CROSS JOIN LATERAL unnest(r.seats) AS seat(id)
      LEFT JOIN match_seat_inventory i ON i.id = seat.id
      LEFT JOIN quota_seats qs ON qs.match_seat_inventory_id = seat.id AND qs.quota_id = r.quota_id
                               AND qs.status <> 'CANCELLED'
      WHERE r.status IN ('RESERVED', 'IDENTITY_VERIFIED')
        AND NOT (i.status = 'RESERVED' AND i.hold_kind = 'QUOTA' AND i.hold_owner_id = r.id
                 AND qs.status = 'RESERVED')
      GROUP BY r.id`,
  },
  {
    name: 'petrol_quota_seat_reserved_without_reservation',
    description: 'a RESERVED seat of a petrol quota belongs to a live petrol reservation',
    query: (m) => sql`
      SELECT qs.id::text AS id FROM quota_seats qs
      JOIN quotas q ON q.id = qs.quota_id AND q.match_id = ${m} AND q.quota_type = 'PETROL'
      WHERE qs.status = 'RESERVED'
        AND NOT EXISTS (SELECT 1 FROM petrol_reservations r
                         WHERE r.quota_id = q.id AND r.status IN ('RESERVED', 'IDENTITY_VERIFIED')
                           AND qs.match_seat_inventory_id = ANY (r.seats))`,
  },
  {
    name: 'petrol_sale_seats_not_sold',
    description:
      "a COMPLETED petrol reservation has its sale, and each of its seats is SOLD in the quota with a ticket of the sale's order",
    query: (m) => sql`
      SELECT r.id::text AS id FROM petrol_reservations r
      JOIN quotas q ON q.id = r.quota_id AND q.match_id = ${m}
      LEFT JOIN petrol_sales ps ON ps.reservation_id = r.id
      WHERE r.status = 'COMPLETED'
        AND (ps.id IS NULL OR EXISTS (
              SELECT 1 FROM unnest(r.seats) AS seat(id)
              LEFT JOIN quota_seats qs ON qs.match_seat_inventory_id = seat.id
                                       AND qs.quota_id = r.quota_id AND qs.status = 'SOLD'
              LEFT JOIN tickets t ON t.id = qs.ticket_id AND t.order_id = ps.order_id
              WHERE t.id IS NULL))`,
  },
  {
    name: 'petrol_used_pin_without_sale',
    description: 'a USED PIN has exactly one petrol sale',
    query: (m) => sql`
      SELECT p.id::text AS id FROM petrol_pins p
      WHERE p.match_id = ${m} AND p.status = 'USED'
        AND (SELECT count(*) FROM petrol_reservations r JOIN petrol_sales ps ON ps.reservation_id = r.id
              WHERE r.pin_id = p.id) <> 1`,
  },
  {
    name: 'petrol_reservation_overdue',
    description:
      'no petrol reservation stays live longer than the grace after its 20 minutes (the release job runs every minute)',
    query: (m, now, grace) => sql`
      SELECT r.id::text AS id FROM petrol_reservations r
      JOIN quotas q ON q.id = r.quota_id AND q.match_id = ${m}
      WHERE r.status IN ('RESERVED', 'IDENTITY_VERIFIED')
        AND r.expires_at < ${now}::timestamptz - make_interval(secs => ${grace})`,
  },
  {
    name: 'cancelled_match_valid_ticket',
    description: 'a cancelled match whose cancellation job finished has no valid ticket (E2-F7)',
    query: (m) => sql`
      SELECT t.id::text AS id FROM tickets t
      JOIN match_cancellations c ON c.match_id = t.match_id AND c.status = 'DONE'
      WHERE t.match_id = ${m} AND ${VALID_TICKET}`,
  },
  {
    name: 'cancelled_match_order_not_refunded_once',
    description:
      'every paid order of a cancelled match whose job finished has exactly one SYSTEM refund, and its refunds give back all that was paid, fee included (E2-F7)',
    query: (m) => sql`
      SELECT o.id::text AS id FROM orders o
      JOIN match_cancellations c ON c.match_id = o.match_id AND c.status = 'DONE'
      JOIN payments p ON p.order_id = o.id AND p.status = 'SUCCEEDED'
      WHERE o.match_id = ${m} AND o.status = 'COMPLETED'
        AND ((SELECT count(*) FROM refunds r WHERE r.order_id = o.id AND r.source = 'SYSTEM') <> 1
             OR (SELECT coalesce(sum(r.refund_amount), 0) FROM refunds r
                  WHERE r.order_id = o.id AND r.status <> 'REJECTED') <> p.amount)`,
  },
  {
    name: 'cancelled_match_ticket_without_system_refund',
    description:
      "every CANCELLED_MATCH_CANCELLED ticket of a paid order is in its order's SYSTEM refund (E2-F7)",
    query: (m) => sql`
      SELECT t.id::text AS id FROM tickets t
      WHERE t.match_id = ${m} AND t.status = 'CANCELLED_MATCH_CANCELLED'
        AND EXISTS (SELECT 1 FROM payments p
                     WHERE p.order_id = t.order_id AND p.status = 'SUCCEEDED')
        AND NOT EXISTS (
          SELECT 1 FROM refund_tickets rt JOIN refunds r ON r.id = rt.refund_id
           WHERE rt.ticket_id = t.id AND r.source = 'SYSTEM' AND rt.released_at IS NULL)`,
  },
  {
    name: 'cancelled_match_live_hold',
    description:
      'a cancelled match whose cancellation job finished holds no seat for a cart or an order (E2-F7)',
    query: (m, now) => sql`
      SELECT i.id::text AS id FROM match_seat_inventory i
      JOIN match_cancellations c ON c.match_id = i.match_id AND c.status = 'DONE'
      WHERE i.match_id = ${m} AND i.status = 'RESERVED' AND i.held_until > ${now}
        AND i.hold_kind IN ('CART', 'ORDER')`,
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
