import type { DocumentLine } from '../../platform/adapters/eracuni/eracuni.ts';
import { zagrebDate } from '../../platform/clock.ts';

/**
 * Pure rules of invoicing: the lines of each document, our references, due dates, and
 * the schedule of retries and status polls. Amounts in cents, rates in basis points
 * (payments/fees.ts); a document's lines add up EXACTLY to what the order or refund has.
 */

export interface InvoiceSource {
  order_number: string;
  ticket_count: number;
  ticket_amount: number;
  fee_amount: number;
  ticket_vat_bp: number;
  fee_vat_bp: number;
  match_name: string;
}

/**
 * Invoice lines (E8-F2): the tickets at the ticket VAT rate and the service fee at the fee
 * VAT rate of the order (HOME 5 % / 25 %, AWAY 0 % / 0 %). One line per part, quantity 1,
 * the order's gross amount: a per-ticket split would make e-računi round per item.
 */
export function invoiceLines(o: InvoiceSource): DocumentLine[] {
  const lines: DocumentLine[] = [
    {
      description: `Ulaznice ${o.match_name} (${o.ticket_count} kom, narudžba ${o.order_number})`,
      quantity: 1,
      unitGross: o.ticket_amount,
      vatBp: o.ticket_vat_bp,
    },
  ];
  if (o.fee_amount > 0) {
    lines.push({
      description: `Naknada za uslugu (narudžba ${o.order_number})`,
      quantity: 1,
      unitGross: o.fee_amount,
      vatBp: o.fee_vat_bp,
    });
  }
  return lines;
}

/** A credit note's lines: only what the refund gives back, at the order's rates. */
export function creditNoteLines(
  r: { ticket_amount: number; fee_amount: number; ticket_count: number; order_number: string },
  rates: { ticket_vat_bp: number; fee_vat_bp: number },
): DocumentLine[] {
  const lines: DocumentLine[] = [];
  if (r.ticket_amount > 0) {
    lines.push({
      description: `Povrat ulaznica (${r.ticket_count} kom, narudžba ${r.order_number})`,
      quantity: 1,
      unitGross: r.ticket_amount,
      vatBp: rates.ticket_vat_bp,
    });
  }
  if (r.fee_amount > 0) {
    lines.push({
      description: `Povrat naknade (narudžba ${r.order_number})`,
      quantity: 1,
      unitGross: r.fee_amount,
      vatBp: rates.fee_vat_bp,
    });
  }
  return lines;
}

/** A payment offer: one line per order, its total at the ticket rate of that order. */
export function offerLines(
  orders: Array<InvoiceSource & { total_amount: number }>,
): DocumentLine[] {
  return orders.flatMap(invoiceLines);
}

export const linesTotal = (lines: readonly DocumentLine[]) =>
  lines.reduce((sum, l) => sum + l.quantity * l.unitGross, 0);

/** Our reference of a document at e-računi: unique, derived from what it documents. */
export const referenceOf = (kind: 'INVOICE' | 'CREDIT_NOTE' | 'PAYMENT_OFFER', localId: string) =>
  `HNS-${kind === 'INVOICE' ? 'INV' : kind === 'CREDIT_NOTE' ? 'CN' : 'PO'}-${localId}`;

/** The due date of an offer made on `at` with these payment terms. */
export function dueDate(at: Date, termsDays: number): string {
  const [y, m, d] = zagrebDate(at).split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + termsDays)).toISOString().slice(0, 10);
}

/** An offer is overdue from the day after its due date (Zagreb time). */
export const isOverdue = (due: string, now: Date) => zagrebDate(now) > due;

/** Retry of a request after its `attempts`-th failure: `base` doubling, at most an hour. */
export const requestRetryMs = (attempts: number, base = 30_000) =>
  Math.min(base * 2 ** Math.max(attempts - 1, 0), 3_600_000);

/** Next look at a document not final yet: `base` doubling, at most 10 minutes. */
export const pollDelayMs = (polls: number, base = 2_000) => Math.min(base * 2 ** polls, 600_000);
