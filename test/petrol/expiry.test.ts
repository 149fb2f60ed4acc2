import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { runMatchCancellation } from '../../src/modules/matches/cancellation.service.ts';
import { runQuotaDeadlines } from '../../src/modules/quotas/expiry.service.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { createSale } from '../sales/helpers.ts';
import {
  auditActions,
  createPetrolQuotaRequest,
  fanWithPin,
  lookup,
  quotaSeatCounts,
  stationWithCashiers,
} from './helpers.ts';

/** A petrol quota past its expiration_date (the quotas deadline job): PINs and reservations end. */

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });
const HOUR = 3_600_000;

let manager: TestUser;
let cashier: TestUser;
beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  cashier = (await stationWithCashiers(t, manager)).cashiers[0]!;
});

describe('petrol quota past its deadline', () => {
  it('expires its PINs, releases its reservations, seats back to sale, invariants clean', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
    const res = await createPetrolQuotaRequest(t, manager, {
      match_id: sale.matchId,
      sector_ids: [sale.zoneId],
      total_quantity: 6,
      expiration_date: new Date(t.clock.now().getTime() + 2 * HOUR).toISOString(),
    });
    expect(res.statusCode).toBe(201);
    const quota = res.json() as { id: string };
    const idle = await fanWithPin(t, sale.matchId, 2);
    const served = await fanWithPin(t, sale.matchId, 2);
    const reserved = await lookup(t, cashier, served.pin.pin);
    expect(reserved.statusCode).toBe(200);
    const reservationId = reserved.json().reservation.id as string;
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ ALLOCATED: 4, RESERVED: 2 });

    t.clock.advance(3 * HOUR);
    cashier.token = await t.token(cashier.id, ['PETROL_STAFF']);
    expect((await runQuotaDeadlines(t.deps)).expired).toBe(1);

    // both PINs answer the stable code, not "sold out"
    for (const pin of [idle.pin.pin, served.pin.pin]) {
      const r = await lookup(t, cashier, pin);
      expect(r.statusCode).toBe(410);
      expect(r.json().code).toBe('PETROL_PIN_EXPIRED');
    }
    const pins = await t.deps.db
      .selectFrom('petrol_pins')
      .select('status')
      .where('quota_id', '=', quota.id)
      .execute();
    expect(pins.map((p) => p.status)).toEqual(['EXPIRED', 'EXPIRED']);

    // the reservation released; every unclaimed seat back to public sale (E7-F1)
    const reservation = await t.deps.db
      .selectFrom('petrol_reservations')
      .select(['status', 'cancellation_reason'])
      .where('id', '=', reservationId)
      .executeTakeFirstOrThrow();
    expect(reservation).toEqual({ status: 'EXPIRED', cancellation_reason: 'QUOTA_EXPIRED' });
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ CANCELLED: 6 });
    const { rows } = await sql<{ status: string; held: number }>`
      SELECT i.status::text, count(i.hold_owner_id)::int AS held
        FROM quota_seats q JOIN match_seat_inventory i ON i.id = q.match_seat_inventory_id
       WHERE q.quota_id = ${quota.id} GROUP BY i.status`.execute(t.deps.db);
    expect(rows).toEqual([{ status: 'AVAILABLE', held: 0 }]);
    const q = await t.deps.db
      .selectFrom('quotas')
      .select('status')
      .where('id', '=', quota.id)
      .executeTakeFirstOrThrow();
    expect(q.status).toBe('PAST_DEADLINE');

    const [audit] = (await auditActions(t, 'petrol_quota_expired')).filter(
      (e) => (e.subject as { id: string }).id === quota.id,
    );
    expect(audit?.changes).toMatchObject({ reservations_released: 1, pins_expired: 2 });

    const report = await auditMatchInvariants(t.deps, sale.matchId, { graceSeconds: 0 });
    expect(report.invariants.filter((i) => i.violations > 0)).toEqual([]);
  });
});

describe('petrol sales of a cancelled match (E2-F7)', () => {
  it('end in the cancelling transaction: reservations CANCELLED, PINs expired, seats back to the quota, invariants clean', async () => {
    const superAdmin = await createUser(t.deps, { roles: ['SUPER_ADMIN'] });
    manager.token = await t.token(manager.id, ['MATCH_MANAGER']); // the clock moved on above
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
    const res = await createPetrolQuotaRequest(t, manager, {
      match_id: sale.matchId,
      sector_ids: [sale.zoneId],
      total_quantity: 6,
    });
    expect(res.statusCode).toBe(201);
    const quota = res.json() as { id: string };
    const idle = await fanWithPin(t, sale.matchId, 2);
    const served = await fanWithPin(t, sale.matchId, 2);
    cashier.token = await t.token(cashier.id, ['PETROL_STAFF']);
    const reserved = await lookup(t, cashier, served.pin.pin);
    expect(reserved.statusCode).toBe(200);
    const reservationId = reserved.json().reservation.id as string;

    const cancelled = await t.request({
      method: 'POST',
      url: `/admin/matches/${sale.matchId}/cancel`,
      token: superAdmin.token,
      payload: { reason: 'nevrijeme' },
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect((await runMatchCancellation(t.deps, sale.matchId)).status).toBe('DONE');

    const reservation = await t.deps.db
      .selectFrom('petrol_reservations')
      .select(['status', 'cancellation_reason'])
      .where('id', '=', reservationId)
      .executeTakeFirstOrThrow();
    expect(reservation).toEqual({ status: 'CANCELLED', cancellation_reason: 'MATCH_CANCELLED' });
    for (const pin of [idle.pin.pin, served.pin.pin]) {
      expect((await lookup(t, cashier, pin)).statusCode).toBe(410);
    }
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ ALLOCATED: 6 });
    const report = await auditMatchInvariants(t.deps, sale.matchId, { graceSeconds: 0 });
    expect(report.invariants.filter((i) => i.violations > 0).map((i) => i.name)).toEqual([]);
  });
});
