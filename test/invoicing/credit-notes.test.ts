import { describe, expect, it } from 'vitest';
import { deliverDocumentBatch } from '../../src/modules/invoicing/documents.delivery.ts';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import {
  adminRefund,
  paidOrder,
  runRefundJobs,
  settleRefunds,
  staff,
} from '../sales/refund-helpers.ts';
import { useInvoicingContext } from './helpers.ts';

const { t, stripe, eracuni } = await useInvoicingContext();
const drain = async () => {
  while ((await deliverDocumentBatch(t.deps)) > 0);
};
const creditNotesOf = (orderId: string) =>
  t.deps.db
    .selectFrom('e_racuni_documents')
    .selectAll()
    .where('document_type', '=', 'CREDIT_NOTE')
    .where('order_id', '=', orderId)
    .orderBy('created_at')
    .execute();
const invoiceOf = (orderId: string) =>
  t.deps.db
    .selectFrom('e_racuni_documents')
    .selectAll()
    .where('document_type', '=', 'INVOICE')
    .where('local_reference_id', '=', orderId)
    .executeTakeFirstOrThrow();
const invariantsOk = async (matchId: string) => {
  const report = await auditMatchInvariants(t.deps, matchId);
  return report.invariants.filter((i) => i.violations > 0).map((i) => i.name);
};

describe('credit notes through e-računi (E8-F3 credit-note row)', () => {
  it('a partial refund credits exactly its tickets, referencing the invoice; the rest later', async () => {
    const paid = await paidOrder(t, stripe, 2);
    await drain();
    const invoice = await invoiceOf(paid.orderId);
    const admin = await staff(t, ['FINANCE']);
    const first = await adminRefund(t, admin, paid.orderId, {
      ticket_ids: [paid.ticketIds[0]],
      reason: 'seat obstructed',
    });
    expect(first.statusCode).toBe(201);
    await runRefundJobs(t);
    await settleRefunds(t, stripe);
    await drain();
    const [note] = await creditNotesOf(paid.orderId);
    expect(note).toMatchObject({
      local_reference_id: first.json().id,
      total_amount: first.json().refund_amount,
      status: 'DRAFT',
    });
    expect(note!.e_racuni_number).toMatch(/^O2026-/);
    const remote = eracuni.documents.find((d) => d.id === note!.e_racuni_id)!;
    const sent = remote.parameters.SalesInvoice as Record<string, unknown>;
    expect(sent.referencedInvoiceNumber).toBe(invoice.e_racuni_number);
    expect(sent.invoiceType).toBe('CreditNote');
    expect(remote.total).toBe(first.json().refund_amount);
    const cn = await t.deps.db
      .selectFrom('credit_note_requests')
      .select('processed_at')
      .where('refund_id', '=', first.json().id)
      .executeTakeFirstOrThrow();
    expect(cn.processed_at).not.toBeNull();

    const rest = await adminRefund(t, admin, paid.orderId, { reason: 'the rest' });
    await runRefundJobs(t);
    await settleRefunds(t, stripe);
    await drain();
    await drain(); // a second pass takes nothing in twice
    const notes = await creditNotesOf(paid.orderId);
    expect(notes.map((n) => n.total_amount)).toEqual([
      first.json().refund_amount,
      rest.json().refund_amount,
    ]);
    expect(
      eracuni.documents.filter(
        (d) => d.kind === 'CREDIT_NOTE' && notes.some((n) => n.e_racuni_id === d.id),
      ),
    ).toHaveLength(2);
    expect(await invariantsOk(paid.sale.matchId)).toEqual([]);
  });

  it('a refund before its invoice exists waits for the invoice, then is credited', async () => {
    const paid = await paidOrder(t, stripe, 1);
    await eracuni.stop();
    try {
      await drain(); // the invoice cannot be sent
    } finally {
      await eracuni.start();
    }
    const admin = await staff(t, ['FINANCE']);
    const refund = await adminRefund(t, admin, paid.orderId, { reason: 'fan moved abroad' });
    expect(refund.statusCode).toBe(201);
    await runRefundJobs(t);
    await settleRefunds(t, stripe);
    // the credit note's request waits: the invoice's request is in its backoff
    await drain();
    const waiting = await t.deps.db
      .selectFrom('e_racuni_requests')
      .selectAll()
      .where('document_type', '=', 'CREDIT_NOTE')
      .where('local_reference_id', '=', refund.json().id)
      .executeTakeFirstOrThrow();
    expect(waiting.last_error).toMatch(/not issued yet/);
    expect(await invariantsOk(paid.sale.matchId)).toEqual([]); // pending requests are fine
    t.clock.advance(3_600_000);
    await drain();
    t.clock.advance(3_600_000);
    await drain();
    const [note] = await creditNotesOf(paid.orderId);
    expect(note!.total_amount).toBe(refund.json().refund_amount);
    expect(await invariantsOk(paid.sale.matchId)).toEqual([]);

    // a credit note that does not match its refund is reported
    await t.deps.db
      .updateTable('e_racuni_documents')
      .set({ total_amount: note!.total_amount + 1 })
      .where('id', '=', note!.id)
      .execute();
    expect(await invariantsOk(paid.sale.matchId)).toEqual([
      'credit_note_total_differs_from_refund',
    ]);
  });
});
