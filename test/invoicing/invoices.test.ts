import { describe, expect, it } from 'vitest';
import { getInvoicingGateway } from '../../src/platform/adapters/eracuni/eracuni.ts';
import {
  deliverDocumentBatch,
  pollDocumentBatch,
} from '../../src/modules/invoicing/documents.delivery.ts';
import { invoiceUrlOf } from '../../src/modules/invoicing/invoices.service.ts';
import { createSale, deliver } from '../sales/helpers.ts';
import { FISCALISE_MS, paidOrder, useInvoicingContext } from './helpers.ts';

const { t, stripe, eracuni } = await useInvoicingContext();
const requestsOf = (orderId: string) =>
  t.deps.db.selectFrom('e_racuni_requests').selectAll().where('order_id', '=', orderId).execute();
const documentOf = (orderId: string) =>
  t.deps.db
    .selectFrom('e_racuni_documents')
    .selectAll()
    .where('document_type', '=', 'INVOICE')
    .where('local_reference_id', '=', orderId)
    .executeTakeFirst();
const drain = async () => {
  while ((await deliverDocumentBatch(t.deps)) > 0);
};

describe('invoices through e-računi (E8-F5)', () => {
  it('queues the invoice with the payment, issues it, follows it to FISCALIZED, exposes the URL', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, price: 2_000 });
    const { order } = await paidOrder(t, stripe, sale, 2);
    // queued in the payment's transaction, nothing sent on the request path
    const [request] = await requestsOf(order.id);
    expect(request).toMatchObject({ document_type: 'INVOICE', status: 'PENDING' });
    expect(eracuni.calls).toEqual([]);
    expect(await invoiceUrlOf(t.deps.db, order.id)).toBeNull();

    await drain();
    const doc = await documentOf(order.id);
    const stored = await t.deps.db
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(doc).toMatchObject({ status: 'DRAFT', total_amount: stored.total_amount });
    expect(doc!.e_racuni_number).toMatch(/^2026-\d{5}$/);
    expect((await requestsOf(order.id))[0]!.status).toBe('DONE');

    // lines carry the VAT of E8-F2: HOME ticket 5 %, fee 25 %, the order's amounts
    const sent = eracuni.documents.find((d) => d.id === doc!.e_racuni_id)!;
    const items = (sent.parameters.SalesInvoice as { Items: Array<Record<string, unknown>> }).Items;
    expect(items.map((i) => [i.price, i.vatPercentage])).toEqual([
      [(stored.ticket_amount / 100).toFixed(2), '5.00'],
      [(stored.fee_amount / 100).toFixed(2), '25.00'],
    ]);
    expect(sent.total).toBe(stored.total_amount);

    // status polling: DRAFT → SENT → FISCALIZED (the server fiscalises on the file's clock)
    t.clock.advance(FISCALISE_MS / 2 + 2_100);
    await pollDocumentBatch(t.deps);
    expect((await documentOf(order.id))!.status).toBe('SENT');
    t.clock.advance(FISCALISE_MS + 60_000);
    await pollDocumentBatch(t.deps);
    const fiscalised = (await documentOf(order.id))!;
    expect(fiscalised.status).toBe('FISCALIZED');
    expect(fiscalised.fiscalization_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(fiscalised.fiscalized_at).not.toBeNull();
    expect(fiscalised.next_poll_at).toBeNull();
    const url = await invoiceUrlOf(t.deps.db, order.id);
    expect(url).toBe(sent.publicUrl);
    expect(await (await fetch(url!)).text()).toContain(fiscalised.e_racuni_number);
  });

  it('a duplicate webhook, a re-run of the delivery and a lost lease never make a second invoice', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, price: 1_500 });
    const { order } = await paidOrder(t, stripe, sale, 1);
    const payment = await t.deps.db
      .selectFrom('payments')
      .select('stripe_payment_intent_id')
      .where('order_id', '=', order.id)
      .executeTakeFirstOrThrow();
    const again = await deliver(
      t,
      stripe,
      stripe.event('payment_intent.succeeded', payment.stripe_payment_intent_id!),
    );
    expect(again.json().outcome).toBe('already_settled');
    expect(await requestsOf(order.id)).toHaveLength(1);

    // the first send times out after the server created the invoice (the answer is lost)
    eracuni.failNext('timeout-after-create', 1, 'SalesInvoiceCreate');
    await drain();
    // and a worker that died before writing its outcome: the request is due again
    await t.deps.db
      .updateTable('e_racuni_requests')
      .set({ status: 'PENDING', next_attempt_at: t.clock.now() })
      .where('order_id', '=', order.id)
      .execute();
    await drain();
    const reference = `HNS-INV-${order.id}`;
    expect(eracuni.documents.filter((d) => d.reference === reference)).toHaveLength(1);
    const docs = await t.deps.db
      .selectFrom('e_racuni_documents')
      .select('id')
      .where('order_id', '=', order.id)
      .execute();
    expect(docs).toHaveLength(1);
  });

  it('with e-računi down the sale completes; the request waits with backoff and is sent later', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, price: 1_000 });
    await eracuni.stop();
    let orderId: string;
    try {
      const { order } = await paidOrder(t, stripe, sale, 1);
      orderId = order.id;
      await drain();
      const [waiting] = await requestsOf(orderId);
      expect(waiting).toMatchObject({ status: 'PENDING', attempts: 1 });
      expect(waiting!.last_error).toMatch(/unavailable/);
      expect(waiting!.next_attempt_at!.getTime()).toBeGreaterThan(t.clock.now().getTime());
    } finally {
      await eracuni.start();
    }
    await drain();
    expect(await documentOf(orderId)).toBeUndefined(); // not due yet: backoff
    t.clock.advance(t.config.ERACUNI_RETRY_MS);
    await drain();
    expect(await documentOf(orderId)).toMatchObject({ status: 'DRAFT' });
  });

  it('a document e-računi refuses is FAILED at once, not retried', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, price: 1_000 });
    const bad = getInvoicingGateway({ ...t.config, ERACUNI_TOKEN: 'WRONG' });
    const { order } = await paidOrder(t, stripe, sale, 1);
    await deliverDocumentBatch(t.deps, bad);
    expect((await requestsOf(order.id))[0]).toMatchObject({
      status: 'FAILED',
      next_attempt_at: null,
    });
    expect((await requestsOf(order.id))[0]!.last_error).toMatch(/AUTHENTICATION_FAILED/);
  });
});

