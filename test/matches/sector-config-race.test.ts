import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { unlockConfiguration } from '../../src/modules/matches/stadium-config.service.ts';
import { claimSeats } from '../factories/inventory.ts';
import { createLockedMatch } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { createFan, createSale, type Fan, type SaleFixture } from '../sales/helpers.ts';

/**
 * E2-F4 "modification refused once tickets are sold", under concurrency: sector changes
 * (pricing, status, capacities, bulk), a price category's price and unlocking the
 * configuration race with fans adding seats to carts through the HTTP API (and, for
 * unlock, with the claim statement itself).
 *
 * The oracle: a test-only trigger records, for every seat the moment a hold is taken, the
 * configuration of its sector as the database shows it right then (a fresh snapshot inside
 * the claiming statement, while it holds the seat's row lock). The invariant: every seat
 * still held or sold at the end was taken under the final configuration. A change that
 * committed while a seat was held under the configuration it replaced (check-then-act)
 * leaves a seat whose recorded configuration is not the final one.
 */

const t = useTestContext({ env: { RATE_LIMIT_MAX: '1000000', DATABASE_POOL_MAX: '20' } });

const FANS = 24;
const ROWS = 4;
const SEATS_PER_ROW = 10;

let manager: TestUser;
let fans: Fan[];

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  fans = [];
  while (fans.length < FANS) {
    fans.push(...(await Promise.all(Array.from({ length: 8 }, () => createFan(t.deps)))));
  }
  await sql`
    CREATE TABLE race_trace (
      inventory_id     uuid NOT NULL,
      hold_owner_id    uuid NOT NULL,
      match_sector_id  uuid NOT NULL,
      config           jsonb NOT NULL
    )`.execute(t.deps.db);
  // What a buyer is shown and charged: the sector's pricing, status, purpose, capacities,
  // the category's price, and whether the configuration is locked.
  await sql`
    CREATE FUNCTION race_config(sector uuid) RETURNS jsonb LANGUAGE sql VOLATILE AS $$
      SELECT jsonb_build_object(
               'price_category_id', ms.price_category_id, 'price', pc.price,
               'status', ms.status, 'purpose', ms.purpose,
               'total_capacity', ms.total_capacity, 'technical_seats', ms.technical_seats,
               'sellable_capacity', ms.sellable_capacity,
               'stadium_config_status', m.stadium_config_status)
        FROM match_sectors ms
        JOIN matches m ON m.id = ms.match_id
        LEFT JOIN price_categories pc ON pc.id = ms.price_category_id
       WHERE ms.id = sector
    $$`.execute(t.deps.db);
  // A VOLATILE function's queries each take a fresh snapshot (READ COMMITTED): the row is
  // locked by the claim at this point, and the configuration read is the committed one.
  await sql`
    CREATE FUNCTION race_trace_hold() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO race_trace (inventory_id, hold_owner_id, match_sector_id, config)
      VALUES (NEW.id, NEW.hold_owner_id, NEW.match_sector_id, race_config(NEW.match_sector_id));
      PERFORM pg_sleep(0.002);
      RETURN NULL;
    END $$`.execute(t.deps.db);
  await sql`
    CREATE TRIGGER race_trace_hold AFTER UPDATE ON match_seat_inventory FOR EACH ROW
      WHEN (NEW.status = 'RESERVED' AND NEW.hold_owner_id IS DISTINCT FROM OLD.hold_owner_id)
      EXECUTE FUNCTION race_trace_hold()`.execute(t.deps.db);
  // Widen the windows a check-then-act would lose in: a change spends a while between its
  // check and its commit, and a claim between reading the configuration and committing.
  // (Slower only; nothing else changes.)
  await sql`
    CREATE FUNCTION race_widen() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_sleep(0.01);
      RETURN NEW;
    END $$`.execute(t.deps.db);
  for (const table of ['match_sectors', 'price_categories', 'matches']) {
    await sql`CREATE TRIGGER race_widen BEFORE UPDATE ON ${sql.table(table)}
                FOR EACH ROW EXECUTE FUNCTION race_widen()`.execute(t.deps.db);
  }
  await t.app();
});

