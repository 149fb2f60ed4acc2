import type { AppDeps } from '../../deps.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { findPaymentByOrder } from '../payments/payments.repo.ts';
import { listTicketIdsOfOrders } from '../tickets/tickets.repo.ts';
import { holdsTicketOfOrder, orderTicketViews } from '../tickets/tickets.service.ts';
import { orderView } from './checkout.service.ts';
import { findUserOrder, listOrderItems, listUserOrders, type UserOrderRow } from './orders.repo.ts';

/**
 * The fan's own orders (E4-F7, E9-F7): GET /orders and GET /orders/{id}. Only the buyer sees
 * an order: someone who owns or holds one of its tickets without having bought it (a
 * transfer's recipient, a friend named as holder) gets 403 ORDER_BUYER_ONLY; to anyone else
 * the order id answers 404 exactly like an unknown one.
 */

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function orderSummary(row: UserOrderRow, ticketIds: string[]) {
  return {
    id: row.id,
    order_number: row.order_number,
    status: row.status,
    match: {
      id: row.match_id,
      home_team: row.home_team,
      away_team: row.away_team,
      competition: row.competition,
      kick_off_time: row.kick_off_time.toISOString(),
      match_type: row.match_type,
    },
    seat_count: row.seat_count,
    is_presale: row.is_presale,
    ticket_amount: row.ticket_amount,
    ticket_vat_amount: row.ticket_vat_amount,
    fee_amount: row.fee_amount,
    fee_vat_amount: row.fee_vat_amount,
    total_amount: row.total_amount,
    currency: row.currency.trim(),
    ticket_ids: ticketIds,
    created_at: row.created_at.toISOString(),
    completed_at: iso(row.completed_at),
    cancelled_at: iso(row.cancelled_at),
    cancellation_reason: row.cancellation_reason,
  };
}

/** GET /orders: newest first, paginated, with status, totals, match and ticket ids. */
export async function listMyOrders(
  deps: Pick<AppDeps, 'db'>,
  userId: string,
  page: number,
  limit: number,
) {
  const { rows, total } = await listUserOrders(deps.db, userId, page, limit);
  const tickets = await listTicketIdsOfOrders(
    deps.db,
    rows.map((r) => r.id),
  );
  return {
    items: rows.map((r) => orderSummary(r, tickets.get(r.id) ?? [])),
    total,
    page,
    limit,
  };
}

/**
 * GET /orders/{id} (E9-F7): the summary plus the lines (holders masked), the tickets with
 * their status (the seat per its tier, E9-F2), the payment state, the refund summary the
 * refunds write (`refund_status`, `refunded_amount`) and the invoice (none is issued yet).
 */
export async function getMyOrder(
  deps: Pick<AppDeps, 'db' | 'config' | 'clock'>,
  userId: string,
  orderId: string,
) {
  const row = await findUserOrder(deps.db, userId, orderId);
  if (!row) {
    if (await holdsTicketOfOrder(deps, orderId, userId)) {
      throw new AppError('ORDER_BUYER_ONLY', 'Only the buyer can see the order');
    }
    throw notFound('Order');
  }
  const [items, tickets, payment] = await Promise.all([
    listOrderItems(deps.db, row.id),
    orderTicketViews(deps, row),
    findPaymentByOrder(deps.db, row.id),
  ]);
  return {
    ...orderSummary(
      row,
      tickets.map((x) => x.id),
    ),
    items: orderView(deps, row, items).items,
    tickets,
    refund_status: row.refund_status,
    refunded_amount: row.refunded_amount,
    // Invoices (E9-F7 "invoice PDF URL") are issued by the invoicing feature (issue 25).
    invoice_url: null,
    payment: payment
      ? {
          status: payment.status,
          amount: payment.amount,
          completed_at: iso(payment.completed_at),
          refunded_at: iso(payment.refunded_at),
        }
      : null,
  };
}