describe('audit-invariants of invoicing', () => {
  it('every paid order has one invoice or a pending request, for the order total', async () => {
    const { auditMatchInvariants } =
      await import('../../src/modules/integrity/integrity.service.ts');
    const violations = async (matchId: string) =>
      Object.fromEntries(
        (await auditMatchInvariants(t.deps, matchId)).invariants
          .filter((i) => i.name.includes('invoice'))
          .map((i) => [i.name, i.sample]),
      );
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, price: 2_500 });
    const first = (await paidOrder(t, stripe, sale, 1)).order;
    // pending request: fine
    expect(await violations(sale.matchId)).toEqual({
      paid_order_without_invoice: [],
      invoice_total_differs_from_order: [],
    });
    await drain();
    expect(await violations(sale.matchId)).toEqual({
      paid_order_without_invoice: [],
      invoice_total_differs_from_order: [],
    });
    // a request given up on, and a document whose total is not the order's
    const second = (await paidOrder(t, stripe, sale, 1)).order;
    await t.deps.db
      .updateTable('e_racuni_requests')
      .set({ status: 'FAILED' })
      .where('order_id', '=', second.id)
      .execute();
    const doc = await t.deps.db
      .updateTable('e_racuni_documents')
      .set((eb) => ({ total_amount: eb('total_amount', '+', 1) }))
      .where('local_reference_id', '=', first.id)
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(await violations(sale.matchId)).toEqual({
      paid_order_without_invoice: [second.id],
      invoice_total_differs_from_order: [doc.id],
    });
  });
});
