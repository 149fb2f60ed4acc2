import { beforeAll, describe, expect, it } from 'vitest';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useInvoicingContext } from '../invoicing/helpers.ts';
import { confirm, fanWithPin, lookup, petrolMatch, stationWithCashiers } from './helpers.ts';

/**
 * The money of petrol sales: cash and card totals per station and cashier, the petrol
 * lines of the financial report, and the deferred settlement with the petrol company
 * through a payment offer (E8-F4).
 */

const { t } = await useInvoicingContext();

let manager: TestUser;
let finance: TestUser;
beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  finance = await createUser(t.deps, { roles: ['FINANCE'] });
});

async function sell(cashier: TestUser, matchId: string, quantity: number, method: 'CASH' | 'CARD') {
  const { pin } = await fanWithPin(t, matchId, quantity);
  expect((await lookup(t, cashier, pin.pin)).statusCode).toBe(200);
  const res = await confirm(t, cashier, pin.pin, {
    payment_method: method,
    payment_reference: `R-${pin.pin}`,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as {
    order: { id: string; total_amount: number };
    sale: { total_amount: number };
  };
}

describe('petrol money', () => {
  it('cash and card per station and cashier; the financial report; settlement through a payment offer', async () => {
    const from = new Date(t.clock.now().getTime() - 1000).toISOString();
    const { sale, quota } = await petrolMatch(t, manager, { quantity: 12 });
    const a = await stationWithCashiers(t, manager, 2);
    const b = await stationWithCashiers(t, manager, 1);
    const [a1, a2] = a.cashiers as [TestUser, TestUser];
    const b1 = b.cashiers[0]!;
    const s1 = await sell(a1, sale.matchId, 2, 'CASH');
    const s2 = await sell(a1, sale.matchId, 1, 'CARD');
    const s3 = await sell(a2, sale.matchId, 3, 'CASH');
    const s4 = await sell(b1, sale.matchId, 2, 'CARD');
    const to = new Date(t.clock.now().getTime() + 1000).toISOString();

    const res = await t.request({
      method: 'GET',
      url: `/admin/petrol/sales/totals?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&match_id=${sale.matchId}`,
      token: finance.token,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const stationA = body.stations.find(
      (s: { station_id: string }) => s.station_id === a.station.id,
    );
    expect(stationA).toMatchObject({
      cash_amount: s1.sale.total_amount + s3.sale.total_amount,
      card_amount: s2.sale.total_amount,
      sales: 3,
      tickets: 6,
    });
    const byStaff = Object.fromEntries(
      stationA.staff.map((s: { staff_id: string; cash_amount: number; card_amount: number }) => [
        s.staff_id,
        [s.cash_amount, s.card_amount],
      ]),
    );
    expect(byStaff).toEqual({
      [a1.id]: [s1.sale.total_amount, s2.sale.total_amount],
      [a2.id]: [s3.sale.total_amount, 0],
    });
    expect(body.totals).toEqual({
      cash_amount: s1.sale.total_amount + s3.sale.total_amount,
      card_amount: s2.sale.total_amount + s4.sale.total_amount,
      sales: 4,
      tickets: 8,
    });
    const fan = await createUser(t.deps);
    expect(
      (
        await t.request({
          method: 'GET',
          url: `/admin/petrol/sales/totals?from=${from}&to=${to}`,
          token: fan.token,
        })
      ).statusCode,
    ).toBe(403);

    // the financial report shows the petrol cash and card lines
    const report = await t.request({
      method: 'GET',
      url: `/admin/reports/financial?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&match_id=${sale.matchId}`,
      token: finance.token,
    });
    expect(report.statusCode, report.body).toBe(200);
    const methods = Object.fromEntries(
      report
        .json()
        .by_payment_method.map((m: { method: string; amount: number; orders: number }) => [
          m.method,
          [m.orders, m.amount],
        ]),
    );
    expect(methods).toEqual({
      PETROL_CASH: [2, s1.sale.total_amount + s3.sale.total_amount],
      PETROL_CARD: [2, s2.sale.total_amount + s4.sale.total_amount],
    });

    // the petrol company settles what its stations took: a payment offer of the orders
    const debtor = await t.request({
      method: 'POST',
      url: '/admin/debtors',
      token: finance.token,
      payload: {
        name: 'INA d.d.',
        oib: generateOib(),
        email: 'racuni@ina.hr',
        payment_terms_days: 15,
      },
    });
    expect(debtor.statusCode).toBe(201);
    const orders = [s1, s2, s3, s4].map((s) => s.order.id);
    const offer = await t.request({
      method: 'POST',
      url: '/admin/payment-offers',
      token: finance.token,
      payload: { debtor_id: debtor.json().id, order_ids: orders },
    });
    expect(offer.statusCode, offer.body).toBe(201);
    expect(offer.json()).toMatchObject({
      status: 'SENT',
      total_amount: [s1, s2, s3, s4].reduce((n, s) => n + s.order.total_amount, 0),
    });
    const open = await t.request({
      method: 'GET',
      url: `/admin/petrol/quotas/${quota.id}`,
      token: manager.token,
    });
    expect(open.json().figures.deferred_payment_status).toBe('OPEN');
    const paid = await t.request({
      method: 'POST',
      url: `/admin/payment-offers/${offer.json().id}/paid`,
      token: finance.token,
    });
    expect(paid.statusCode, paid.body).toBe(200);
    const settled = await t.request({
      method: 'GET',
      url: `/admin/petrol/quotas?deferred_payment_status=SETTLED&match_id=${sale.matchId}`,
      token: manager.token,
    });
    expect(settled.json().items.map((i: { id: string }) => i.id)).toEqual([quota.id]);
  });
});
