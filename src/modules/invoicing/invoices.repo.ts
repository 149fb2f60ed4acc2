import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { InvoiceSource } from './invoicing.rules.ts';

/** Reads of orders for their invoices (orders are sales's; invoicing only reads them). */
export interface OrderForInvoice extends InvoiceSource {
  id: string;
  status: string;
  total_amount: number;
  currency: string;
  buyer_email: string;
  buyer_name: string | null;
  completed_at: Date | null;
  created_at: Date;
}

export async function findOrdersForInvoice(
  db: Executor,
  orderIds: readonly string[],
): Promise<OrderForInvoice[]> {
  if (orderIds.length === 0) return [];
  const { rows } = await sql<OrderForInvoice>`
    SELECT o.id, o.order_number, o.status, o.ticket_amount, o.fee_amount, o.total_amount,
           o.currency, o.ticket_vat_bp, o.fee_vat_bp, o.completed_at, o.created_at,
           u.email AS buyer_email,
           (SELECT holder_full_name FROM order_items i WHERE i.order_id = o.id ORDER BY position LIMIT 1) AS buyer_name,
           (SELECT count(*)::int FROM order_items i WHERE i.order_id = o.id) AS ticket_count,
           m.home_team || ' – ' || m.away_team AS match_name
      FROM orders o
      JOIN users u ON u.id = o.user_id
      JOIN matches m ON m.id = o.match_id
     WHERE o.id IN (${sql.join(orderIds.map((id) => sql`${id}::uuid`))})`.execute(db);
  return rows;
}
