import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { STADIUMS, rowLengths, sectorSeatMap, sectorSnakeConfig } from '../../db/seeds/stadiums.ts';
import { seeds } from '../../src/modules/index.ts';
import { generateSeats, validateSeatMap } from '../../src/modules/venues/seat-map.ts';
import { snakeOrder } from '../../src/modules/venues/snake.ts';
import { seedStadium, stadiumTemplatesSeed } from '../../src/modules/venues/venues.seed.ts';
import { useTestContext } from '../harness/context.ts';
import { api, manager } from './helpers.ts';

const t = useTestContext();

const EXPECTED = {
  'Stadion Maksimir': { city: 'Zagreb', capacity: 35_123 },
  'Stadion Poljud': { city: 'Split', capacity: 34_198 },
  'Opus Arena': { city: 'Osijek', capacity: 13_005 },
  'Stadion Rujevica': { city: 'Rijeka', capacity: 8_279 },
  'Stadion Varaždin': { city: 'Varaždin', capacity: 8_818 },
};

describe('stadium definitions (db/seeds/stadiums.ts)', () => {
  it('splits a seat count into widening rows that add up exactly', () => {
    const rows = rowLengths(1999, 35, 0.5);
    expect(rows.reduce((a, b) => a + b, 0)).toBe(1999);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!).toBeGreaterThanOrEqual(rows[i - 1]!);
    expect(rows.at(-1)! - rows[0]!).toBeGreaterThanOrEqual(17);
  });

  it('gives every sector a valid map with exactly its seats, irregular rows and aisles', () => {
    for (const stadium of STADIUMS) {
      for (const sector of stadium.sectors) {
        const map = sectorSeatMap(sector);
        expect(validateSeatMap(map).ok, `${stadium.name} ${sector.code}`).toBe(true);
        expect(generateSeats(map as never)).toHaveLength(sector.seats);
        if (sector.sector_type === 'ACCESSIBILITY') {
          expect(map.seats.filter((s) => s.type === 'accessibility')).toHaveLength(
            sector.seats / 2,
          );
          continue;
        }
        const perRow = new Map<number, number[]>();
        for (const s of map.seats) perRow.set(s.row, [...(perRow.get(s.row) ?? []), s.col]);
        const lengths = [...perRow.values()].map((c) => c.length);
        if (sector.sector_type === 'STANDARD') {
          expect(
            new Set(lengths).size,
            `${sector.code} has rows of varying length`,
          ).toBeGreaterThan(1);
        }
        // an aisle: some row has a hole between its first and last seat
        const hasGap = [...perRow.values()].some(
          (cols) => Math.max(...cols) - Math.min(...cols) + 1 > cols.length,
        );
        expect(hasGap, `${sector.code} has an aisle`).toBe(true);
      }
    }
  });
  it('orders every seeded sector as a snake from its configured best row', () => {
    for (const stadium of STADIUMS) {
      for (const sector of stadium.sectors) {
        const map = sectorSeatMap(sector);
        const config = sectorSnakeConfig(sector, map);
        const seats = generateSeats(map).map((s, i) => ({ ...s, id: String(i) }));
        const order = snakeOrder(seats, config);
        expect(new Set(order.map((s) => s.id)).size).toBe(seats.length);
        const rows = order.map((s) => s.row_index).filter((r, i, a) => i === 0 || a[i - 1] !== r);
        expect(new Set(rows).size, `${sector.code}: rows contiguous`).toBe(rows.length);
        expect(order[0]!.row_index).toBe(config.best_row_index);
      }
    }
  });
});

