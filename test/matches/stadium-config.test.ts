import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLockedMatch } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();
let manager: TestUser;

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});

async function call(method: string, url: string, payload?: unknown, token = manager.token) {
  return t.request({ method: method as 'GET', url, payload: payload as object, token });
}

async function newMatch(): Promise<string> {
  const res = await call('POST', '/admin/matches', {
    home_team: 'Hrvatska',
    away_team: 'Njemačka',
    competition: 'Friendly',
    kick_off_time: '2026-10-10T18:45:00Z',
    match_type: 'HOME',
  });
  expect(res.statusCode).toBe(201);
  return res.json().match_id;
}

/**
 * A template: sector N (numbered, 2 rows × 5 seats, seat A1 TECHNICAL), sector V (VIP,
 * 1 row × 4 seats) and sector S (STANDING, capacity 500, no seats).
 */
async function template() {
  const stadium = await t.deps.db
    .insertInto('stadiums')
    .values({ name: `Template ${randomUUID().slice(0, 6)}`, city: 'Split', base_capacity: 514 })
    .returning('id')
    .executeTakeFirstOrThrow();
  const sectors = await t.deps.db
    .insertInto('sectors')
    .values([
      {
        stadium_id: stadium.id,
        name: 'North',
        code: 'N',
        capacity: 10,
        has_seat_map: true,
        seat_count: 10,
      },
      {
        stadium_id: stadium.id,
        name: 'VIP',
        code: 'V',
        capacity: 4,
        has_seat_map: true,
        seat_count: 4,
        sector_type: 'VIP',
      },
      {
        stadium_id: stadium.id,
        name: 'Standing',
        code: 'S',
        capacity: 500,
        sector_type: 'STANDING',
      },
    ])
    .returning(['id', 'code'])
    .execute();
  const id = (code: string) => sectors.find((s) => s.code === code)!.id;
  const seats = async (sectorId: string, rows: number, cols: number) =>
    sql`INSERT INTO seats (sector_id, row_identifier, seat_number, row_index, col_index)
        SELECT ${sectorId}::uuid, chr(65 + r), c + 1, r, c
          FROM generate_series(0, ${rows - 1}::int) r, generate_series(0, ${cols - 1}::int) c`.execute(
      t.deps.db,
    );
  await seats(id('N'), 2, 5);
  await seats(id('V'), 1, 4);
  await t.deps.db
    .updateTable('seats')
    .set({ seat_type: 'TECHNICAL' })
    .where('sector_id', '=', id('N'))
    .where('row_identifier', '=', 'A')
    .where('seat_number', '=', 1)
    .execute();
  return { stadiumId: stadium.id, n: id('N'), v: id('V'), s: id('S') };
}

