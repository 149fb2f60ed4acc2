import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import {
  auditActions,
  fanWithPin,
  lookup,
  petrolMatch,
  quotaSeatCounts,
  stationWithCashiers,
} from './helpers.ts';

/** Admin: a cashier removed from a station, a station deactivated (their reservations released). */

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

let manager: TestUser;
beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});

const removeStaff = (token: string, stationId: string, userId: string) =>
  t.request({
    method: 'DELETE',
    url: `/admin/petrol/stations/${stationId}/staff/${userId}`,
    token,
  });
const deactivate = (token: string, stationId: string) =>
  t.request({ method: 'POST', url: `/admin/petrol/stations/${stationId}/deactivate`, token });

async function reservationOf(id: string) {
  return t.deps.db
    .selectFrom('petrol_reservations')
    .select(['status', 'cancellation_reason'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

async function expectClean(matchId: string) {
  const report = await auditMatchInvariants(t.deps, matchId, { graceSeconds: 0 });
  expect(report.invariants.filter((i) => i.violations > 0)).toEqual([]);
}

describe('petrol stations admin', () => {
  it('a removed cashier is refused and their reservation released; then the station deactivated', async () => {
    const { sale, quota } = await petrolMatch(t, manager, { quantity: 6 });
    const { station, cashiers } = await stationWithCashiers(t, manager, 2);
    const [removed, other] = cashiers as [TestUser, TestUser];
    const first = await fanWithPin(t, sale.matchId, 2);
    const second = await fanWithPin(t, sale.matchId, 2);
    const r1 = (await lookup(t, removed, first.pin.pin)).json().reservation.id as string;
    const r2 = (await lookup(t, other, second.pin.pin)).json().reservation.id as string;
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ ALLOCATED: 2, RESERVED: 4 });

    const res = await removeStaff(manager.token, station.id, removed.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      user_id: removed.id,
      station_id: station.id,
      reservations_released: 1,
    });
    expect(await reservationOf(r1)).toEqual({
      status: 'CANCELLED',
      cancellation_reason: 'STAFF_REMOVED',
    });
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ ALLOCATED: 4, RESERVED: 2 });
    // the token still carries PETROL_STAFF; the station check refuses at once
    for (const r of [
      await lookup(t, removed, first.pin.pin),
      await t.request({ method: 'GET', url: '/petrol-portal/reservations', token: removed.token }),
    ]) {
      expect(r.statusCode).toBe(403);
      expect(r.json().code).toBe('PETROL_STAFF_NO_STATION');
    }
    const roles = await t.deps.db
      .selectFrom('user_roles')
      .select('role')
      .where('user_id', '=', removed.id)
      .execute();
    expect(roles.map((r) => r.role)).not.toContain('PETROL_STAFF');
    // the fan's PIN still works with another cashier
    expect((await lookup(t, other, first.pin.pin)).statusCode).toBe(200);
    await expectClean(sale.matchId);

    // again, unknown station, unknown user → 404
    for (const r of [
      await removeStaff(manager.token, station.id, removed.id),
      await removeStaff(manager.token, randomUUID(), other.id),
      await removeStaff(manager.token, station.id, randomUUID()),
    ]) {
      expect(r.statusCode).toBe(404);
      expect(r.json().code).toBe('NOT_FOUND');
    }

    const off = await deactivate(manager.token, station.id);
    expect(off.statusCode).toBe(200);
    expect(off.json()).toMatchObject({
      id: station.id,
      is_active: false,
      reservations_released: 2,
    });
    expect(await reservationOf(r2)).toEqual({
      status: 'CANCELLED',
      cancellation_reason: 'STATION_DEACTIVATED',
    });
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ ALLOCATED: 6 });
    const refused = await lookup(t, other, second.pin.pin);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('PETROL_STAFF_NO_STATION');
    // idempotent
    expect((await deactivate(manager.token, station.id)).json()).toMatchObject({
      is_active: false,
      reservations_released: 0,
    });
    expect((await auditActions(t, 'petrol_staff_removed')).length).toBeGreaterThan(0);
    expect((await auditActions(t, 'petrol_station_deactivated')).length).toBeGreaterThan(0);
    await expectClean(sale.matchId);
  });

  it('bad input and roles', async () => {
    const { station, cashiers } = await stationWithCashiers(t, manager, 1);
    const unknown = await deactivate(manager.token, randomUUID());
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('NOT_FOUND');
    expect((await deactivate(manager.token, 'not-a-uuid')).statusCode).toBe(400);
    expect((await removeStaff(manager.token, station.id, 'x')).statusCode).toBe(400);
    for (const role of ['FINANCE', 'PETROL_STAFF', 'FAN'] as const) {
      const user = await createUser(t.deps, { roles: [role] });
      expect((await deactivate(user.token, station.id)).statusCode).toBe(403);
      expect((await removeStaff(user.token, station.id, cashiers[0]!.id)).statusCode).toBe(403);
    }
    const list = await t.request({
      method: 'GET',
      url: '/admin/petrol/stations',
      token: manager.token,
    });
    expect(list.json().items.find((s: { id: string }) => s.id === station.id)).toMatchObject({
      is_active: true,
      staff_count: 1,
    });
  });
});
