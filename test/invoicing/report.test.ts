import { describe, expect, it } from 'vitest';
import { deliverDocumentBatch } from '../../src/modules/invoicing/documents.delivery.ts';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { createUser } from '../factories/users.ts';
import { addToCart, createFan, holdersFor, nameHolders } from '../sales/helpers.ts';
import { adminRefund, paidOrder, runRefundJobs, settleRefunds } from '../sales/refund-helpers.ts';
import { useInvoicingContext } from './helpers.ts';

const { t, stripe } = await useInvoicingContext();

describe('financial reconciliation report (E14-F3)', () => {
  it('groups by payment method, shows fees, VAT, refunds, deferred offers and e-računi status; every total reconciles', async () => {
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    const a = await paidOrder(t, stripe, 2);
    const b = await paidOrder(t, stripe, 1);
    while ((await deliverDocumentBatch(t.deps)) > 0);
    const c = await paidOrder(t, stripe, 1); // its invoice still pending
    const refund = await adminRefund(t, finance, b.orderId, { reason: 'moved' });
    expect(refund.statusCode).toBe(201);
    await runRefundJobs(t);
    await settleRefunds(t, stripe);
    // a deferred offer of an unpaid order of a's match
    const debtor = await t.request({
      method: 'POST',
      url: '/admin/debtors',
      token: finance.token,
      payload: { name: 'Sponzor d.o.o.', oib: generateOib() },
    });
    const fan = await createFan(t.deps);
    const cart = (await addToCart(t, fan, a.sale, 1)).json().cart;
    const unpaid = (await nameHolders(t, fan, cart.id, holdersFor(1))).json();
    const offer = await t.request({
      method: 'POST',
      url: '/admin/payment-offers',
      token: finance.token,
      payload: { debtor_id: debtor.json().id, order_ids: [unpaid.id] },
    });
    expect(offer.json().status).toBe('SENT');

    const from = new Date(t.clock.now().getTime() - 86_400_000).toISOString();
    const to = new Date(t.clock.now().getTime() + 86_400_000).toISOString();
    const res = await t.request({
      method: 'GET',
      url: `/admin/reports/financial?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      token: finance.token,
    });
    expect(res.statusCode).toBe(200);
    const report = res.json();

    // reconciliation against the rows of record
    const ids = [a.orderId, b.orderId, c.orderId];
    const orders = await t.deps.db
      .selectFrom('orders')
      .selectAll()
      .where('id', 'in', ids)
      .execute();
    const sum = (pick: (o: (typeof orders)[number]) => number) =>
      orders.reduce((s, o) => s + pick(o), 0);
    const payments = await t.deps.db
      .selectFrom('payments')
      .select('amount')
      .where('order_id', 'in', ids)
      .where('status', '=', 'SUCCEEDED')
      .execute();
    const refunds = await t.deps.db
      .selectFrom('refunds')
      .select('refund_amount')
      .where('status', '=', 'COMPLETED')
      .execute();
    expect(report.by_payment_method).toEqual([
      {
        method: 'CARD',
        orders: 3,
        amount: sum((o) => o.total_amount),
        ticket_amount: sum((o) => o.ticket_amount),
        fee_amount: sum((o) => o.fee_amount),
        ticket_vat_amount: sum((o) => o.ticket_vat_amount),
        fee_vat_amount: sum((o) => o.fee_vat_amount),
      },
    ]);
    expect(report.totals.amount).toBe(payments.reduce((s, p) => s + p.amount, 0));
    expect(report.totals).toMatchObject({
      orders: 3,
      fee_amount: sum((o) => o.fee_amount),
      vat_amount: sum((o) => o.ticket_vat_amount + o.fee_vat_amount),
      refunds: 1,
      refunded_amount: refunds.reduce((s, r) => s + r.refund_amount, 0),
    });
    expect(report.totals.net_amount).toBe(report.totals.amount - report.totals.refunded_amount);
    expect(report.deferred_offers).toEqual([
      { status: 'SENT', offers: 1, amount: unpaid.total_amount },
    ]);
    const status = Object.fromEntries(
      report.invoices.map((i: { order_id: string; e_racuni_status: string }) => [
        i.order_id,
        i.e_racuni_status,
      ]),
    );
    expect(status).toEqual({ [a.orderId]: 'DRAFT', [b.orderId]: 'DRAFT', [c.orderId]: 'PENDING' });
    for (const i of report.invoices) {
      if (i.invoice_total !== null) expect(i.invoice_total).toBe(i.total_amount);
    }

    // by match: only that match's orders
    const byMatch = await t.request({
      method: 'GET',
      url: `/admin/reports/financial?match_id=${a.sale.matchId}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      token: finance.token,
    });
    expect(byMatch.json().totals.orders).toBe(1);
    expect(byMatch.json().deferred_offers).toHaveLength(1);
    const bad = await t.request({
      method: 'GET',
      url: `/admin/reports/financial?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}`,
      token: finance.token,
    });
    expect(bad.statusCode).toBe(400);
    const fanReport = await t.request({
      method: 'GET',
      url: `/admin/reports/financial?from=${from}&to=${to}`,
      token: fan.token,
    });
    expect(fanReport.statusCode).toBe(403);
  });
});
