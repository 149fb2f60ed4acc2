import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { releaseExpiredReservations } from '../../src/modules/petrol/reservations.service.ts';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { createUser, freshToken, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { MINUTE } from '../sales/helpers.ts';
import {
  confirm,
  fanWithPin,
  generatePinRequest,
  lookup,
  petrolMatch,
  quotaSeatCounts,
  stationWithCashiers,
} from './helpers.ts';

/** Reservations (E12-F3): 20-minute TTL, warnings at 5 and 1 minute, release, cancel. */

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

let manager: TestUser;
let cashier: TestUser;
beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  cashier = (await stationWithCashiers(t, manager)).cashiers[0]!;
});

/** Tokens signed at the clock's now: the tests move the clock past their 15 minutes. */
async function signInAgain() {
  manager.token = await freshToken(t.deps, manager, ['MATCH_MANAGER']);
  cashier.token = await freshToken(t.deps, cashier, ['PETROL_STAFF']);
}
beforeEach(signInAgain);

const poll = () =>
  t.request({ method: 'GET', url: '/petrol-portal/reservations', token: cashier.token });

async function heldBy(reservationId: string) {
  return t.deps.db
    .selectFrom('match_seat_inventory')
    .select('id')
    .where('hold_owner_id', '=', reservationId)
    .where('status', '=', 'RESERVED')
    .execute();
}

