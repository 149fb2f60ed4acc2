import { beforeAll, describe, expect, it } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import {
  confirm,
  fanWithPin,
  lookup,
  petrolMatch,
  quotaSeatCounts,
  stationWithCashiers,
} from './helpers.ts';

/** Petrol concurrency (E12-F2): many cashiers at once, then the invariants. */

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

let manager: TestUser;
beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});

async function clean(matchId: string) {
  const report = await auditMatchInvariants(t.deps, matchId, { graceSeconds: 0 });
  expect(report.invariants.filter((i) => i.violations > 0)).toEqual([]);
}

describe('petrol races', () => {
  it('cashiers of several stations look up the same PIN at once → one reservation', async () => {
    const { sale, quota } = await petrolMatch(t, manager, { quantity: 10 });
    const cashiers: TestUser[] = [];
    for (let i = 0; i < 4; i++) cashiers.push((await stationWithCashiers(t, manager)).cashiers[0]!);
    const { pin } = await fanWithPin(t, sale.matchId, 2);
    const results = await Promise.all(cashiers.map((c) => lookup(t, c, pin.pin)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409))
      expect(r.json().code).toBe('PETROL_PIN_RESERVED');
    const rows = await t.deps.db
      .selectFrom('petrol_reservations')
      .select('id')
      .where('pin_id', '=', pin.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ ALLOCATED: 8, RESERVED: 2 });
    await clean(sale.matchId);
  });

  it('a PIN confirmed several times at once → one order', async () => {
    const { sale } = await petrolMatch(t, manager, { quantity: 4 });
    const { cashiers } = await stationWithCashiers(t, manager);
    const { fan, pin } = await fanWithPin(t, sale.matchId, 2);
    expect((await lookup(t, cashiers[0]!, pin.pin)).statusCode).toBe(200);
    const results = await Promise.all([0, 1, 2, 3].map(() => confirm(t, cashiers[0]!, pin.pin)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409))
      expect(r.json().code).toBe('PETROL_PIN_USED');
    const orders = await t.deps.db
      .selectFrom('orders')
      .select('id')
      .where('user_id', '=', fan.id)
      .execute();
    expect(orders).toHaveLength(1);
    const sales = await t.deps.db
      .selectFrom('petrol_sales')
      .select('id')
      .where('order_id', '=', orders[0]!.id)
      .execute();
    expect(sales).toHaveLength(1);
    await clean(sale.matchId);
  });

  it('the last petrol seats raced by several stations → no oversell', async () => {
    const { sale, quota } = await petrolMatch(t, manager, { quantity: 7 });
    const stations: TestUser[] = [];
    for (let i = 0; i < 6; i++) stations.push((await stationWithCashiers(t, manager)).cashiers[0]!);
    // six fans each with a PIN for 2: 12 wanted, 7 seats
    const pins: { pin: string }[] = [];
    for (let i = 0; i < 6; i++) pins.push((await fanWithPin(t, sale.matchId, 2)).pin);
    const looked = await Promise.all(pins.map((p, i) => lookup(t, stations[i]!, p.pin)));
    const ok = looked.filter((r) => r.statusCode === 200);
    expect(ok).toHaveLength(3);
    for (const r of looked.filter((x) => x.statusCode !== 200)) {
      expect(r.statusCode).toBe(409);
      expect(r.json().code).toBe('PETROL_SOLD_OUT');
    }
    const seats = ok.flatMap((r) =>
      r.json().reservation.seats.map((s: { inventory_id: string }) => s.inventory_id),
    );
    expect(new Set(seats).size).toBe(6);
    const confirmed = await Promise.all(
      pins.map((p, i) => (looked[i]!.statusCode === 200 ? confirm(t, stations[i]!, p.pin) : null)),
    );
    expect(confirmed.filter((r) => r?.statusCode === 201)).toHaveLength(3);
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ SOLD: 6, ALLOCATED: 1 });
    const tickets = await t.deps.db
      .selectFrom('tickets')
      .select('match_seat_inventory_id')
      .where('match_id', '=', sale.matchId)
      .execute();
    expect(tickets).toHaveLength(6);
    expect(new Set(tickets.map((x) => x.match_seat_inventory_id)).size).toBe(6);
    await clean(sale.matchId);
  });
});
