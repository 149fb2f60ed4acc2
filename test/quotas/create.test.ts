import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLockedMatch } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { addToCart, createFan, createSale } from '../sales/helpers.ts';
import {
  createQuotaRequest,
  createQuotaViaApi,
  emailsOf,
  inventoryCounts,
  inventoryStatuses,
  quotaInvariantViolations,
} from './helpers.ts';

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

let manager: TestUser;
let fan: TestUser;
let holder: TestUser;

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  fan = await createUser(t.deps);
  holder = await createUser(t.deps, { roles: ['QUOTA_HOLDER'] });
});

describe('POST /admin/quotas (E7-F1)', () => {
  it('REDOM: allocates numbered seats at once, in snake order, row by row, adjacent', async () => {
    const match = await createLockedMatch(t.deps, { rows: 3, seatsPerRow: 10, sectors: 2 });
    const [s1] = match.sectors;
    const quota = await createQuotaViaApi(t, manager, {
      match_id: match.matchId,
      sector_ids: [s1!.matchSectorId],
      total_quantity: 14,
      allocation_algorithm: 'REDOM',
    });
    expect(quota.status).toBe('ACTIVE');
    expect(quota.seats).toHaveLength(14);
    // quota_seats records created, every one ALLOCATED
    const rows = await t.deps.db
      .selectFrom('quota_seats')
      .select(['match_seat_inventory_id', 'status'])
      .where('quota_id', '=', quota.id)
      .execute();
    expect(rows).toHaveLength(14);
    expect(rows.every((r) => r.status === 'ALLOCATED')).toBe(true);
    // seat status changed to ALLOCATED in the inventory
    const statuses = await inventoryStatuses(
      t,
      rows.map((r) => r.match_seat_inventory_id),
    );
    expect([...statuses.values()].every((s) => s.status === 'ALLOCATED')).toBe(true);
    // the first 14 seats of the sector's snake order: all of row A, then 4 of row B, each
    // row's seats side by side
    const snake = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('id')
      .where('match_sector_id', '=', s1!.matchSectorId)
      .orderBy('snake_order')
      .execute();
    expect(new Set(rows.map((r) => r.match_seat_inventory_id))).toEqual(
      new Set(snake.slice(0, 14).map((s) => s.id)),
    );
    const byRow = Map.groupBy(quota.seats, (s) => s.row);
    expect([...byRow.keys()].sort()).toEqual(['A', 'B']);
    expect(byRow.get('A')).toHaveLength(10);
    const rowB = byRow
      .get('B')!
      .map((s) => s.seat_number)
      .sort((a, b) => a - b);
    expect(rowB).toHaveLength(4);
    expect(rowB.at(-1)! - rowB[0]!).toBe(3);
    // the seat trail of the allocation
    const trail = await t.deps.db
      .selectFrom('seat_audit_logs')
      .select(['from_status', 'to_status', 'action', 'hold_owner_id', 'changed_by'])
      .where(
        'match_seat_inventory_id',
        'in',
        rows.map((r) => r.match_seat_inventory_id),
      )
      .execute();
    expect(trail).toHaveLength(14);
    for (const row of trail) {
      expect(row).toEqual({
        from_status: 'AVAILABLE',
        to_status: 'ALLOCATED',
        action: 'QUOTA_ALLOCATED',
        hold_owner_id: quota.id,
        changed_by: manager.id,
      });
    }
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('takes the sectors in the order given, then the next sector', async () => {
    const match = await createLockedMatch(t.deps, { rows: 2, seatsPerRow: 5, sectors: 2 });
    const [s1, s2] = match.sectors;
    const quota = await createQuotaViaApi(t, manager, {
      match_id: match.matchId,
      sector_ids: [s2!.matchSectorId, s1!.matchSectorId],
      total_quantity: 12,
    });
    const seats = await t.deps.db
      .selectFrom('quota_seats as qs')
      .innerJoin('match_seat_inventory as i', 'i.id', 'qs.match_seat_inventory_id')
      .select(['i.match_sector_id'])
      .where('qs.quota_id', '=', quota.id)
      .execute();
    const inSector = (id: string) => seats.filter((s) => s.match_sector_id === id).length;
    expect(inSector(s2!.matchSectorId)).toBe(10);
    expect(inSector(s1!.matchSectorId)).toBe(2);
  });

  it('NM: a count of places, set aside in the inventory all the same', async () => {
    const match = await createLockedMatch(t.deps, { rows: 2, seatsPerRow: 5 });
    const quota = await createQuotaViaApi(t, manager, {
      match_id: match.matchId,
      sector_ids: [match.sectors[0]!.matchSectorId],
      total_quantity: 6,
      allocation_algorithm: 'NM',
    });
    expect(quota.seats).toHaveLength(6);
    expect(await inventoryCounts(t, match.matchId)).toEqual({ ALLOCATED: 6, AVAILABLE: 4 });
  });

  it('not enough free seats: 409 with how many are free, nothing allocated', async () => {
    const match = await createLockedMatch(t.deps, { rows: 2, seatsPerRow: 5, sectors: 2 });
    const sectorIds = match.sectors.map((s) => s.matchSectorId);
    await createQuotaViaApi(t, manager, {
      match_id: match.matchId,
      sector_ids: sectorIds,
      total_quantity: 7,
    });
    const quotasBefore = await t.deps.db.selectFrom('quotas').select('id').execute();
    const emailsBefore = (await emailsOf(t, 'quota_invitation')).length;
    const res = await createQuotaRequest(t, manager, {
      match_id: match.matchId,
      sector_ids: sectorIds,
      total_quantity: 14,
    });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'QUOTA_SEATS_INSUFFICIENT',
      requested: 14,
      available: 13,
    });
    expect(await inventoryCounts(t, match.matchId)).toEqual({ ALLOCATED: 7, AVAILABLE: 13 });
    expect(await t.deps.db.selectFrom('quotas').select('id').execute()).toHaveLength(
      quotasBefore.length,
    );
    expect(await emailsOf(t, 'quota_invitation')).toHaveLength(emailsBefore);
  });

  it('sends the invitation email with a deep link when auto_send_email, not otherwise', async () => {
    const match = await createLockedMatch(t.deps, { rows: 1, seatsPerRow: 6 });
    const sent = await createQuotaViaApi(t, manager, {
      match_id: match.matchId,
      sector_ids: [match.sectors[0]!.matchSectorId],
      total_quantity: 2,
      recipient_email: 'Club.Zagreb@Example.test',
      expiration_date: new Date(t.clock.now().getTime() + 7 * 86_400_000).toISOString(),
    });
    const emails = (await emailsOf(t, 'quota_invitation')).filter(
      (e) => e.recipient_email === 'club.zagreb@example.test',
    );
    expect(emails).toHaveLength(1);
    expect(emails[0]!.variables_json).toMatchObject({
      recipient_name: 'Partner d.o.o.',
      ticket_count: 2,
      accept_url: `${t.config.PUBLIC_BASE_URL}/quota-portal/quotas/${sent.id}`,
    });
    await createQuotaViaApi(t, manager, {
      match_id: match.matchId,
      sector_ids: [match.sectors[0]!.matchSectorId],
      total_quantity: 2,
      recipient_email: 'quiet@example.test',
      auto_send_email: false,
    });
    const quiet = (await emailsOf(t, 'quota_invitation')).filter(
      (e) => e.recipient_email === 'quiet@example.test',
    );
    expect(quiet).toHaveLength(0);
  });

  it('bad input: problems with stable codes, nothing written', async () => {
    const match = await createLockedMatch(t.deps, { rows: 1, seatsPerRow: 4 });
    const other = await createLockedMatch(t.deps, { rows: 1, seatsPerRow: 4 });
    const sectorId = match.sectors[0]!.matchSectorId;
    const base = { match_id: match.matchId, sector_ids: [sectorId], total_quantity: 1 };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ sector_ids: [other.sectors[0]!.matchSectorId] }, 400, 'QUOTA_SECTOR_INVALID'],
      [{ match_id: '00000000-0000-4000-8000-000000000000' }, 404, 'MATCH_NOT_FOUND'],
      [{ recipient_email: 'not-an-email' }, 400, 'VALIDATION_FAILED'],
      [{ total_quantity: 0 }, 400, 'VALIDATION_FAILED'],
      [{ discount_percent: 101 }, 400, 'VALIDATION_FAILED'],
      [{ sector_ids: [sectorId, sectorId] }, 400, 'VALIDATION_FAILED'],
      [{ allocation_algorithm: 'RANDOM' }, 400, 'VALIDATION_FAILED'],
      [
        { expiration_date: new Date(t.clock.now().getTime() - 1000).toISOString() },
        400,
        'VALIDATION_FAILED',
      ],
    ];
    for (const [patch, status, code] of cases) {
      const res = await createQuotaRequest(t, manager, { ...base, ...patch } as never);
      expect(res.statusCode, `${JSON.stringify(patch)}: ${res.body}`).toBe(status);
      expect(res.json().code).toBe(code);
    }
    const unlocked = await t.deps.db
      .updateTable('matches')
      .set({ stadium_config_status: 'VALIDATED' })
      .where('id', '=', other.matchId)
      .returning('id')
      .executeTakeFirstOrThrow();
    const res = await createQuotaRequest(t, manager, {
      match_id: unlocked.id,
      sector_ids: [other.sectors[0]!.matchSectorId],
      total_quantity: 1,
    });
    expect(res.json().code).toBe('CONFIG_NOT_LOCKED');
    expect(await inventoryCounts(t, match.matchId)).toEqual({ AVAILABLE: 4 });
  });

  it('is for match managers only', async () => {
    const match = await createLockedMatch(t.deps, { rows: 1, seatsPerRow: 4 });
    const input = {
      match_id: match.matchId,
      sector_ids: [match.sectors[0]!.matchSectorId],
      total_quantity: 1,
    };
    for (const [user, status] of [
      [fan, 403],
      [holder, 403],
    ] as const) {
      const res = await createQuotaRequest(t, user, input);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().code).toBe('FORBIDDEN');
    }
    const anonymous = await t.request({ method: 'POST', url: '/admin/quotas', payload: input });
    expect(anonymous.statusCode).toBe(401);
    expect(await inventoryCounts(t, match.matchId)).toEqual({ AVAILABLE: 4 });
    expect((await createQuotaRequest(t, manager, input)).statusCode).toBe(201);
  });
});