const admin = (method: 'PUT' | 'POST', url: string, payload?: object) =>
  t.request({ method, url, payload, token: manager.token });

interface Tally {
  ok: number;
  refused: Record<string, number>;
}

function tally(results: { statusCode: number; code?: string }[]): Tally {
  const out: Tally = { ok: 0, refused: {} };
  for (const r of results) {
    if (r.statusCode === 200) out.ok++;
    else {
      const key = r.code ?? String(r.statusCode);
      out.refused[key] = (out.refused[key] ?? 0) + 1;
    }
  }
  return out;
}

/**
 * Runs `modify` in `workers` concurrent loops while every fan adds seats twice (1–2 seats a
 * time, alternating zones); returns each modification's outcome.
 */
async function race(
  sale: SaleFixture,
  modify: (i: number) => Promise<{ statusCode: number; code?: string }>,
  workers = 3,
) {
  let fansDone = false;
  const adds: { statusCode: number; code?: string }[] = [];
  const fanRuns = fans.map(async (fan, i) => {
    for (const quantity of [1 + (i % 2), 2 - (i % 2)]) {
      const res = await t.request({
        method: 'POST',
        url: '/cart/add',
        token: fan.token,
        payload: {
          match_id: sale.matchId,
          match_sector_id: sale.zoneIds[i % sale.zoneIds.length],
          quantity,
        },
      });
      adds.push({ statusCode: res.statusCode, code: res.json().code });
    }
  });
  const mods: { statusCode: number; code?: string }[] = [];
  let n = 0;
  const modRuns = Array.from({ length: workers }, async () => {
    while (!fansDone) mods.push(await modify(n++));
  });
  await Promise.all(fanRuns);
  fansDone = true;
  await Promise.all(modRuns);

  // Fans: a hold, or a refusal the sale path gives (sold out, contention, zone closed).
  for (const a of adds) {
    if (a.statusCode !== 200) {
      expect(['SEATS_INSUFFICIENT', 'CONFLICT', 'NOT_FOUND']).toContain(a.code);
    }
  }
  // Changes: applied, or refused with 409 (held / sold / seats busy right now).
  for (const m of mods) {
    if (m.statusCode !== 200) {
      expect(m.statusCode).toBe(409);
      expect(['SALES_STARTED', 'TICKETS_SOLD', 'CONFLICT', 'CONFIG_NOT_LOCKED']).toContain(m.code);
    }
  }
  return { adds: tally(adds), mods: tally(mods) };
}

/** Every seat of the sectors held or sold now was taken under their final configuration. */
async function assertNoSeatHeldUnderAnOldConfiguration(sectorIds: string[]) {
  const { rows } = await sql<{ held: number; traced: number; stale: number }>`
    SELECT count(*)::int AS held,
           count(tr.inventory_id)::int AS traced,
           count(*) FILTER (WHERE tr.config <> race_config(i.match_sector_id))::int AS stale
      FROM match_seat_inventory i
      LEFT JOIN race_trace tr ON tr.inventory_id = i.id AND tr.hold_owner_id = i.hold_owner_id
     WHERE i.match_sector_id = ANY(${sectorIds}::uuid[])
       AND i.status IN ('RESERVED', 'SOLD')`.execute(t.deps.db);
  const { held, traced, stale } = rows[0]!;
  expect(held).toBeGreaterThan(0);
  expect(traced).toBe(held); // the oracle saw every hold (nothing was released)
  expect(stale).toBe(0);
}

