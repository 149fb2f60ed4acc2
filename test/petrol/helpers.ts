import { sql } from 'kysely';
import type { TestContext } from '../harness/context.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import {
  createFan,
  createSale,
  manualHolder,
  type Fan,
  type SaleFixture,
} from '../sales/helpers.ts';

/** Petrol test steps: a match with a petrol quota, stations with cashiers, fans with PINs. */

export interface PetrolFixture {
  sale: SaleFixture;
  quota: { id: string; seats: { inventory_id: string; row: string; seat_number: number }[] };
}

export async function createPetrolQuotaRequest(
  t: TestContext,
  manager: TestUser,
  input: { match_id: string; sector_ids: string[]; total_quantity: number; [k: string]: unknown },
) {
  return t.request({
    method: 'POST',
    url: '/admin/petrol/quotas',
    token: manager.token,
    payload: input,
  });
}

/** A match on sale (rows × seatsPerRow seats) with a petrol quota of `quantity` seats. */
export async function petrolMatch(
  t: TestContext,
  manager: TestUser,
  options: { quantity: number; rows?: number; seatsPerRow?: number; kickOff?: Date },
): Promise<PetrolFixture> {
  const sale = await createSale(t.deps, {
    rows: options.rows ?? 2,
    seatsPerRow: options.seatsPerRow ?? 10,
    kickOff: options.kickOff,
  });
  const res = await createPetrolQuotaRequest(t, manager, {
    match_id: sale.matchId,
    sector_ids: [sale.zoneId],
    total_quantity: options.quantity,
  });
  if (res.statusCode !== 201)
    throw new Error(`POST /admin/petrol/quotas ${res.statusCode}: ${res.body}`);
  return { sale, quota: res.json() };
}

let stationSeq = 0;

/** A station with `count` cashiers (PETROL_STAFF, assigned through the admin API). */
export async function stationWithCashiers(t: TestContext, manager: TestUser, count = 1) {
  const res = await t.request({
    method: 'POST',
    url: '/admin/petrol/stations',
    token: manager.token,
    payload: { code: `ST-${process.pid}-${++stationSeq}`, name: `INA ${stationSeq}` },
  });
  if (res.statusCode !== 201)
    throw new Error(`POST /admin/petrol/stations ${res.statusCode}: ${res.body}`);
  const station = res.json() as { id: string; code: string };
  const cashiers: TestUser[] = [];
  for (let i = 0; i < count; i++) {
    const user = await createUser(t.deps, { roles: ['PETROL_STAFF'] });
    const assigned = await t.request({
      method: 'PUT',
      url: `/admin/petrol/stations/${station.id}/staff/${user.id}`,
      token: manager.token,
    });
    if (assigned.statusCode !== 200)
      throw new Error(`assign ${assigned.statusCode}: ${assigned.body}`);
    cashiers.push(user);
  }
  return { station, cashiers };
}

export function generatePinRequest(t: TestContext, fan: Fan, matchId: string, holders: unknown[]) {
  return t.request({
    method: 'POST',
    url: `/petrol-sales/${matchId}/generate-pin`,
    token: fan.token,
    payload: { holders },
  });
}

/** A fan with a PIN for `quantity` tickets (the fan and quantity-1 others). */
export async function fanWithPin(t: TestContext, matchId: string, quantity = 2) {
  const fan = await createFan(t.deps);
  const holders = [
    { source: 'DEFAULT_PROFILE' },
    ...Array.from({ length: quantity - 1 }, (_, i) => manualHolder(`Friend ${i + 1}`)),
  ];
  const res = await generatePinRequest(t, fan, matchId, holders);
  if (res.statusCode !== 201) throw new Error(`generate-pin ${res.statusCode}: ${res.body}`);
  return {
    fan,
    pin: res.json() as { id: string; pin: string; quantity: number; expires_at: string },
  };
}

export const lookup = (t: TestContext, cashier: TestUser, pin: string) =>
  t.request({ method: 'GET', url: `/petrol-portal/pins/${pin}`, token: cashier.token });

export const confirm = (
  t: TestContext,
  cashier: TestUser,
  pin: string,
  payload: Record<string, unknown> = {},
) =>
  t.request({
    method: 'POST',
    url: `/petrol-portal/pins/${pin}/confirm`,
    token: cashier.token,
    payload: {
      payment_method: 'CASH',
      payment_reference: 'TILL-0001',
      identity_verified: true,
      ...payload,
    },
  });

/** Quota-seat status counts of a quota. */
export async function quotaSeatCounts(t: TestContext, quotaId: string) {
  const { rows } = await sql<{ status: string; n: number }>`
    SELECT status::text, count(*)::int AS n FROM quota_seats WHERE quota_id = ${quotaId}
     GROUP BY status`.execute(t.deps.db);
  return Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>;
}

export async function auditActions(t: TestContext, action: string) {
  const { rows } = await sql<{ payload: Record<string, unknown> }>`
    SELECT event AS payload FROM audit_outbox WHERE event->>'action' = ${action}`.execute(
    t.deps.db,
  );
  return rows.map((r) => r.payload);
}
