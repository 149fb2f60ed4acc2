import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { zagrebDate } from '../../src/platform/clock.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import {
  createFan,
  checkoutToPayment,
  createSale,
  useStripeTestContext,
  type SaleFixture,
} from '../sales/helpers.ts';
import { buy, soldFromDb } from './helpers.ts';

const { t, stripe } = await useStripeTestContext();

let sale: SaleFixture;
let other: SaleFixture;
let finance: TestUser;
let orders: string[];
let loyaltyOrder: string;

const report = (query: string, token = finance.token) =>
  t.request({ method: 'GET', url: `/admin/reports/sales?${query}`, token });

beforeAll(async () => {
  finance = await createUser(t.deps, { roles: ['FINANCE'] });
  sale = await createSale(t.deps, { sectors: 2, rows: 6, seatsPerRow: 10, price: 2500 });
  other = await createSale(t.deps, { price: 1000 });
  // 14 orders of 4 in S1 (56 lines: more than the 50 of the preview), 2 orders in S2.
  orders = [];
  for (let i = 0; i < 14; i++) orders.push(await buy(t, stripe, sale, 4));
  orders.push(await buy(t, stripe, sale, 3, sale.zoneIds[1]));
  loyaltyOrder = await buy(t, stripe, sale, 2, sale.zoneIds[1]);
  await buy(t, stripe, other, 1);
  // An order left in payment is no sale.
  await checkoutToPayment(t, await createFan(t.deps), sale, 1);
  // The refunds module (issue 19) records what went back on orders.refunded_amount.
  await sql`UPDATE orders SET refunded_amount = 1234, refund_status = 'PARTIAL' WHERE id = ${orders[0]!}`.execute(
    t.deps.db,
  );
  // One order was sold in a LOYALTY phase.
  const phase = await t.deps.db
    .insertInto('sales_phases')
    .values({
      match_id: sale.matchId,
      phase_type: 'LOYALTY',
      name: 'Loyalty',
      start_at: new Date(t.clock.now().getTime() - 86_400_000 * 3),
      end_at: new Date(t.clock.now().getTime() - 86_400_000 * 2),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`UPDATE orders SET sales_phase_id = ${phase.id} WHERE id = ${loyaltyOrder}`.execute(
    t.deps.db,
  );
}, 120_000);

describe('GET /admin/reports/sales (E14-F1)', () => {
  it('returns data: every figure as the database has it (revenue = payments − refunds)', async () => {
    const res = await report(`match_id=${sale.matchId}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const db = await soldFromDb(t, sale.matchId);
    expect(body.totals.tickets).toBe(db.tickets);
    expect(body.totals.tickets).toBe(14 * 4 + 3 + 2);
    expect(body.totals.orders).toBe(db.orders);
    expect(body.totals.gross_amount).toBe(db.paid);
    expect(body.totals.refunded_amount).toBe(db.refunded);
    expect(body.totals.refunded_amount).toBe(1234);
    expect(body.totals.net_revenue).toBe(db.paid - db.refunded);
    expect(body.totals.ticket_amount + body.totals.fee_amount).toBe(body.totals.gross_amount);
    const { rows: vat } = await sql<{ vat: number; fee: number }>`
      SELECT sum(ticket_vat_amount + fee_vat_amount)::int AS vat, sum(fee_amount)::int AS fee
        FROM orders WHERE match_id = ${sale.matchId} AND completed_at IS NOT NULL`.execute(
      t.deps.db,
    );
    expect(body.totals.vat_amount).toBe(vat[0]!.vat);
    expect(body.totals.fee_amount).toBe(vat[0]!.fee);
    // Per sector, as the inventory's sold seats say.
    const { rows: sectors } = await sql<{ code: string; sold: number }>`
      SELECT ms.code, count(*)::int AS sold FROM match_seat_inventory i
        JOIN match_sectors ms ON ms.id = i.match_sector_id
       WHERE i.match_id = ${sale.matchId} AND i.status = 'SOLD' GROUP BY ms.code ORDER BY ms.code`.execute(
      t.deps.db,
    );
    expect(body.by_sector.map((g: { key: string; tickets: number }) => [g.key, g.tickets])).toEqual(
      sectors.map((s) => [s.code, s.sold]),
    );
    expect(body.by_ticket_type).toEqual([
      expect.objectContaining({ key: 'loyalty', tickets: 2 }),
      expect.objectContaining({ key: 'public', tickets: 59 }),
    ]);
    const groupsGross = body.by_sector.reduce(
      (n: number, g: { gross_amount: number }) => n + g.gross_amount,
      0,
    );
    expect(groupsGross).toBe(body.totals.gross_amount);
  });

  it('limits the preview to the first 50 lines, in the order they were sold', async () => {
    const body = (await report(`match_id=${sale.matchId}`)).json();
    expect(body.total_rows).toBe(61);
    expect(body.preview).toHaveLength(50);
    expect(body.preview_limit).toBe(50);
    const times = body.preview.map((l: { completed_at: string }) => l.completed_at);
    expect([...times].sort()).toEqual(times);
    expect(body.preview[0]).toMatchObject({
      match_id: sale.matchId,
      sector_code: 'S1',
      ticket_type: 'public',
    });
    expect(body.preview[0].ticket_id).toEqual(expect.any(String));
  });

  it('filters by match, sector, ticket type and period', async () => {
    const all = (await report('')).json();
    expect(all.totals.tickets).toBe(62);
    const otherMatch = (await report(`match_id=${other.matchId}`)).json();
    expect(otherMatch.totals).toMatchObject({ tickets: 1, orders: 1 });
    expect(otherMatch.totals.gross_amount).toBe((await soldFromDb(t, other.matchId)).paid);

    const s2 = (await report(`match_id=${sale.matchId}&sector=S2`)).json();
    expect(s2.totals.tickets).toBe(5);
    expect(s2.preview.every((l: { sector_code: string }) => l.sector_code === 'S2')).toBe(true);

    const loyalty = (await report(`match_id=${sale.matchId}&ticket_type=loyalty`)).json();
    expect(loyalty.totals).toMatchObject({ tickets: 2, orders: 1 });
    expect(loyalty.preview[0].order_id).toBe(loyaltyOrder);
    const pub = (await report(`match_id=${sale.matchId}&ticket_type=public`)).json();
    expect(pub.totals.tickets).toBe(59);
    expect((await report(`ticket_type=quota`)).json().totals.tickets).toBe(0);

    const today = zagrebDate(t.clock.now());
    expect((await report(`date_from=${today}&date_to=${today}`)).json().totals.tickets).toBe(62);
    const yesterday = zagrebDate(new Date(t.clock.now().getTime() - 86_400_000));
    const tomorrow = zagrebDate(new Date(t.clock.now().getTime() + 86_400_000));
    expect((await report(`date_to=${yesterday}`)).json().totals.tickets).toBe(0);
    expect((await report(`date_from=${tomorrow}`)).json().totals.tickets).toBe(0);
    const later = new Date(t.clock.now().getTime() + 1000).toISOString();
    expect((await report(`date_from=${encodeURIComponent(later)}`)).json().totals.tickets).toBe(0);
  });

  it('answers bad filters with problems', async () => {
    const cases: Array<[string, number, string]> = [
      ['date_from=2026-12-05&date_to=2026-12-04', 400, 'VALIDATION_FAILED'],
      ['date_from=yesterday', 400, 'VALIDATION_FAILED'],
      ['match_id=not-a-uuid', 400, 'VALIDATION_FAILED'],
      ['ticket_type=vip', 400, 'VALIDATION_FAILED'],
      [`match_id=${sale.matchId}&sector=ZZ`, 400, 'VALIDATION_FAILED'],
      ['sector=ZZ', 400, 'VALIDATION_FAILED'],
      [`match_id=${crypto.randomUUID()}`, 404, 'MATCH_NOT_FOUND'],
    ];
    for (const [query, status, code] of cases) {
      const res = await report(query);
      expect(res.statusCode, query).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code, query).toBe(code);
    }
  });

  it('is for finance and match managers (and super admins) only', async () => {
    expect((await t.request({ method: 'GET', url: '/admin/reports/sales' })).statusCode).toBe(401);
    for (const role of ['FAN', 'SUPPORT_AGENT', 'SUPPORT_SUPERVISOR', 'PETROL_STAFF'] as const) {
      expect(
        (await report('', (await createUser(t.deps, { roles: [role] })).token)).statusCode,
        role,
      ).toBe(403);
    }
    for (const role of ['FINANCE', 'MATCH_MANAGER', 'SUPER_ADMIN'] as const) {
      expect(
        (await report('', (await createUser(t.deps, { roles: [role] })).token)).statusCode,
        role,
      ).toBe(200);
    }
  });
});