describe('the stadium templates seed', () => {
  it('is registered with the module seeds', () => {
    expect(seeds).toContain(stadiumTemplatesSeed);
  });

  it('seeds the 5 Croatian templates with complete sectors and seats matching capacities, fast', async () => {
    // Poljud first, timed on its own: ≈34,000 seats in bulk statements. About a second on
    // an idle machine; the bound leaves room for a CI box shared with other test files.
    const poljud = STADIUMS.find((s) => s.name === 'Stadion Poljud')!;
    const started = performance.now();
    expect(await seedStadium(t.deps.db, poljud)).toBe(true);
    const elapsed = performance.now() - started;
    console.log(`seeding Poljud (34,198 seats) took ${Math.round(elapsed)} ms`);
    expect(elapsed).toBeLessThan(15_000);
    await stadiumTemplatesSeed.run(t.deps);

    const stadiums = await t.deps.db.selectFrom('stadiums').selectAll().orderBy('name').execute();
    expect(stadiums.map((s) => s.name).sort()).toEqual(Object.keys(EXPECTED).sort());

    for (const stadium of stadiums) {
      const expected = EXPECTED[stadium.name as keyof typeof EXPECTED];
      expect(stadium).toMatchObject({
        city: expected.city,
        type: 'HOME',
        is_numbered: true,
        base_capacity: expected.capacity,
      });
      const { rows: sectors } = await sql<{
        code: string;
        sector_type: string;
        capacity: number;
        seat_count: number;
        has_seat_map: boolean;
        total_seats: number | null;
        map_status: string | null;
        seats: number;
        snake: number;
      }>`
        SELECT s.code, s.sector_type, s.capacity, s.seat_count, s.has_seat_map,
               m.total_seats, m.configuration_status::text AS map_status,
               (SELECT count(*)::int FROM seats WHERE sector_id = s.id) AS seats,
               (SELECT count(*)::int FROM sector_snake_configs WHERE sector_id = s.id) AS snake
          FROM sectors s LEFT JOIN sector_seat_maps m ON m.sector_id = s.id
         WHERE s.stadium_id = ${stadium.id}`.execute(t.deps.db);
      expect(sectors.length).toBeGreaterThanOrEqual(8);
      for (const s of sectors) {
        expect(s, `${stadium.name} ${s.code}`).toMatchObject({
          has_seat_map: true,
          map_status: 'GENERATED',
          total_seats: s.capacity,
          seat_count: s.capacity,
          seats: s.capacity,
          snake: 1,
        });
      }
      expect(sectors.reduce((sum, s) => sum + s.seats, 0)).toBe(expected.capacity);
      const types = new Set(sectors.map((s) => s.sector_type));
      expect(types).toContain('VIP');
      expect(types).toContain('STANDARD');
      expect(sectors.some((s) => s.code === 'S-AWAY')).toBe(true);
      expect(types).toContain('ACCESSIBILITY');
      for (const stand of ['N-', 'S-', 'E-', 'W-']) {
        expect(
          sectors.some((s) => s.code.startsWith(stand)),
          `${stadium.name} ${stand}`,
        ).toBe(true);
      }
    }
  }, 120_000); // ≈99,000 seats in all: allow for a loaded shared machine

  it('is idempotent by stadium name', async () => {
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM seats`.execute(
      t.deps.db,
    );
    await stadiumTemplatesSeed.run(t.deps);
    const stadiums = await t.deps.db.selectFrom('stadiums').select('name').execute();
    expect(stadiums).toHaveLength(5);
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM seats`.execute(t.deps.db);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('serves the templates through the API, seat maps included', async () => {
    const token = await manager(t);
    const list = await api(t, token, 'GET', '/admin/stadiums?type=HOME');
    expect(list.body.total).toBe(5);
    const poljud = list.body.items.find((s: { name: string }) => s.name === 'Stadion Poljud');
    const detail = await api(t, token, 'GET', `/admin/stadiums/${poljud.id}`);
    expect(detail.body.base_capacity).toBe(34_198);
    const vip = detail.body.sectors.find((s: { code: string }) => s.code === 'W-VIP');
    const map = await api(t, token, 'GET', `/admin/sectors/${vip.id}/seat-map`);
    expect(map.body).toMatchObject({
      total_seats: 800,
      seats_generated: 800,
      configuration_status: 'GENERATED',
    });
    const snake = await api(t, token, 'GET', `/admin/sectors/${vip.id}/snake-config`);
    expect(snake.body).toMatchObject({ within_row_strategy: 'CENTER_OUTWARD', is_default: false });
  });
});
