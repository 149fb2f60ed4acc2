import { describe, expect, it } from 'vitest';
import { markOverdueOffers } from '../../src/modules/invoicing/payment-offers.service.ts';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import {
  addToCart,
  createFan,
  createSale,
  holdersFor,
  nameHolders,
  type SaleFixture,
} from '../sales/helpers.ts';
import { useInvoicingContext } from './helpers.ts';
import { deliverDocumentBatch } from '../../src/modules/invoicing/documents.delivery.ts';

const { t, eracuni } = await useInvoicingContext();

/** An order named but not paid by card: what a deferred (quota/petrol) order is until the quotas branch lands. */
async function unpaidOrder(sale: SaleFixture, quantity = 1) {
  const fan = await createFan(t.deps);
  const add = await addToCart(t, fan, sale, quantity);
  const order = (await nameHolders(t, fan, add.json().cart.id, holdersFor(quantity))).json();
  return order as { id: string; total_amount: number; status: string };
}

const call = (
  user: TestUser,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: object,
) => t.request({ method, url, token: user.token, ...(payload ? { payload } : {}) });

async function newDebtor(finance: TestUser, terms = 15) {
  const res = await call(finance, 'POST', '/admin/debtors', {
    name: `Klub ${Math.random().toString(36).slice(2, 8)}`,
    oib: generateOib(),
    email: 'racuni@klub.hr',
    address: 'Ilica 1, Zagreb',
    payment_terms_days: terms,
  });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; oib: string; payment_terms_days: number };
}

