import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatePin } from '../../src/modules/petrol/pins.service.ts';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { createFan, manualHolder } from '../sales/helpers.ts';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { blacklistOib } from '../factories/blacklist.ts';
import {
  auditActions,
  confirm,
  fanWithPin,
  generatePinRequest,
  lookup,
  petrolMatch,
  quotaSeatCounts,
  stationWithCashiers,
} from './helpers.ts';

/** The fan's PIN (E12-F1) and the cashier's lookup and confirmation (E12-F2). */

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

let manager: TestUser;
beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});

describe('POST /petrol-sales/{match_id}/generate-pin (E12-F1)', () => {
  it('generates a 5-digit PIN, stores it with the holders and an expiry', async () => {
    const { sale, quota } = await petrolMatch(t, manager, { quantity: 6 });
    const fan = await createFan(t.deps);
    const friend = manualHolder('Iva Ivić');
    const res = await generatePinRequest(t, fan, sale.matchId, [
      { source: 'DEFAULT_PROFILE' },
      friend,
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const pin = res.json();
    expect(pin.pin).toMatch(/^[0-9]{5}$/);
    expect(pin).toMatchObject({
      match_id: sale.matchId,
      quota_id: quota.id,
      quantity: 2,
      status: 'ACTIVE',
    });
    expect(new Date(pin.expires_at).getTime()).toBe(t.clock.now().getTime() + 24 * 3_600_000);
    expect(pin.holders.map((h: { full_name: string }) => h.full_name)).toContain('Iva Ivić');
    expect(pin.holders[1].oib_masked).toBe(`*******${friend.oib.slice(-4)}`);
    // stored: the record, with the holders (the OIB only sealed, never in clear)
    const row = await t.deps.db
      .selectFrom('petrol_pins')
      .selectAll()
      .where('id', '=', pin.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ pin: pin.pin, user_id: fan.id, quantity: 2, status: 'ACTIVE' });
    expect(JSON.stringify(row.ticket_holders_json)).not.toContain(friend.oib);
    // the fan sees the PIN again
    const again = await t.request({
      method: 'GET',
      url: `/petrol-sales/${sale.matchId}/pin`,
      token: fan.token,
    });
    expect(again.json().pin).toBe(pin.pin);
    // a new PIN replaces the old one
    const second = await generatePinRequest(t, fan, sale.matchId, [{ source: 'DEFAULT_PROFILE' }]);
    expect(second.statusCode).toBe(201);
    const old = await t.deps.db
      .selectFrom('petrol_pins')
      .select('status')
      .where('id', '=', pin.id)
      .executeTakeFirstOrThrow();
    expect(old.status).toBe('CANCELLED');
    expect(await auditActions(t, 'petrol_pin_generated')).not.toHaveLength(0);
  });

  it('retries a PIN that collides with an active one (random source forced)', async () => {
    const { sale } = await petrolMatch(t, manager, { quantity: 4 });
    const a = await createFan(t.deps);
    const b = await createFan(t.deps);
    const first = await generatePin(
      t.deps,
      a.id,
      sale.matchId,
      { holders: [{ source: 'DEFAULT_PROFILE' }] },
      { ip: null, userAgent: null },
      { drawPin: () => '42424' },
    );
    expect(first.pin).toBe('42424');
    const draws = ['42424', '42424', '42424', '13579'];
    const second = await generatePin(
      t.deps,
      b.id,
      sale.matchId,
      { holders: [{ source: 'DEFAULT_PROFILE' }] },
      { ip: null, userAgent: null },
      { drawPin: () => draws.shift()! },
    );
    expect(second.pin).toBe('13579');
    expect(draws).toHaveLength(0);
    // nothing but collisions: refused, nothing written
    const c = await createFan(t.deps);
    await expect(
      generatePin(
        t.deps,
        c.id,
        sale.matchId,
        { holders: [{ source: 'DEFAULT_PROFILE' }] },
        { ip: null, userAgent: null },
        { drawPin: () => '42424' },
      ),
    ).rejects.toMatchObject({ code: 'SERVICE_BUSY' });
    // a PIN number whose PIN has run out may be drawn again
    await sql`UPDATE petrol_pins SET expires_at = ${new Date(t.clock.now().getTime() - 1000)} WHERE pin = '42424'`.execute(
      t.deps.db,
    );
    const reused = await generatePin(
      t.deps,
      c.id,
      sale.matchId,
      { holders: [{ source: 'DEFAULT_PROFILE' }] },
      { ip: null, userAgent: null },
      { drawPin: () => '42424' },
    );
    expect(reused.pin).toBe('42424');
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM petrol_pins WHERE pin = '42424' AND status = 'ACTIVE'`.execute(
      t.deps.db,
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('refuses when the petrol allocation is absent or sold out', async () => {
    const { sale } = await petrolMatch(t, manager, { quantity: 1 });
    const fan = await createFan(t.deps);
    const res = await generatePinRequest(t, fan, sale.matchId, [
      { source: 'DEFAULT_PROFILE' },
      manualHolder(),
    ]);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'PETROL_SOLD_OUT', available: 1, requested: 2 });
    const other = await petrolMatch(t, manager, { quantity: 1 });
    await t.request({
      method: 'POST',
      url: `/admin/petrol/quotas/${other.quota.id}/cancel`,
      token: manager.token,
      payload: {},
    });
    const absent = await generatePinRequest(t, fan, other.sale.matchId, [
      { source: 'DEFAULT_PROFILE' },
    ]);
    expect(absent.statusCode).toBe(404);
    expect(absent.json().code).toBe('PETROL_NOT_AVAILABLE');
    const unknown = await generatePinRequest(t, fan, '00000000-0000-4000-8000-000000000000', [
      { source: 'DEFAULT_PROFILE' },
    ]);
    expect(unknown.json().code).toBe('PETROL_NOT_AVAILABLE');
  });

  it('checks the holders against the blacklist and the per-match limit at once', async () => {
    const { sale } = await petrolMatch(t, manager, { quantity: 10 });
    const fan = await createFan(t.deps);
    const banned = manualHolder('Zabranjeni Navijač');
    await blacklistOib(t, banned.oib);
    const refused = await generatePinRequest(t, fan, sale.matchId, [
      { source: 'DEFAULT_PROFILE' },
      banned,
    ]);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().code).toBe('BLACKLISTED');
    const five = [
      { source: 'DEFAULT_PROFILE' },
      ...Array.from({ length: 4 }, (_, i) => ({ ...manualHolder(`P ${i}`), oib: generateOib() })),
    ];
    const tooMany = await generatePinRequest(t, fan, sale.matchId, five);
    expect(tooMany.statusCode).toBe(400); // schema: at most 4 holders
    // 3 tickets already bought elsewhere: 2 more exceed the limit of 4
    const { cashiers } = await stationWithCashiers(t, manager);
    const { fan: buyer, pin } = await fanWithPin(t, sale.matchId, 3);
    expect((await lookup(t, cashiers[0]!, pin.pin)).statusCode).toBe(200);
    expect((await confirm(t, cashiers[0]!, pin.pin)).statusCode).toBe(201);
    const over = await generatePinRequest(t, buyer, sale.matchId, [
      manualHolder('X One'),
      manualHolder('X Two'),
    ]);
    expect(over.statusCode).toBe(409);
    expect(over.json()).toMatchObject({ code: 'PURCHASE_LIMIT_EXCEEDED', remaining: 1 });
  });
});

describe('the cashier portal (E12-F2)', () => {
  it('looks a PIN up: the customer, seats reserved adjacent for 20 minutes; confirm creates order, tickets, sale', async () => {
    const { sale, quota } = await petrolMatch(t, manager, { quantity: 8 });
    const { station, cashiers } = await stationWithCashiers(t, manager);
    const cashier = cashiers[0]!;
    const { fan, pin } = await fanWithPin(t, sale.matchId, 3);

    const res = await lookup(t, cashier, pin.pin);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.customer).toMatchObject({ user_id: fan.id, email: fan.email });
    expect(body.pin.holders).toHaveLength(3);
    expect(body.reservation).toMatchObject({
      status: 'RESERVED',
      station_id: station.id,
      seconds_left: 1200,
      warning: null,
    });
    expect(new Date(body.reservation.expires_at).getTime()).toBe(
      t.clock.now().getTime() + 20 * 60_000,
    );
    // adjacent: one row, consecutive seat numbers
    const seats = body.reservation.seats as { row: string; seat_number: number }[];
    expect(new Set(seats.map((s) => s.row)).size).toBe(1);
    const numbers = seats.map((s) => s.seat_number).sort((a, b) => a - b);
    expect(numbers[2]! - numbers[0]!).toBe(2);
    expect(body.amount_due).toBeGreaterThan(0);
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ ALLOCATED: 5, RESERVED: 3 });
    const held = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select(['status', 'hold_kind', 'hold_owner_id'])
      .where('hold_owner_id', '=', body.reservation.id)
      .execute();
    expect(held).toHaveLength(3);
    expect(held.every((h) => h.status === 'RESERVED' && h.hold_kind === 'QUOTA')).toBe(true);
    // the same cashier again: the same reservation
    const again = await lookup(t, cashier, pin.pin);
    expect(again.json().reservation.id).toBe(body.reservation.id);

    const verified = await t.request({
      method: 'POST',
      url: `/petrol-portal/reservations/${body.reservation.id}/verify-identity`,
      token: cashier.token,
    });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json().status).toBe('IDENTITY_VERIFIED');
    expect((await lookup(t, cashier, pin.pin)).json().reservation.status).toBe('IDENTITY_VERIFIED');
    const done = await confirm(t, cashier, pin.pin, {
      payment_method: 'CARD',
      payment_reference: 'POS-778',
      reservation_id: body.reservation.id,
    });
    expect(done.statusCode, done.body).toBe(201);
    const sold = done.json();
    expect(sold.order).toMatchObject({ status: 'COMPLETED', total_amount: body.amount_due });
    expect(sold.sale).toMatchObject({
      payment_method: 'CARD',
      payment_reference: 'POS-778',
      total_amount: body.amount_due,
      station_id: station.id,
      processed_by: cashier.id,
    });
    expect(sold.ticket_ids).toHaveLength(3);
    expect(sold.reservation.status).toBe('COMPLETED');
    // the tickets are in the fan's app at once
    const mine = await t.request({ method: 'GET', url: '/users/me/tickets', token: fan.token });
    expect(mine.statusCode).toBe(200);
    const listed = JSON.stringify(mine.json());
    for (const id of sold.ticket_ids) expect(listed).toContain(id);
    // the petrol_sales row, the invoice queued, no Stripe payment, the push
    const saleRow = await t.deps.db
      .selectFrom('petrol_sales')
      .selectAll()
      .where('order_id', '=', sold.order.id)
      .executeTakeFirstOrThrow();
    expect(saleRow).toMatchObject({ payment_method: 'CARD', total_amount: body.amount_due });
    const invoice = await t.deps.db
      .selectFrom('e_racuni_requests')
      .select(['document_type', 'status'])
      .where('order_id', '=', sold.order.id)
      .execute();
    expect(invoice).toEqual([{ document_type: 'INVOICE', status: 'PENDING' }]);
    const payments = await t.deps.db
      .selectFrom('payments')
      .select('id')
      .where('order_id', '=', sold.order.id)
      .execute();
    expect(payments).toHaveLength(0);
    const pushes = await t.deps.db
      .selectFrom('push_logs')
      .select('notification_type')
      .where('user_id', '=', fan.id)
      .execute();
    expect(pushes.map((p) => p.notification_type)).toContain('tickets_ready');
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ ALLOCATED: 5, SOLD: 3 });
    const pinRow = await t.deps.db
      .selectFrom('petrol_pins')
      .select(['status', 'used_at'])
      .where('id', '=', pin.id)
      .executeTakeFirstOrThrow();
    expect(pinRow.status).toBe('USED');
    expect(await auditActions(t, 'petrol_sale_confirmed')).not.toHaveLength(0);
    // confirmed again: one order
    const twice = await confirm(t, cashier, pin.pin);
    expect(twice.statusCode).toBe(409);
    expect(twice.json().code).toBe('PETROL_PIN_USED');
    const report = await auditMatchInvariants(t.deps, sale.matchId, { graceSeconds: 0 });
    expect(report.invariants.filter((i) => i.violations > 0)).toEqual([]);
  });

  it('answers bad input with stable problem codes', async () => {
    const { sale } = await petrolMatch(t, manager, { quantity: 4 });
    const { cashiers } = await stationWithCashiers(t, manager, 2);
    const [a, b] = cashiers as [TestUser, TestUser];
    const malformed = await lookup(t, a, '12a4');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('PETROL_PIN_MALFORMED');
    const { pin } = await fanWithPin(t, sale.matchId, 1);
    // another cashier's reservation
    expect((await lookup(t, a, pin.pin)).statusCode).toBe(200);
    const taken = await lookup(t, b, pin.pin);
    expect(taken.statusCode).toBe(409);
    expect(taken.json().code).toBe('PETROL_PIN_RESERVED');
    const notYours = await confirm(t, b, pin.pin);
    expect(notYours.statusCode).toBe(403);
    expect(notYours.json().code).toBe('PETROL_RESERVATION_NOT_YOURS');
    const reservation = (await lookup(t, a, pin.pin)).json().reservation;
    const cancelOther = await t.request({
      method: 'POST',
      url: `/petrol-portal/reservations/${reservation.id}/cancel`,
      token: b.token,
      payload: {},
    });
    expect(cancelOther.json().code).toBe('PETROL_RESERVATION_NOT_YOURS');
    // confirm without identity check
    const noId = await confirm(t, a, pin.pin, { identity_verified: false });
    expect(noId.statusCode).toBe(400);
    // expired PIN
    const { pin: late } = await fanWithPin(t, sale.matchId, 1);
    await sql`UPDATE petrol_pins SET expires_at = ${new Date(t.clock.now().getTime() - 1)} WHERE id = ${late.id}`.execute(
      t.deps.db,
    );
    const expired = await lookup(t, a, late.pin);
    expect(expired.statusCode).toBe(410);
    expect(expired.json().code).toBe('PETROL_PIN_EXPIRED');
    // a cashier with no station, a fan
    const loose = await createUser(t.deps, { roles: ['PETROL_STAFF'] });
    expect((await lookup(t, loose, pin.pin)).json().code).toBe('PETROL_STAFF_NO_STATION');
    const fan = await createFan(t.deps);
    expect((await lookup(t, fan, pin.pin)).statusCode).toBe(403);
    // a confirmation for an unknown PIN
    const unknown = await confirm(t, a, '99999');
    expect([404, 409]).toContain(unknown.statusCode);
  });
});
