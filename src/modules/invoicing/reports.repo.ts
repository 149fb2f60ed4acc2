import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/**
 * The SQL of the financial reconciliation (E14-F3): straight sums over the rows of record
 * (payments, orders, refunds, payment offers, e-računi documents and requests), so the
 * report's totals are those rows' sums by construction. Paid orders: `completed_at` in
 * [from, to), of the match when given.
 */
export interface ReportFilter {
  matchId?: string;
  from: Date;
  to: Date;
}

const paidOrders = (f: ReportFilter) => sql`
  SELECT o.* FROM orders o
   WHERE o.completed_at >= ${f.from} AND o.completed_at < ${f.to}
     ${f.matchId ? sql`AND o.match_id = ${f.matchId}` : sql``}`;

export interface MethodTotal {
  method: string;
  orders: number;
  amount: number;
  ticket_amount: number;
  fee_amount: number;
  ticket_vat_amount: number;
  fee_vat_amount: number;
}

/**
 * Paid orders by how they were paid: CARD (a SUCCEEDED Stripe payment), PETROL_CASH and
 * PETROL_CARD (taken at a petrol-station counter, E12), FREE (nothing to pay).
 */
export async function totalsByMethod(db: Executor, f: ReportFilter): Promise<MethodTotal[]> {
  const { rows } = await sql<MethodTotal>`
    WITH paid AS (${paidOrders(f)})
    SELECT CASE WHEN EXISTS (SELECT 1 FROM payments p WHERE p.order_id = paid.id AND p.status = 'SUCCEEDED')
                THEN 'CARD'
                ELSE coalesce((SELECT 'PETROL_' || ps.payment_method::text FROM petrol_sales ps
                                WHERE ps.order_id = paid.id),
                              CASE WHEN paid.total_amount = 0 THEN 'FREE' ELSE 'OTHER' END)
           END AS method,
           count(*)::int AS orders, coalesce(sum(total_amount), 0)::int AS amount,
           coalesce(sum(ticket_amount), 0)::int AS ticket_amount, coalesce(sum(fee_amount), 0)::int AS fee_amount,
           coalesce(sum(ticket_vat_amount), 0)::int AS ticket_vat_amount,
           coalesce(sum(fee_vat_amount), 0)::int AS fee_vat_amount
      FROM paid GROUP BY 1 ORDER BY 1`.execute(db);
  return rows;
}

/** COMPLETED refunds of the period (by completion), of the match's orders. */
export async function refundTotals(
  db: Executor,
  f: ReportFilter,
): Promise<{ refunds: number; amount: number }> {
  const { rows } = await sql<{ refunds: number; amount: number }>`
    SELECT count(*)::int AS refunds, coalesce(sum(r.refund_amount), 0)::int AS amount
      FROM refunds r JOIN orders o ON o.id = r.order_id
     WHERE r.status = 'COMPLETED' AND r.completed_at >= ${f.from} AND r.completed_at < ${f.to}
       ${f.matchId ? sql`AND o.match_id = ${f.matchId}` : sql``}`.execute(db);
  return rows[0]!;
}

/** Payment offers created in the period (with an order of the match), by status. */
export async function offersByStatus(
  db: Executor,
  f: ReportFilter,
): Promise<Array<{ status: string; offers: number; amount: number }>> {
  const { rows } = await sql<{ status: string; offers: number; amount: number }>`
    SELECT p.status::text AS status, count(*)::int AS offers, coalesce(sum(p.total_amount), 0)::int AS amount
      FROM payment_offers p
     WHERE p.created_at >= ${f.from} AND p.created_at < ${f.to}
       ${f.matchId ? sql`AND EXISTS (SELECT 1 FROM orders o WHERE o.id = ANY (p.orders) AND o.match_id = ${f.matchId})` : sql``}
     GROUP BY 1 ORDER BY 1`.execute(db);
  return rows;
}

export interface OrderInvoiceStatus {
  order_id: string;
  order_number: string;
  total_amount: number;
  /** FISCALIZED, SENT, DRAFT, CANCELLED (the document's), else PENDING or FAILED (the request's), else NONE */
  e_racuni_status: string;
  e_racuni_number: string | null;
  invoice_total: number | null;
}

export async function invoiceStatuses(
  db: Executor,
  f: ReportFilter,
): Promise<OrderInvoiceStatus[]> {
  const { rows } = await sql<OrderInvoiceStatus>`
    WITH paid AS (${paidOrders(f)})
    SELECT paid.id AS order_id, paid.order_number, paid.total_amount,
           coalesce(d.status::text, r.status, 'NONE') AS e_racuni_status,
           d.e_racuni_number, d.total_amount AS invoice_total
      FROM paid
      LEFT JOIN e_racuni_documents d ON d.document_type = 'INVOICE' AND d.local_reference_id = paid.id
      LEFT JOIN e_racuni_requests r ON r.document_type = 'INVOICE' AND r.local_reference_id = paid.id
     ORDER BY paid.completed_at, paid.id`.execute(db);
  return rows;
}