describe('debtors (E8-F4)', () => {
  it('finance creates, reads, lists, changes and deletes debtors; the OIB is checked and unique', async () => {
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    const fan = await createUser(t.deps);
    const oib = generateOib();
    const body = { name: 'NK Primjer', oib, payment_terms_days: 30 };
    expect((await call(fan, 'POST', '/admin/debtors', body)).statusCode).toBe(403);
    const created = await call(finance, 'POST', '/admin/debtors', body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'NK Primjer', oib, payment_terms_days: 30 });
    const id = created.json().id;

    const dup = await call(finance, 'POST', '/admin/debtors', { ...body, name: 'Other' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('DEBTOR_OIB_TAKEN');
    const badCheck = `${oib.slice(0, 10)}${(Number(oib[10]) + 1) % 10}`;
    const bad = await call(finance, 'POST', '/admin/debtors', { ...body, oib: badCheck });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().code).toBe('OIB_INVALID');

    expect((await call(finance, 'GET', `/admin/debtors/${id}`)).json().name).toBe('NK Primjer');
    const list = await call(finance, 'GET', `/admin/debtors?q=${oib}`);
    expect(list.json()).toMatchObject({ total: 1, items: [{ id }] });
    const changed = await call(finance, 'PATCH', `/admin/debtors/${id}`, {
      payment_terms_days: 45,
    });
    expect(changed.json().payment_terms_days).toBe(45);
    expect((await call(finance, 'DELETE', `/admin/debtors/${id}`)).statusCode).toBe(204);
    expect((await call(finance, 'GET', `/admin/debtors/${id}`)).statusCode).toBe(404);
  });

  it('concurrent creates of one OIB: exactly one debtor', async () => {
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    const oib = generateOib();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(finance, 'POST', '/admin/debtors', { name: `D${i}`, oib }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([
      201, 409, 409, 409, 409, 409, 409, 409,
    ]);
  });
});

describe('payment offers (E8-F4)', () => {
  it("groups a debtor's orders into one e-računi offer with the debtor's terms and stores its reference", async () => {
    let finance = await createUser(t.deps, { roles: ['FINANCE'] });
    const debtor = await newDebtor(finance, 15);
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, price: 2_000 });
    const orders = [await unpaidOrder(sale, 2), await unpaidOrder(sale, 1)];
    const res = await call(finance, 'POST', '/admin/payment-offers', {
      debtor_id: debtor.id,
      order_ids: orders.map((o) => o.id),
    });
    expect(res.statusCode).toBe(201);
    const offer = res.json();
    expect(offer).toMatchObject({
      status: 'SENT',
      orders: orders.map((o) => o.id),
      total_amount: orders[0]!.total_amount + orders[1]!.total_amount,
      due_date: '2026-06-16', // the file's clock: 2026-06-01 + 15 days
    });
    expect(offer.e_racuni_id).toBeTruthy();
    expect(offer.e_racuni_reference).toMatch(/^P2026-/);
    const remote = eracuni.documents.find((d) => d.id === offer.e_racuni_id)!;
    expect(remote.kind).toBe('PAYMENT_OFFER');
    expect(remote.total).toBe(offer.total_amount);
    expect((remote.parameters.SalesQuote as Record<string, unknown>).validUntil).toBe('2026-06-16');
    const stored = await t.deps.db
      .selectFrom('payment_offers')
      .select(['e_racuni_id', 'e_racuni_reference'])
      .where('id', '=', offer.id)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({
      e_racuni_id: offer.e_racuni_id,
      e_racuni_reference: offer.e_racuni_reference,
    });

    // an order goes into one live offer only
    const again = await call(finance, 'POST', '/admin/payment-offers', {
      debtor_id: debtor.id,
      order_ids: [orders[0]!.id],
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('ORDERS_NOT_OFFERABLE');

    // overdue after the due date; paid then: its orders are invoiced
    t.clock.advance(15 * 86_400_000);
    expect(await markOverdueOffers(t.deps)).toEqual([]);
    t.clock.advance(86_400_000);
    expect(await markOverdueOffers(t.deps)).toEqual([offer.id]);
    expect(await markOverdueOffers(t.deps)).toEqual([]); // once
    finance = await createUser(t.deps, { roles: ['FINANCE'] }); // the first token has expired
    expect(
      (await call(finance, 'GET', `/admin/payment-offers?status=OVERDUE`))
        .json()
        .items.map((o: { id: string }) => o.id),
    ).toContain(offer.id);
    const paid = await call(finance, 'POST', `/admin/payment-offers/${offer.id}/paid`);
    expect(paid.json()).toMatchObject({ status: 'PAID' });
    expect(
      (await call(finance, 'POST', `/admin/payment-offers/${offer.id}/cancel`)).json().code,
    ).toBe('OFFER_STATUS_CONFLICT');
    const requests = await t.deps.db
      .selectFrom('e_racuni_requests')
      .select('local_reference_id')
      .where('document_type', '=', 'INVOICE')
      .where(
        'local_reference_id',
        'in',
        orders.map((o) => o.id),
      )
      .execute();
    expect(requests).toHaveLength(2);
    while ((await deliverDocumentBatch(t.deps)) > 0);
    const invoices = await t.deps.db
      .selectFrom('e_racuni_documents')
      .select('total_amount')
      .where('document_type', '=', 'INVOICE')
      .where(
        'local_reference_id',
        'in',
        orders.map((o) => o.id),
      )
      .execute();
    expect(invoices.map((i) => i.total_amount).sort()).toEqual(
      orders.map((o) => o.total_amount).sort(),
    );
  });

  it('with e-računi down the offer stays DRAFT and is sent on retry, once; cancel frees its orders', async () => {
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    const debtor = await newDebtor(finance);
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, price: 1_000 });
    const order = await unpaidOrder(sale);
    await eracuni.stop();
    let offerId: string;
    try {
      const res = await call(finance, 'POST', '/admin/payment-offers', {
        debtor_id: debtor.id,
        order_ids: [order.id],
      });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ status: 'DRAFT', e_racuni_id: null });
      expect(res.json().send_error).toMatch(/unavailable/);
      offerId = res.json().id;
    } finally {
      await eracuni.start();
    }
    const sent = await call(finance, 'POST', `/admin/payment-offers/${offerId}/send`);
    expect(sent.json().status).toBe('SENT');
    expect((await call(finance, 'POST', `/admin/payment-offers/${offerId}/send`)).json().code).toBe(
      'OFFER_STATUS_CONFLICT',
    );
    expect(eracuni.documents.filter((d) => d.reference === `HNS-PO-${offerId}`)).toHaveLength(1);
    expect((await call(finance, 'DELETE', `/admin/debtors/${debtor.id}`)).json().code).toBe(
      'DEBTOR_IN_USE',
    );

    const cancelled = await call(finance, 'POST', `/admin/payment-offers/${offerId}/cancel`);
    expect(cancelled.json().status).toBe('CANCELLED');
    const next = await call(finance, 'POST', '/admin/payment-offers', {
      debtor_id: debtor.id,
      order_ids: [order.id],
    });
    expect(next.json().status).toBe('SENT');
  });

  it('refuses unknown debtors and orders, paid orders, duplicates, and non-finance users', async () => {
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    const support = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    const debtor = await newDebtor(finance);
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, price: 1_000 });
    const order = await unpaidOrder(sale);
    const post = (user: TestUser, body: object) =>
      call(user, 'POST', '/admin/payment-offers', body);
    expect((await post(support, { debtor_id: debtor.id, order_ids: [order.id] })).statusCode).toBe(
      403,
    );
    expect(
      (await post(finance, { debtor_id: crypto.randomUUID(), order_ids: [order.id] })).statusCode,
    ).toBe(404);
    expect(
      (await post(finance, { debtor_id: debtor.id, order_ids: [crypto.randomUUID()] })).statusCode,
    ).toBe(404);
    expect(
      (await post(finance, { debtor_id: debtor.id, order_ids: [order.id, order.id] })).statusCode,
    ).toBe(400);
    expect((await post(finance, { debtor_id: debtor.id, order_ids: [] })).statusCode).toBe(400);
    await t.deps.db
      .updateTable('orders')
      .set({ status: 'CANCELLED' })
      .where('id', '=', order.id)
      .execute();
    const res = await post(finance, { debtor_id: debtor.id, order_ids: [order.id] });
    expect(res.json().code).toBe('ORDERS_NOT_OFFERABLE');
    expect(
      await t.deps.db
        .selectFrom('payment_offers')
        .select('id')
        .where('debtor_id', '=', debtor.id)
        .execute(),
    ).toEqual([]);
  });

  it('concurrent offers of the same order: exactly one wins', async () => {
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    const debtor = await newDebtor(finance);
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, price: 1_000 });
    const order = await unpaidOrder(sale);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        call(finance, 'POST', '/admin/payment-offers', {
          debtor_id: debtor.id,
          order_ids: [order.id],
        }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409]);
  });
});