describe('quota seats and the public sale (E7-F1)', () => {
  it('the public claim never sees allocated seats', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
    await createQuotaViaApi(t, manager, {
      match_id: sale.matchId,
      sector_ids: [sale.zoneId],
      total_quantity: 7,
    });
    const buyer = await createFan(t.deps);
    const tooMany = await addToCart(t, buyer, sale, 4);
    expect(tooMany.statusCode, tooMany.body).toBe(409);
    expect(tooMany.json().code).toBe('SEATS_INSUFFICIENT');
    const zones = await t.request({
      method: 'GET',
      url: `/matches/${sale.matchId}/zones`,
      token: buyer.token,
    });
    expect(zones.statusCode, zones.body).toBe(200);
    expect(JSON.stringify(zones.json())).toContain('"available":3');
    const ok = await addToCart(t, buyer, sale, 3);
    expect(ok.statusCode, ok.body).toBe(200);
    const allocated = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('id')
      .where('match_id', '=', sale.matchId)
      .where('status', '=', 'ALLOCATED')
      .execute();
    expect(allocated).toHaveLength(7);
    const held = ok.json().cart.seats.map((i: { inventory_id: string }) => i.inventory_id);
    expect(held.some((id: string) => allocated.some((a) => a.id === id))).toBe(false);
  });

  it('races a live public sale in the same sector: no seat is both held and allocated', async () => {
    const sale = await createSale(t.deps, { rows: 4, seatsPerRow: 10 });
    const fans = await Promise.all(Array.from({ length: 16 }, () => createFan(t.deps)));
    const quotas = Array.from({ length: 3 }, () =>
      createQuotaRequest(t, manager, {
        match_id: sale.matchId,
        sector_ids: [sale.zoneId],
        total_quantity: 8,
      }),
    );
    const carts = fans.map((f) => addToCart(t, f, sale, 2));
    const results = await Promise.all([...quotas, ...carts]);
    const quotaResults = results.slice(0, 3);
    const cartResults = results.slice(3);
    for (const r of quotaResults) expect([201, 409], r.body).toContain(r.statusCode);
    for (const r of cartResults) expect([200, 409], r.body).toContain(r.statusCode);
    const createdQuotas = quotaResults.filter((r) => r.statusCode === 201).length;
    const sold = cartResults.filter((r) => r.statusCode === 200).length;
    expect(createdQuotas * 8 + sold * 2).toBeLessThanOrEqual(40);
    // Every 409 quota saw too few free seats, and said how many.
    for (const r of quotaResults.filter((x) => x.statusCode === 409)) {
      expect(r.json()).toMatchObject({ code: 'QUOTA_SEATS_INSUFFICIENT', requested: 8 });
    }
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM quota_seats qs
        JOIN match_seat_inventory i ON i.id = qs.match_seat_inventory_id
       WHERE i.match_id = ${sale.matchId} AND qs.status <> 'CANCELLED'`.execute(t.deps.db);
    expect(rows[0]!.n).toBe(createdQuotas * 8);
    const counts = await inventoryCounts(t, sale.matchId);
    expect(counts.ALLOCATED ?? 0).toBe(createdQuotas * 8);
    expect(counts.RESERVED ?? 0).toBe(sold * 2);
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });
});
