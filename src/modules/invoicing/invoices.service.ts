import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import type { DocumentRequest } from '../../platform/adapters/eracuni/eracuni.ts';
import { findDocument, insertRequest } from './documents.repo.ts';
import { findOrdersForInvoice } from './invoices.repo.ts';
import { zagrebDate } from '../../platform/clock.ts';
import { invoiceLines, referenceOf } from './invoicing.rules.ts';

/**
 * Invoices (E8-F5): every paid order gets one, through the outbox. The payment's
 * transaction calls queueInvoiceRequest (one INSERT, nothing sent on the request path); the
 * invoicing delivery loop of the workers creates the invoice at e-računi and the polling
 * loop follows it to FISCALIZED (documents.delivery.ts).
 */

/** Queues the invoice of a paid order in the payment's transaction (idempotent). */
export async function queueInvoiceRequest(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  orderId: string,
): Promise<void> {
  await insertRequest(
    trx,
    { document_type: 'INVOICE', local_reference_id: orderId, order_id: orderId },
    deps.clock.now(),
  );
}

/**
 * The invoice PDF / public URL of an order once e-računi has it (E9-F7), else null: for
 * GET /orders/{id} (`invoice_url`).
 */
export async function invoiceUrlOf(db: Executor, orderId: string): Promise<string | null> {
  return (await findDocument(db, 'INVOICE', orderId))?.public_url ?? null;
}

/** The invoice e-računi is to make for an order (undefined: no such order). */
export async function invoiceRequestOf(
  db: Executor,
  orderId: string,
  now: Date,
): Promise<DocumentRequest | undefined> {
  const [order] = await findOrdersForInvoice(db, [orderId]);
  if (!order) return undefined;
  return {
    kind: 'INVOICE',
    reference: referenceOf('INVOICE', order.id),
    date: zagrebDate(order.completed_at ?? now),
    currency: order.currency,
    buyer: { name: order.buyer_name ?? order.buyer_email, email: order.buyer_email },
    lines: invoiceLines(order),
  };
}