async function secondCategory(matchId: string, price: number) {
  const row = await t.deps.db
    .insertInto('price_categories')
    .values({ match_id: matchId, name: `Alt ${randomUUID().slice(0, 6)}`, price })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const summary: Record<string, unknown> = {};

describe('E2-F4 configuration changes racing with cart additions', () => {
  it(
    'repricing a sector (single PUT) is refused (409) or no seat stays held at the old price',
    { timeout: 120_000 },
    async () => {
      for (let round = 0; round < 3; round++) {
        const sale = await createSale(t.deps, { rows: ROWS, seatsPerRow: SEATS_PER_ROW });
        const sector = await t.deps.db
          .selectFrom('match_sectors')
          .select('price_category_id')
          .where('id', '=', sale.zoneId)
          .executeTakeFirstOrThrow();
        const categories = [sector.price_category_id!, await secondCategory(sale.matchId, 4000)];
        const url = `/admin/matches/${sale.matchId}/sectors/${sale.zoneId}`;
        const result = await race(sale, async (i) => {
          const res = await admin('PUT', url, { price_category_id: categories[i % 2] });
          return { statusCode: res.statusCode, code: res.json().code };
        });
        summary[`sector-price-${round}`] = result;
        await assertNoSeatHeldUnderAnOldConfiguration([sale.zoneId]);
        // Once seats are held the change is refused, deterministically.
        const after = await admin('PUT', url, { price_category_id: categories[1] });
        expect(after.statusCode).toBe(409);
        expect(after.json()).toMatchObject({
          code: 'SALES_STARTED',
          match_sector_ids: [sale.zoneId],
        });
      }
    },
  );

  it(
    'a bulk update of two sectors is all-or-nothing against holds in either sector',
    { timeout: 120_000 },
    async () => {
      for (let round = 0; round < 2; round++) {
        const sale = await createSale(t.deps, {
          rows: ROWS / 2,
          seatsPerRow: SEATS_PER_ROW,
          sectors: 2,
        });
        const first = await t.deps.db
          .selectFrom('match_sectors')
          .select('price_category_id')
          .where('id', '=', sale.zoneId)
          .executeTakeFirstOrThrow();
        const categories = [first.price_category_id!, await secondCategory(sale.matchId, 4500)];
        const url = `/admin/matches/${sale.matchId}/sectors/bulk`;
        const result = await race(sale, async (i) => {
          const res = await admin('PUT', url, {
            sectors: sale.zoneIds.map((id) => ({ id, price_category_id: categories[i % 2] })),
          });
          return { statusCode: res.statusCode, code: res.json().code };
        });
        summary[`bulk-${round}`] = result;
        await assertNoSeatHeldUnderAnOldConfiguration(sale.zoneIds);
        const after = await admin('PUT', url, {
          sectors: sale.zoneIds.map((id) => ({ id, price_category_id: categories[1] })),
        });
        expect(after.statusCode).toBe(409);
        expect(after.json().code).toBe('SALES_STARTED');
      }
    },
  );

  it(
    "changing a price category's price is refused (409) or no seat stays held at the old price",
    { timeout: 120_000 },
    async () => {
      for (let round = 0; round < 2; round++) {
        const sale = await createSale(t.deps, { rows: ROWS, seatsPerRow: SEATS_PER_ROW });
        const { price_category_id } = await t.deps.db
          .selectFrom('match_sectors')
          .select('price_category_id')
          .where('id', '=', sale.zoneId)
          .executeTakeFirstOrThrow();
        const url = `/admin/matches/${sale.matchId}/price-categories/${price_category_id}`;
        const result = await race(sale, async (i) => {
          const res = await admin('PUT', url, { price: 2500 + 100 * ((i % 5) + 1) });
          return { statusCode: res.statusCode, code: res.json().code };
        });
        summary[`category-price-${round}`] = result;
        await assertNoSeatHeldUnderAnOldConfiguration([sale.zoneId]);
        const after = await admin('PUT', url, { price: 9900 });
        expect(after.statusCode).toBe(409);
        expect(after.json().code).toBe('SALES_STARTED');
        // A change that leaves the price alone (a new name) is not a price change.
        expect((await admin('PUT', url, { name: `Renamed ${round}` })).statusCode).toBe(200);
      }
    },
  );

  it('sells nothing of an unlocked configuration, even inside an open sales phase', async () => {
    // Unlocked before its phase began: the draft configuration may change freely, so the
    // sale path does not offer it (status and capacity edits then race with nothing).
    const m = await createLockedMatch(t.deps, {
      rows: ROWS,
      seatsPerRow: SEATS_PER_ROW,
      status: 'PUBLISHED',
    });
    await unlockConfiguration(t.deps, { userId: null }, m.matchId);
    const sale = await createSaleOf(m.matchId, m.sectors[0]!.matchSectorId);
    const adds = await Promise.all(
      fans.slice(0, 6).map((fan) =>
        t.request({
          method: 'POST',
          url: '/cart/add',
          token: fan.token,
          payload: { match_id: sale.matchId, match_sector_id: sale.zoneId, quantity: 1 },
        }),
      ),
    );
    for (const res of adds) expect(res.json().code).toBe('MATCH_NOT_ON_SALE');
    const url = `/admin/matches/${sale.matchId}/sectors/${sale.zoneId}`;
    expect((await admin('PUT', url, { status: 'MAINTENANCE' })).statusCode).toBe(200);
    const held = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('match_id', '=', sale.matchId)
      .where('status', '=', 'RESERVED')
      .executeTakeFirstOrThrow();
    expect(Number(held.n)).toBe(0);
  });

  it(
    'unlocking is refused (409) or no seat stays held under the locked configuration',
    { timeout: 120_000 },
    async () => {
      const outcomes: Tally[] = [];
      for (let round = 0; round < 4; round++) {
        const m = await createLockedMatch(t.deps, { rows: ROWS, seatsPerRow: SEATS_PER_ROW });
        const sectorId = m.sectors[0]!.matchSectorId;
        const now = t.clock.now();
        let claimsDone = false;
        // The claim statement of the sale path (FOR UPDATE SKIP LOCKED), 12 claimers at once,
        // starting later each round so that some unlocks come first.
        const claims = Array.from({ length: 12 }, async (_, i) => {
          await new Promise((resolve) => setTimeout(resolve, [0, 10, 25, 50][round]! + i));
          // Three holds each; like the sale path, a claim that found every seat locked
          // (by an unlock in progress) tries again shortly.
          for (let k = 0, attempts = 0; k < 3 && attempts < 200; attempts++) {
            const got = await claimSeats(t.deps.db, {
              matchSectorId: sectorId,
              count: 1 + ((i + k) % 2),
              ownerId: randomUUID(),
              now,
              until: new Date(now.getTime() + 20 * 60_000),
            });
            if (got.length > 0) k++;
            else await new Promise((resolve) => setTimeout(resolve, 2));
          }
        });
        const unlocks: { statusCode: number; code?: string }[] = [];
        const unlockers = Array.from({ length: 2 }, async () => {
          while (!claimsDone) {
            const res = await admin('POST', `/admin/matches/${m.matchId}/stadium/unlock`);
            unlocks.push({ statusCode: res.statusCode, code: res.json().code });
          }
        });
        await Promise.all(claims);
        claimsDone = true;
        await Promise.all(unlockers);
        for (const u of unlocks) {
          if (u.statusCode !== 200) {
            expect(u.statusCode).toBe(409);
            expect(['SALES_STARTED', 'CONFLICT', 'CONFIG_NOT_LOCKED']).toContain(u.code);
          }
        }
        expect(unlocks.filter((u) => u.statusCode === 200).length).toBeLessThanOrEqual(1);
        outcomes.push(tally(unlocks));
        await assertNoSeatHeldUnderAnOldConfiguration([sectorId]);
        const match = await t.deps.db
          .selectFrom('matches')
          .select('stadium_config_status')
          .where('id', '=', m.matchId)
          .executeTakeFirstOrThrow();
        if (match.stadium_config_status === 'LOCKED') {
          const after = await admin('POST', `/admin/matches/${m.matchId}/stadium/unlock`);
          expect(after.json().code).toBe('SALES_STARTED');
        }
      }
      summary.unlock = outcomes;
      console.log(`sector-config-race: ${JSON.stringify(summary)}`);
    },
  );
});

describe('E2-F4 configuration changes and the seats committed to buyers', () => {
  /** Runs `during` while another transaction holds the row lock of an inventory row. */
  async function whileRowLocked<T>(inventoryId: string, during: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let signal!: () => void;
    const locked = new Promise<void>((resolve) => (signal = resolve));
    const holder = t.deps.db.transaction().execute(async (trx) => {
      await trx
        .selectFrom('match_seat_inventory')
        .select('id')
        .where('id', '=', inventoryId)
        .forUpdate()
        .execute();
      signal();
      await released;
    });
    await locked;
    try {
      return await during();
    } finally {
      release();
      await holder;
    }
  }

  async function seatOf(matchSectorId: string, index = 0) {
    const rows = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('id')
      .where('match_sector_id', '=', matchSectorId)
      .orderBy('snake_order')
      .execute();
    return rows[index]!.id;
  }

  it('refuses a sector change while a seat is in a live hold; an expired hold does not count', async () => {
    const m = await createLockedMatch(t.deps, { sectors: 2 });
    const [s1, s2] = m.sectors.map((s) => s.matchSectorId) as [string, string];
    const pc = await secondCategory(m.matchId, 3100);
    const now = t.clock.now();
    const hold = (id: string, until: Date) =>
      t.deps.db
        .updateTable('match_seat_inventory')
        .set({
          status: 'RESERVED',
          hold_kind: 'CART',
          hold_owner_id: randomUUID(),
          held_until: until,
        })
        .where('id', '=', id)
        .execute();
    await hold(await seatOf(s1, 0), new Date(now.getTime() - 1000));
    // expired: the sector can be repriced
    const ok = await admin('PUT', `/admin/matches/${m.matchId}/sectors/${s1}`, {
      price_category_id: pc,
    });
    expect(ok.statusCode, ok.body).toBe(200);
    await hold(await seatOf(s2, 3), new Date(now.getTime() + 60_000));
    const single = await admin('PUT', `/admin/matches/${m.matchId}/sectors/${s2}`, {
      price_category_id: pc,
    });
    expect(single.statusCode).toBe(409);
    expect(single.json()).toMatchObject({
      code: 'SALES_STARTED',
      match_sector_ids: [s2],
      held_seats: 1,
    });
    const bulk = await admin('PUT', `/admin/matches/${m.matchId}/sectors/bulk`, {
      sectors: [
        { id: s1, name: 'Renamed' },
        { id: s2, name: 'Renamed too' },
      ],
    });
    expect(bulk.json().code).toBe('SALES_STARTED');
    // all or nothing: the first sector of the bulk change kept its name
    const names = await t.deps.db
      .selectFrom('match_sectors')
      .select(['id', 'name', 'price_category_id'])
      .where('id', 'in', [s1, s2])
      .execute();
    expect(names.find((r) => r.id === s1)).toMatchObject({
      name: 'Sector 1',
      price_category_id: pc,
    });
    expect(names.find((r) => r.id === s2)!.price_category_id).toBe(m.priceCategoryId);
    // a sold seat answers TICKETS_SOLD, which wins over a hold
    await t.deps.db
      .updateTable('match_seat_inventory')
      .set({ status: 'SOLD' })
      .where('id', '=', await seatOf(s2, 5))
      .execute();
    const sold = await admin('PUT', `/admin/matches/${m.matchId}/sectors/${s2}`, { name: 'x' });
    expect(sold.json()).toMatchObject({ code: 'TICKETS_SOLD', match_sector_ids: [s2] });
  });

  it("refuses a price category's new price while a sector priced with it has held or sold seats", async () => {
    const m = await createLockedMatch(t.deps, { sectors: 2 });
    const [s1, s2] = m.sectors.map((s) => s.matchSectorId) as [string, string];
    const other = await secondCategory(m.matchId, 5000);
    await admin('PUT', `/admin/matches/${m.matchId}/sectors/${s2}`, { price_category_id: other });
    await t.deps.db
      .updateTable('match_seat_inventory')
      .set({
        status: 'RESERVED',
        hold_kind: 'ORDER',
        hold_owner_id: randomUUID(),
        held_until: new Date(t.clock.now().getTime() + 60_000),
      })
      .where('id', '=', await seatOf(s1))
      .execute();
    const url = (id: string) => `/admin/matches/${m.matchId}/price-categories/${id}`;
    const refused = await admin('PUT', url(m.priceCategoryId), { price: 2600 });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'SALES_STARTED', match_sector_ids: [s1] });
    // the same price, a new name or colour: not a price change
    expect((await admin('PUT', url(m.priceCategoryId), { price: 2500 })).statusCode).toBe(200);
    expect((await admin('PUT', url(m.priceCategoryId), { name: 'Tribina' })).statusCode).toBe(200);
    // the other category prices only the sector with nothing held
    const repriced = await admin('PUT', url(other), { price: 5500 });
    expect(repriced.statusCode, repriced.body).toBe(200);
    expect(repriced.json().price).toBe(5500);
    const { price } = await t.deps.db
      .selectFrom('price_categories')
      .select('price')
      .where('id', '=', m.priceCategoryId)
      .executeTakeFirstOrThrow();
    expect(price).toBe(2500);
  });

  it('answers 409 CONFLICT, without waiting, while a seat of the sector is being claimed', async () => {
    const m = await createLockedMatch(t.deps, { sectors: 2 });
    const [s1, s2] = m.sectors.map((s) => s.matchSectorId) as [string, string];
    const pc = await secondCategory(m.matchId, 2700);
    const busy = await whileRowLocked(await seatOf(s1, 7), async () => {
      const started = Date.now();
      const res = await admin('PUT', `/admin/matches/${m.matchId}/sectors/${s1}`, {
        price_category_id: pc,
      });
      // the other sector's seats are not locked: it can change meanwhile
      const other = await admin('PUT', `/admin/matches/${m.matchId}/sectors/${s2}`, {
        price_category_id: pc,
      });
      expect(other.statusCode, other.body).toBe(200);
      return { res, ms: Date.now() - started };
    });
    expect(busy.res.statusCode).toBe(409);
    expect(busy.res.json()).toMatchObject({ code: 'CONFLICT', retryable: true });
    expect(busy.ms).toBeLessThan(5_000);
    // once the claim is over, the change goes through
    const after = await admin('PUT', `/admin/matches/${m.matchId}/sectors/${s1}`, {
      price_category_id: pc,
    });
    expect(after.statusCode).toBe(200);
  });

  it('answers 409 CONFLICT to unlock and to replacing the stadium while a seat is being claimed', async () => {
    const m = await createLockedMatch(t.deps);
    const seat = await seatOf(m.sectors[0]!.matchSectorId, 2);
    const unlock = await whileRowLocked(seat, () =>
      admin('POST', `/admin/matches/${m.matchId}/stadium/unlock`),
    );
    expect(unlock.json()).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect((await admin('POST', `/admin/matches/${m.matchId}/stadium/unlock`)).statusCode).toBe(
      200,
    );
    const replace = await whileRowLocked(seat, () =>
      admin('POST', `/admin/matches/${m.matchId}/stadium`, { stadium_template_id: m.stadiumId }),
    );
    expect(replace.json()).toMatchObject({ status: 409, code: 'CONFLICT' });
    const config = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('match_id', '=', m.matchId)
      .executeTakeFirstOrThrow();
    expect(Number(config.n)).toBe(30);
  });
});

/** Puts a match on sale (an open general phase, no waiting room) without locking anything. */
async function createSaleOf(matchId: string, zoneId: string): Promise<SaleFixture> {
  const now = t.clock.now();
  const phase = await t.deps.db
    .insertInto('sales_phases')
    .values({
      match_id: matchId,
      phase_type: 'GENERAL_PUBLIC',
      name: 'General sale',
      start_at: new Date(now.getTime() - 3_600_000),
      end_at: new Date(now.getTime() + 10 * 24 * 3_600_000),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`INSERT INTO queue_settings (match_id, enabled, admission_rate_per_minute, max_active_buyers)
            VALUES (${matchId}, false, 1000, 1000)`.execute(t.deps.db);
  return { matchId, zoneId, zoneIds: [zoneId], phaseId: phase.id };
}