async function priceCategory(matchId: string, name: string, price = 2000) {
  const res = await call('POST', `/admin/matches/${matchId}/price-categories`, { name, price });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

type SectorOut = { id: string; code: string; sector_id: string; [k: string]: unknown };

async function configured(matchId: string, stadiumId: string) {
  const res = await call('POST', `/admin/matches/${matchId}/stadium`, {
    stadium_template_id: stadiumId,
  });
  expect(res.statusCode).toBe(200);
  const sectors = res.json().sectors as SectorOut[];
  return Object.fromEntries(sectors.map((s) => [s.code, s])) as Record<string, SectorOut>;
}

/** A match configured from a fresh template with every sector priced. */
async function pricedMatch() {
  const tpl = await template();
  const matchId = await newMatch();
  const pc = await priceCategory(matchId, 'Cat 1');
  const sectors = await configured(matchId, tpl.stadiumId);
  await call('PUT', `/admin/matches/${matchId}/sectors/bulk`, {
    sectors: Object.values(sectors).map((s) => ({ id: s.id, price_category_id: pc })),
  });
  return { matchId, tpl, pc, sectors };
}

const inventory = (matchId: string) =>
  t.deps.db
    .selectFrom('match_seat_inventory as i')
    .innerJoin('seats as s', 's.id', 'i.seat_id')
    .select([
      'i.id',
      'i.seat_id',
      'i.match_sector_id',
      'i.status',
      'i.snake_order',
      's.row_identifier',
      's.seat_number',
    ])
    .where('i.match_id', '=', matchId)
    .orderBy('i.match_sector_id')
    .orderBy('i.snake_order')
    .execute();

describe('E2-F4 GET/POST /admin/matches/{matchId}/stadium', () => {
  it('returns an empty configuration for a new match and 404 for an unknown one', async () => {
    const matchId = await newMatch();
    const res = await call('GET', `/admin/matches/${matchId}/stadium`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      match_id: matchId,
      stadium: null,
      sectors: [],
      stadium_config_status: 'DRAFT',
      inventory_seats: 0,
    });
    expect((await call('GET', `/admin/matches/${randomUUID()}/stadium`)).statusCode).toBe(404);
  });

  it('copies a template: one match sector per template sector with seats, technical seats and purpose', async () => {
    const tpl = await template();
    const matchId = await newMatch();
    const sectors = await configured(matchId, tpl.stadiumId);
    expect(Object.keys(sectors).sort()).toEqual(['N', 'S', 'V']);
    expect(sectors.N).toMatchObject({
      sector_id: tpl.n,
      name: 'North',
      total_capacity: 10,
      technical_seats: 1,
      sellable_capacity: 9,
      status: 'ACTIVE',
      purpose: 'GENERAL',
      is_numbered: true,
      has_seat_map: true,
      price_category_id: null,
    });
    expect(sectors.V).toMatchObject({ purpose: 'VIP', total_capacity: 4, sellable_capacity: 4 });
    expect(sectors.S).toMatchObject({
      is_numbered: false,
      total_capacity: 500,
      has_seat_map: false,
    });
    const config = (await call('GET', `/admin/matches/${matchId}/stadium`)).json();
    expect(config.stadium).toMatchObject({ id: tpl.stadiumId, type: 'HOME' });
    expect((await call('GET', `/admin/matches/${matchId}`)).json().venue_id).toBe(tpl.stadiumId);
    const log = await t.deps.db
      .selectFrom('match_audit_logs')
      .select(['change_type', 'changes_json', 'changed_by'])
      .where('match_id', '=', matchId)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(log).toMatchObject({ change_type: 'CONFIGURE', changed_by: manager.id });
    expect(log.changes_json).toMatchObject({ action: 'match_stadium_configured' });
  });

  it('requires exactly one source (400) and an existing template (404)', async () => {
    const tpl = await template();
    const matchId = await newMatch();
    expect((await call('POST', `/admin/matches/${matchId}/stadium`, {})).statusCode).toBe(400);
    const two = await call('POST', `/admin/matches/${matchId}/stadium`, {
      stadium_template_id: tpl.stadiumId,
      import_from_match_id: matchId,
    });
    expect(two.statusCode).toBe(400);
    const missing = await call('POST', `/admin/matches/${matchId}/stadium`, {
      stadium_template_id: randomUUID(),
    });
    expect(missing.statusCode).toBe(404);
  });

  it('imports another match: stadium, sectors, prices and sector statuses', async () => {
    const source = await pricedMatch();
    const vip = await priceCategory(source.matchId, 'VIP', 9000);
    await call('PUT', `/admin/matches/${source.matchId}/sectors/bulk`, {
      sectors: [
        { id: source.sectors.V!.id, price_category_id: vip, purpose: 'PRESS' },
        { id: source.sectors.S!.id, status: 'CLOSED', sellable_capacity: 450 },
      ],
    });
    const target = await newMatch();
    const existing = await priceCategory(target, 'Cat 1', 1234);
    const res = await call('POST', `/admin/matches/${target}/stadium`, {
      import_from_match_id: source.matchId,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.stadium.id).toBe(source.tpl.stadiumId);
    const byCode = Object.fromEntries(body.sectors.map((s: SectorOut) => [s.code, s]));
    const categories = Object.fromEntries(
      body.price_categories.map((c: { name: string; id: string; price: number }) => [c.name, c]),
    );
    // A same-named category of the target is reused; the others are copied with their price.
    expect(categories['Cat 1'].id).toBe(existing);
    expect(categories.VIP).toMatchObject({ price: 9000, match_id: target });
    expect(categories.VIP.id).not.toBe(vip);
    expect(byCode.N).toMatchObject({ price_category_id: existing, status: 'ACTIVE' });
    expect(byCode.V).toMatchObject({ price_category_id: categories.VIP.id, purpose: 'PRESS' });
    expect(byCode.S).toMatchObject({ status: 'CLOSED', sellable_capacity: 450 });
    const self = await call('POST', `/admin/matches/${target}/stadium`, {
      import_from_match_id: target,
    });
    expect(self.statusCode).toBe(400);
    const unconfigured = await call('POST', `/admin/matches/${target}/stadium`, {
      import_from_match_id: await newMatch(),
    });
    expect(unconfigured.statusCode).toBe(400);
  });

  it('creates an away stadium inline (type AWAY, all fields, sectors with capacity)', async () => {
    const matchId = await newMatch();
    const res = await call('POST', `/admin/matches/${matchId}/stadium`, {
      create_new: {
        name: 'Stadio Olimpico',
        city: 'Roma',
        country: 'Italy',
        address: 'Viale dei Gladiatori',
        is_numbered: false,
        sectors: [
          { name: 'Curva Sud ospiti', code: 'CS', capacity: 1500 },
          { name: 'Tribuna', code: 'T', capacity: 200, sector_type: 'VIP' },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.stadium).toMatchObject({
      name: 'Stadio Olimpico',
      city: 'Roma',
      country: 'Italy',
      address: 'Viale dei Gladiatori',
      type: 'AWAY',
      is_numbered: false,
      base_capacity: 1700,
    });
    const stored = await t.deps.db
      .selectFrom('sectors')
      .select(['code', 'capacity'])
      .where('stadium_id', '=', body.stadium.id)
      .orderBy('code')
      .execute();
    expect(stored).toEqual([
      { code: 'CS', capacity: 1500 },
      { code: 'T', capacity: 200 },
    ]);
    expect(body.sectors.map((s: SectorOut) => [s.code, s.total_capacity, s.is_numbered])).toEqual([
      ['CS', 1500, false],
      ['T', 200, false],
    ]);
    // An unnumbered away configuration validates without seats and creates no inventory.
    const pc = await priceCategory(matchId, 'Away');
    await call('PUT', `/admin/matches/${matchId}/sectors/bulk`, {
      sectors: body.sectors.map((s: SectorOut) => ({ id: s.id, price_category_id: pc })),
    });
    const validated = await call('POST', `/admin/matches/${matchId}/stadium/validate`);
    expect(validated.json()).toMatchObject({
      valid: true,
      stadium_config_status: 'LOCKED',
      inventory_seats: 0,
    });
    const dup = await call('POST', `/admin/matches/${await newMatch()}/stadium`, {
      create_new: {
        name: 'X',
        city: 'Y',
        country: 'Z',
        sectors: [
          { name: 'a', code: 'A', capacity: 1 },
          { name: 'b', code: 'A', capacity: 1 },
        ],
      },
    });
    expect(dup.statusCode).toBe(400);
  });
});

describe('E2-F4 POST /admin/matches/{matchId}/stadium/validate', () => {
  it('reports unpriced sectors and capacity problems without changing anything', async () => {
    const tpl = await template();
    const matchId = await newMatch();
    const sectors = await configured(matchId, tpl.stadiumId);
    const res = await call('POST', `/admin/matches/${matchId}/stadium/validate`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.valid).toBe(false);
    expect(body.stadium_config_status).toBe('DRAFT');
    expect(
      body.issues
        .filter((i: { code: string }) => i.code === 'SECTOR_NOT_PRICED')
        .map((i: { sector_code: string }) => i.sector_code)
        .sort(),
    ).toEqual(['N', 'S', 'V']);

    const pc = await priceCategory(matchId, 'Cat 1');
    await call('PUT', `/admin/matches/${matchId}/sectors/bulk`, {
      sectors: [
        { id: sectors.N!.id, price_category_id: pc, technical_seats: 0, sellable_capacity: 10 },
        { id: sectors.V!.id, price_category_id: pc },
        { id: sectors.S!.id, price_category_id: pc },
      ],
    });
    const capacity = (await call('POST', `/admin/matches/${matchId}/stadium/validate`)).json();
    expect(capacity.valid).toBe(false);
    expect(capacity.issues.map((i: { code: string }) => i.code).sort()).toEqual([
      'SELLABLE_EXCEEDS_SEATS',
      'TECHNICAL_SEATS_MISMATCH',
    ]);
    expect(await inventory(matchId)).toEqual([]);
  });

  it('locks a valid configuration and creates one inventory row per seat with its snake order and initial status', async () => {
    const { matchId, sectors } = await pricedMatch();
    await call('PUT', `/admin/matches/${matchId}/sectors/${sectors.V!.id}`, {
      status: 'MAINTENANCE',
    });
    const res = await call('POST', `/admin/matches/${matchId}/stadium/validate`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      valid: true,
      issues: [],
      stadium_config_status: 'LOCKED',
      inventory_seats: 14,
    });
    const match = (await call('GET', `/admin/matches/${matchId}`)).json();
    expect(match.stadium_config_status).toBe('LOCKED');
    expect(match.config_locked_at).toBe(t.clock.now().toISOString());

    const rows = await inventory(matchId);
    expect(rows).toHaveLength(14);
    const north = rows.filter((r) => r.match_sector_id === sectors.N!.id);
    expect(north.map((r) => `${r.row_identifier}${r.seat_number}`)).toEqual([
      'A1',
      'A2',
      'A3',
      'A4',
      'A5',
      'B5',
      'B4',
      'B3',
      'B2',
      'B1',
    ]);
    expect(north.map((r) => r.snake_order)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(north[0]!.status).toBe('TECHNICAL');
    expect(north.slice(1).every((r) => r.status === 'AVAILABLE')).toBe(true);
    expect(
      rows
        .filter((r) => r.match_sector_id === sectors.V!.id)
        .every((r) => r.status === 'MAINTENANCE'),
    ).toBe(true);
    const actions = (
      await t.deps.db
        .selectFrom('match_audit_logs')
        .select('changes_json')
        .where('match_id', '=', matchId)
        .orderBy('created_at')
        .execute()
    ).map((l) => (l.changes_json as { action: string }).action);
    expect(actions.slice(-2)).toEqual(['match_config_validated', 'match_config_locked']);
  });

  it('orders seats with the sector snake configuration of the venues module', async () => {
    const { matchId, tpl, sectors } = await pricedMatch();
    await t.deps.db
      .insertInto('sector_snake_configs')
      .values({
        sector_id: tpl.n,
        best_row_index: 1,
        traversal_direction: 'BOTTOM_TO_TOP',
        within_row_strategy: 'RIGHT_TO_LEFT',
      })
      .execute();
    await call('POST', `/admin/matches/${matchId}/stadium/validate`);
    const north = (await inventory(matchId)).filter((r) => r.match_sector_id === sectors.N!.id);
    expect(north.map((r) => `${r.row_identifier}${r.seat_number}`)).toEqual([
      'B5',
      'B4',
      'B3',
      'B2',
      'B1',
      'A1',
      'A2',
      'A3',
      'A4',
      'A5',
    ]);
  });

  it('locks a Poljud-sized configuration: 34,000 inventory rows (timing: bench:inventory-lock)', async () => {
    const m = await createLockedMatch(t.deps, { rows: 34, seatsPerRow: 100, sectors: 10 });
    const count = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('match_id', '=', m.matchId)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(34_000);
  }, 60_000);
});

describe('E2-F4 locked configuration, unlock and re-lock', () => {
  it('refuses structural changes while locked (409 CONFIG_LOCKED) but allows pricing', async () => {
    const { matchId, tpl, sectors } = await pricedMatch();
    await call('POST', `/admin/matches/${matchId}/stadium/validate`);
    const again = await call('POST', `/admin/matches/${matchId}/stadium/validate`);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('CONFIG_LOCKED');
    const reconfigure = await call('POST', `/admin/matches/${matchId}/stadium`, {
      stadium_template_id: tpl.stadiumId,
    });
    expect(reconfigure.json().code).toBe('CONFIG_LOCKED');
    const status = await call('PUT', `/admin/matches/${matchId}/sectors/${sectors.N!.id}`, {
      status: 'CLOSED',
    });
    expect(status.statusCode).toBe(409);
    expect(status.json().code).toBe('CONFIG_LOCKED');
    const vip = await priceCategory(matchId, 'VIP', 9000);
    const priced = await call('PUT', `/admin/matches/${matchId}/sectors/${sectors.V!.id}`, {
      price_category_id: vip,
      purpose: 'PRESS',
    });
    expect(priced.statusCode).toBe(200);
    expect(priced.json()).toMatchObject({ price_category_id: vip, purpose: 'PRESS' });
  });

  it('unlocks before sales; re-locking refreshes the inventory without duplicating rows', async () => {
    const { matchId, sectors } = await pricedMatch();
    await call('POST', `/admin/matches/${matchId}/stadium/validate`);
    const before = await inventory(matchId);
    const official = before.find(
      (r) => r.match_sector_id === sectors.N!.id && r.status === 'AVAILABLE',
    )!;
    // A seat staff set aside stays set aside across the re-lock.
    await t.deps.db
      .updateTable('match_seat_inventory')
      .set({ status: 'OFFICIAL' })
      .where('id', '=', official.id)
      .execute();
    const unlock = await call('POST', `/admin/matches/${matchId}/stadium/unlock`);
    expect(unlock.statusCode).toBe(200);
    expect(unlock.json().stadium_config_status).toBe('DRAFT');
    // Close the VIP sector, then lock again.
    const closed = await call('PUT', `/admin/matches/${matchId}/sectors/${sectors.V!.id}`, {
      status: 'CLOSED',
    });
    expect(closed.statusCode).toBe(200);
    const relock = await call('POST', `/admin/matches/${matchId}/stadium/validate`);
    expect(relock.json()).toMatchObject({ valid: true, inventory_seats: 14 });
    const after = await inventory(matchId);
    expect(after.map((r) => r.id).sort()).toEqual(before.map((r) => r.id).sort());
    expect(after.find((r) => r.id === official.id)!.status).toBe('OFFICIAL');
    expect(
      after.filter((r) => r.match_sector_id === sectors.V!.id).every((r) => r.status === 'BLOCKED'),
    ).toBe(true);
    const unlockedTwice = await call('POST', `/admin/matches/${matchId}/stadium/unlock`);
    expect(unlockedTwice.statusCode).toBe(200);
    expect((await call('POST', `/admin/matches/${matchId}/stadium/unlock`)).json().code).toBe(
      'CONFIG_NOT_LOCKED',
    );
  });

  it('refuses unlock once an active sales phase has started (409 SALES_STARTED)', async () => {
    const { matchId } = await pricedMatch();
    await call('POST', `/admin/matches/${matchId}/stadium/validate`);
    const now = t.clock.now().getTime();
    const start = new Date(now + 3600_000).toISOString();
    await call('POST', `/admin/matches/${matchId}/sales-phases`, {
      phase_type: 'GENERAL_PUBLIC',
      name: 'General',
      start_at: start,
      end_at: new Date(now + 7 * 24 * 3600_000).toISOString(),
    });
    // Not started yet: unlock and re-lock work.
    expect((await call('POST', `/admin/matches/${matchId}/stadium/unlock`)).statusCode).toBe(200);
    await call('POST', `/admin/matches/${matchId}/stadium/validate`);
    t.clock.advance(2 * 3600_000);
    try {
      // The manager's token was issued before the clock moved; sign a current one.
      const token = await t.token(manager.id, ['MATCH_MANAGER']);
      const res = await call('POST', `/admin/matches/${matchId}/stadium/unlock`, undefined, token);
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('SALES_STARTED');
    } finally {
      t.clock.advance(-2 * 3600_000);
    }
  });

  it('refuses unlock once a seat is reserved or sold (409 SALES_STARTED)', async () => {
    const m = await createLockedMatch(t.deps);
    await t.deps.db
      .updateTable('match_seat_inventory')
      .set({
        status: 'RESERVED',
        hold_kind: 'CART',
        hold_owner_id: randomUUID(),
        held_until: new Date(Date.now() + 60_000),
      })
      .where('seat_id', '=', m.sectors[0]!.seatIds[0]!)
      .execute();
    const res = await call('POST', `/admin/matches/${m.matchId}/stadium/unlock`);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('SALES_STARTED');
  });
});

describe('E2-F4 re-lock edge cases', () => {
  it('drops the inventory of a sector made unnumbered before the re-lock', async () => {
    const { matchId, sectors } = await pricedMatch();
    await call('POST', `/admin/matches/${matchId}/stadium/validate`);
    expect((await inventory(matchId)).length).toBe(14);
    await call('POST', `/admin/matches/${matchId}/stadium/unlock`);
    const res = await call('PUT', `/admin/matches/${matchId}/sectors/${sectors.V!.id}`, {
      is_numbered: false,
    });
    expect(res.statusCode).toBe(200);
    const relock = await call('POST', `/admin/matches/${matchId}/stadium/validate`);
    expect(relock.json()).toMatchObject({ valid: true, inventory_seats: 10 });
    const rows = await inventory(matchId);
    expect(rows.some((r) => r.match_sector_id === sectors.V!.id)).toBe(false);
  });

  it('refuses to replace the stadium while seats are committed (409 SALES_STARTED)', async () => {
    const m = await createLockedMatch(t.deps);
    await call('POST', `/admin/matches/${m.matchId}/stadium/unlock`);
    // A seat committed while unlocked (e.g. a quota allocation by another module).
    await t.deps.db
      .updateTable('match_seat_inventory')
      .set({ status: 'ALLOCATED' })
      .where('seat_id', '=', m.sectors[0]!.seatIds[0]!)
      .execute();
    const res = await call('POST', `/admin/matches/${m.matchId}/stadium`, {
      stadium_template_id: m.stadiumId,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('SALES_STARTED');
    expect((await inventory(m.matchId)).length).toBe(30);
  });
});

describe('E2-F4 price categories', () => {
  it('creates, lists, updates and deletes; names are unique per match (409)', async () => {
    const matchId = await newMatch();
    const create = await call('POST', `/admin/matches/${matchId}/price-categories`, {
      name: 'Tribina',
      price: 4500,
      color: '#CC0000',
    });
    expect(create.statusCode).toBe(201);
    expect(create.json()).toMatchObject({
      name: 'Tribina',
      price: 4500,
      currency: 'EUR',
      color: '#CC0000',
      match_id: matchId,
    });
    const id = create.json().id;
    const dup = await call('POST', `/admin/matches/${matchId}/price-categories`, {
      name: 'Tribina',
      price: 1,
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('PRICE_CATEGORY_NAME_TAKEN');
    // The same name on another match is fine.
    expect(
      (
        await call('POST', `/admin/matches/${await newMatch()}/price-categories`, {
          name: 'Tribina',
          price: 1,
        })
      ).statusCode,
    ).toBe(201);
    await priceCategory(matchId, 'Sjever', 1500);
    const list = await call('GET', `/admin/matches/${matchId}/price-categories`);
    expect(list.json().map((c: { name: string }) => c.name)).toEqual(['Tribina', 'Sjever']);
    const upd = await call('PUT', `/admin/matches/${matchId}/price-categories/${id}`, {
      price: 5000,
    });
    expect(upd.json()).toMatchObject({ id, price: 5000, name: 'Tribina' });
    const rename = await call('PUT', `/admin/matches/${matchId}/price-categories/${id}`, {
      name: 'Sjever',
    });
    expect(rename.statusCode).toBe(409);
    const del = await call('DELETE', `/admin/matches/${matchId}/price-categories/${id}`);
    expect(del.statusCode).toBe(204);
    expect((await call('GET', `/admin/matches/${matchId}/price-categories`)).json()).toHaveLength(
      1,
    );
    expect(
      (await call('DELETE', `/admin/matches/${matchId}/price-categories/${id}`)).statusCode,
    ).toBe(404);
  });

  it('refuses to delete a category in use (409) and non-integer prices (400)', async () => {
    const { matchId, pc } = await pricedMatch();
    const del = await call('DELETE', `/admin/matches/${matchId}/price-categories/${pc}`);
    expect(del.statusCode).toBe(409);
    expect(del.json().code).toBe('PRICE_CATEGORY_IN_USE');
    for (const price of [12.5, -1, '10']) {
      const res = await call('POST', `/admin/matches/${matchId}/price-categories`, {
        name: `p${price}`,
        price,
      });
      expect(res.statusCode).toBe(400);
    }
  });
});

describe('E2-F4 match sectors', () => {
  it('lists, adds and updates match sectors', async () => {
    const tpl = await template();
    const matchId = await newMatch();
    // Nothing to add before the stadium is chosen.
    const early = await call('POST', `/admin/matches/${matchId}/sectors`, { sector_id: tpl.n });
    expect(early.statusCode).toBe(409);
    const sectors = await configured(matchId, tpl.stadiumId);
    const list = await call('GET', `/admin/matches/${matchId}/sectors`);
    expect(list.json().map((s: SectorOut) => s.code)).toEqual(['N', 'S', 'V']);
    // Re-adding a configured sector conflicts; a sector of another stadium is refused.
    expect(
      (await call('POST', `/admin/matches/${matchId}/sectors`, { sector_id: tpl.n })).statusCode,
    ).toBe(409);
    const foreign = await template();
    expect(
      (await call('POST', `/admin/matches/${matchId}/sectors`, { sector_id: foreign.n }))
        .statusCode,
    ).toBe(400);
    // A sector added to the template later can be added to the match with overrides.
    const extra = await t.deps.db
      .insertInto('sectors')
      .values({
        stadium_id: tpl.stadiumId,
        name: 'Press box',
        code: 'P',
        capacity: 30,
        sector_type: 'STANDING',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const added = await call('POST', `/admin/matches/${matchId}/sectors`, {
      sector_id: extra.id,
      purpose: 'PRESS',
      total_capacity: 20,
    });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({
      code: 'P',
      purpose: 'PRESS',
      total_capacity: 20,
      sellable_capacity: 20,
      is_numbered: false,
    });

    const pc = await priceCategory(matchId, 'Cat');
    const upd = await call('PUT', `/admin/matches/${matchId}/sectors/${sectors.S!.id}`, {
      status: 'CLOSED',
      purpose: 'AWAY_FANS',
      price_category_id: pc,
      sellable_capacity: 400,
    });
    expect(upd.statusCode).toBe(200);
    expect(upd.json()).toMatchObject({
      status: 'CLOSED',
      purpose: 'AWAY_FANS',
      price_category_id: pc,
      sellable_capacity: 400,
    });
    const inconsistent = await call('PUT', `/admin/matches/${matchId}/sectors/${sectors.S!.id}`, {
      sellable_capacity: 501,
    });
    expect(inconsistent.statusCode).toBe(400);
    const foreignPrice = await call('PUT', `/admin/matches/${matchId}/sectors/${sectors.S!.id}`, {
      price_category_id: await priceCategory(await newMatch(), 'Other'),
    });
    expect(foreignPrice.statusCode).toBe(400);
    expect(
      (await call('PUT', `/admin/matches/${matchId}/sectors/${randomUUID()}`, { status: 'CLOSED' }))
        .statusCode,
    ).toBe(404);
  });

  it('bulk-updates sectors in one transaction: one invalid entry changes nothing', async () => {
    const tpl = await template();
    const matchId = await newMatch();
    const sectors = await configured(matchId, tpl.stadiumId);
    const pc = await priceCategory(matchId, 'Cat');
    const bad = await call('PUT', `/admin/matches/${matchId}/sectors/bulk`, {
      sectors: [
        { id: sectors.N!.id, price_category_id: pc },
        { id: sectors.S!.id, sellable_capacity: 9999 },
      ],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('body.sectors.1.sellable_capacity');
    const unchanged = (await call('GET', `/admin/matches/${matchId}/sectors`)).json();
    expect(unchanged.every((s: SectorOut) => s.price_category_id === null)).toBe(true);
    const ok = await call('PUT', `/admin/matches/${matchId}/sectors/bulk`, {
      sectors: [
        { id: sectors.N!.id, price_category_id: pc },
        { id: sectors.S!.id, status: 'MAINTENANCE' },
      ],
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().map((s: SectorOut) => [s.code, s.price_category_id, s.status])).toEqual([
      ['N', pc, 'ACTIVE'],
      ['S', null, 'MAINTENANCE'],
    ]);
    const dupIds = await call('PUT', `/admin/matches/${matchId}/sectors/bulk`, {
      sectors: [{ id: sectors.N!.id }, { id: sectors.N!.id }],
    });
    expect(dupIds.statusCode).toBe(400);
  });

  it('refuses modification of a sector with sold tickets (409 TICKETS_SOLD), single and bulk', async () => {
    const m = await createLockedMatch(t.deps, { sectors: 2 });
    await t.deps.db
      .updateTable('match_seat_inventory')
      .set({ status: 'SOLD' })
      .where('seat_id', '=', m.sectors[0]!.seatIds[5]!)
      .execute();
    const pc = await priceCategory(m.matchId, 'Late');
    const single = await call(
      'PUT',
      `/admin/matches/${m.matchId}/sectors/${m.sectors[0]!.matchSectorId}`,
      { price_category_id: pc },
    );
    expect(single.statusCode).toBe(409);
    expect(single.json()).toMatchObject({
      code: 'TICKETS_SOLD',
      match_sector_ids: [m.sectors[0]!.matchSectorId],
    });
    const bulk = await call('PUT', `/admin/matches/${m.matchId}/sectors/bulk`, {
      sectors: m.sectors.map((s) => ({ id: s.matchSectorId, price_category_id: pc })),
    });
    expect(bulk.statusCode).toBe(409);
    // The other sector, with nothing sold, can still be repriced.
    const other = await call(
      'PUT',
      `/admin/matches/${m.matchId}/sectors/${m.sectors[1]!.matchSectorId}`,
      { price_category_id: pc },
    );
    expect(other.statusCode).toBe(200);
  });

  it('is for match managers only (403)', async () => {
    const matchId = await newMatch();
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    for (const [method, url] of [
      ['GET', `/admin/matches/${matchId}/stadium`],
      ['POST', `/admin/matches/${matchId}/stadium/validate`],
      ['POST', `/admin/matches/${matchId}/stadium/unlock`],
      ['GET', `/admin/matches/${matchId}/sectors`],
      ['GET', `/admin/matches/${matchId}/price-categories`],
    ] as const) {
      expect((await call(method, url, undefined, finance.token)).statusCode).toBe(403);
    }
  });
});
