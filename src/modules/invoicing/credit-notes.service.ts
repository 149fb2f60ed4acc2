import type { Executor } from '../../platform/db/database.ts';
import { zagrebDate } from '../../platform/clock.ts';
import { findCreditNoteRequest, markCreditNoteProcessed } from './credit-notes.repo.ts';
import type { Built } from './documents.delivery.ts';
import { findDocument } from './documents.repo.ts';
import { findOrdersForInvoice } from './invoices.repo.ts';
import { creditNoteLines, referenceOf } from './invoicing.rules.ts';

/**
 * Credit notes (E8-F3 "Create credit note via e-racuni API"): every refund sales commits to
 * becomes one credit note for exactly its amount, referencing the order's invoice; a
 * partial refund credits only its tickets (and the fee given back, if any). The delivery
 * loop takes sales's credit_note_requests into e_racuni_requests, then builds each here.
 * A credit note waits for its invoice (the order's invoice request may still be queued).
 */
export async function buildCreditNote(db: Executor, refundId: string, now: Date): Promise<Built> {
  const cn = await findCreditNoteRequest(db, refundId);
  if (!cn) return { reject: `no credit-note request for refund ${refundId}` };
  const invoice = await findDocument(db, 'INVOICE', cn.order_id);
  if (!invoice) return { wait: `the invoice of order ${cn.order_number} is not issued yet` };
  const [order] = await findOrdersForInvoice(db, [cn.order_id]);
  return {
    orderId: cn.order_id,
    request: {
      kind: 'CREDIT_NOTE',
      reference: referenceOf('CREDIT_NOTE', refundId),
      date: zagrebDate(now),
      currency: cn.currency,
      buyer: {
        name: order?.buyer_name ?? order?.buyer_email ?? cn.order_number,
        email: order?.buyer_email,
      },
      referencedNumber: invoice.e_racuni_number,
      lines: creditNoteLines(
        {
          ticket_amount: cn.ticket_amount,
          fee_amount: cn.fee_amount,
          ticket_count: cn.ticket_ids.length,
          order_number: cn.order_number,
        },
        cn,
      ),
    },
    after: (trx) => markCreditNoteProcessed(trx, refundId, now),
  };
}