describe('petrol reservations (E12-F3)', () => {
  it('lasts 20 minutes; the poll shows the warnings at 5 and 1 minute; the job releases it', async () => {
    const { sale, quota } = await petrolMatch(t, manager, { quantity: 4 });
    const { pin } = await fanWithPin(t, sale.matchId, 2);
    const start = t.clock.now().getTime();
    const reservation = (await lookup(t, cashier, pin.pin)).json().reservation;
    expect(new Date(reservation.expires_at).getTime() - start).toBe(20 * MINUTE); // TTL set

    const at = async (minutes: number) => {
      t.clock.set(new Date(start + minutes * MINUTE));
      await signInAgain();
      const items = (await poll()).json().items as {
        id: string;
        warning: string | null;
        seconds_left: number;
      }[];
      return items.find((i) => i.id === reservation.id);
    };
    expect((await at(10))?.warning).toBeNull();
    expect(await at(15)).toMatchObject({ warning: 'FIVE_MINUTES', seconds_left: 300 });
    expect((await at(18.5))?.warning).toBe('FIVE_MINUTES');
    expect(await at(19)).toMatchObject({ warning: 'ONE_MINUTE', seconds_left: 60 });
    const one = await t.request({
      method: 'GET',
      url: `/petrol-portal/reservations/${reservation.id}`,
      token: cashier.token,
    });
    expect(one.json()).toMatchObject({ warning: 'ONE_MINUTE', order_id: null });

    // past 20 minutes: the job releases the seats to the petrol quota (not to public sale)
    t.clock.set(new Date(start + 20 * MINUTE + 1000));
    await signInAgain();
    expect(await releaseExpiredReservations(t.deps)).toBe(1);
    const row = await t.deps.db
      .selectFrom('petrol_reservations')
      .select(['status', 'cancellation_reason'])
      .where('id', '=', reservation.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'EXPIRED', cancellation_reason: 'TIMEOUT' });
    expect(await heldBy(reservation.id)).toHaveLength(0);
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ ALLOCATED: 4 });
    const inventory = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('status')
      .where(
        'id',
        'in',
        reservation.seats.map((s: { inventory_id: string }) => s.inventory_id),
      )
      .execute();
    expect(inventory.every((i) => i.status === 'ALLOCATED')).toBe(true);
    expect((await poll()).json().items).toHaveLength(0);

    // the PIN is still valid: it can be looked up again, and sold
    const again = await lookup(t, cashier, pin.pin);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().reservation.id).not.toBe(reservation.id);
    expect((await confirm(t, cashier, pin.pin)).statusCode).toBe(201);
    const report = await auditMatchInvariants(t.deps, sale.matchId, { graceSeconds: 0 });
    expect(report.invariants.filter((i) => i.violations > 0)).toEqual([]);
  });

  it('a lapsed reservation not yet swept is released by the next lookup; its confirmation is refused', async () => {
    const { sale, quota } = await petrolMatch(t, manager, { quantity: 2 });
    const { pin } = await fanWithPin(t, sale.matchId, 2);
    const first = (await lookup(t, cashier, pin.pin)).json().reservation;
    t.clock.advance(21 * MINUTE);
    await signInAgain();
    const late = await confirm(t, cashier, pin.pin);
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('PETROL_RESERVATION_EXPIRED');
    // the auditor sees the overdue reservation the job has not released yet
    const overdue = await auditMatchInvariants(t.deps, sale.matchId, { graceSeconds: 0 });
    expect(
      overdue.invariants.find((i) => i.name === 'petrol_reservation_overdue')?.violations,
    ).toBe(1);
    const second = await lookup(t, cashier, pin.pin);
    expect(second.statusCode).toBe(200);
    expect(second.json().reservation.id).not.toBe(first.id);
    const old = await t.deps.db
      .selectFrom('petrol_reservations')
      .select('status')
      .where('id', '=', first.id)
      .executeTakeFirstOrThrow();
    expect(old.status).toBe('EXPIRED');
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ RESERVED: 2 });
  });

  it('POST /petrol-portal/reservations/{id}/cancel releases at once', async () => {
    const { sale, quota } = await petrolMatch(t, manager, { quantity: 3 });
    const { pin } = await fanWithPin(t, sale.matchId, 3);
    const reservation = (await lookup(t, cashier, pin.pin)).json().reservation;
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ RESERVED: 3 });
    const res = await t.request({
      method: 'POST',
      url: `/petrol-portal/reservations/${reservation.id}/cancel`,
      token: cashier.token,
      payload: { reason: 'customer left' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'CANCELLED',
      cancellation_reason: 'customer left',
      warning: null,
    });
    expect(await heldBy(reservation.id)).toHaveLength(0);
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ ALLOCATED: 3 });
    const twice = await t.request({
      method: 'POST',
      url: `/petrol-portal/reservations/${reservation.id}/cancel`,
      token: cashier.token,
      payload: {},
    });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().code).toBe('PETROL_RESERVATION_CLOSED');
    const unknown = await t.request({
      method: 'POST',
      url: '/petrol-portal/reservations/00000000-0000-4000-8000-000000000000/cancel',
      token: cashier.token,
      payload: {},
    });
    expect(unknown.statusCode).toBe(404);
    // the PIN is served again
    expect((await lookup(t, cashier, pin.pin)).statusCode).toBe(200);
  });

  it('a new PIN while a cashier serves the old one: 409; once that reservation lapsed, the old one is replaced', async () => {
    const { sale, quota } = await petrolMatch(t, manager, { quantity: 4 });
    const { fan, pin } = await fanWithPin(t, sale.matchId, 2);
    const reservation = (await lookup(t, cashier, pin.pin)).json().reservation;
    const busy = await generatePinRequest(t, fan, sale.matchId, [{ source: 'DEFAULT_PROFILE' }]);
    expect(busy.statusCode).toBe(409);
    expect(busy.json().code).toBe('PETROL_PIN_IN_USE');
    t.clock.advance(21 * MINUTE);
    fan.token = await freshToken(t.deps, fan);
    const next = await generatePinRequest(t, fan, sale.matchId, [{ source: 'DEFAULT_PROFILE' }]);
    expect(next.statusCode, next.body).toBe(201);
    const old = await t.deps.db
      .selectFrom('petrol_reservations')
      .select('status')
      .where('id', '=', reservation.id)
      .executeTakeFirstOrThrow();
    expect(old.status).toBe('EXPIRED');
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ ALLOCATED: 4 });
    await signInAgain();
    expect((await lookup(t, cashier, pin.pin)).json().code).toBe('PETROL_PIN_NOT_FOUND');
  });

  it('the job also expires run-out PINs; an expired PIN is refused', async () => {
    const { sale } = await petrolMatch(t, manager, { quantity: 2 });
    const { pin } = await fanWithPin(t, sale.matchId, 1);
    t.clock.advance(25 * 3_600_000);
    await signInAgain();
    await releaseExpiredReservations(t.deps);
    const row = await t.deps.db
      .selectFrom('petrol_pins')
      .select('status')
      .where('id', '=', pin.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('EXPIRED');
    const res = await lookup(t, cashier, pin.pin);
    expect(res.json().code).toBe('PETROL_PIN_EXPIRED');
  });
});
