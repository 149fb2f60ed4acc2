import { describe, expect, it } from 'vitest';
import { STADIUMS } from '../../db/seeds/stadiums.ts';
import { loadConfig } from '../../src/config.ts';
import { seeds } from '../../src/modules/index.ts';
import {
  DEMO_SALE,
  demoSaleSeed,
  seedArgs,
  seedDemoSale,
} from '../../src/modules/matches/demo-sale.seed.ts';
import { createMatch } from '../../src/modules/matches/matches.service.ts';
import { seedStadium, stadiumTemplatesSeed } from '../../src/modules/venues/venues.seed.ts';
import { ConfigError } from '../../src/config.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();
const DAY = 24 * 3_600_000;

/** The seed with DEMO_SALE set as given (unset: the "new database" rule). */
const seedWith = (DEMO_SALE_VALUE?: boolean, env: 'test' | 'production' = 'test') =>
  seedDemoSale({
    ...t.deps,
    config: { ...t.config, NODE_ENV: env, DEMO_SALE: DEMO_SALE_VALUE },
  });

const demoMatches = () =>
  t.deps.db
    .selectFrom('matches')
    .select(['id', 'status', 'stadium_config_status', 'kick_off_time'])
    .where('competition', '=', DEMO_SALE.competition)
    .orderBy('created_at')
    .execute();

describe('the demo sale seed (development)', () => {
  it('runs after the stadium templates it needs', () => {
    expect(seeds.indexOf(demoSaleSeed)).toBeGreaterThan(seeds.indexOf(stadiumTemplatesSeed));
  });

  it('on a new database puts one match on sale, once, even when two processes seed at once', async () => {
    await seedStadium(
      t.deps.db,
      STADIUMS.find((s) => s.name === DEMO_SALE.stadium)!,
    );
    const [a, b] = await Promise.all([seedWith(), seedWith()]);
    expect(a).toBeTruthy();
    expect(b).toBe(a);
    expect(await seedWith()).toBe(a);
    const rows = await demoMatches();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'ACTIVE', stadium_config_status: 'LOCKED' });

    // Every seat of the stadium is in the inventory, and the phases frame the sale.
    const seats = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('match_id', '=', a!)
      .executeTakeFirstOrThrow();
    expect(Number(seats.n)).toBe(8_279);
    const phases = await t.deps.db
      .selectFrom('sales_phases')
      .select(['phase_type', 'start_at', 'end_at'])
      .where('match_id', '=', a!)
      .orderBy('start_at')
      .execute();
    const now = t.clock.now().getTime();
    expect(phases.map((p) => p.phase_type)).toEqual(['LOYALTY', 'GENERAL_PUBLIC']);
    expect(phases[0]!.end_at.getTime()).toBeLessThanOrEqual(now);
    expect(phases[1]!.start_at.getTime()).toBeLessThanOrEqual(now);
    expect(phases[1]!.end_at.getTime()).toBeGreaterThan(now + 20 * DAY);

    // What a fan sees: on sale, every zone priced.
    const list = await t.request({ method: 'GET', url: '/matches' });
    expect(list.json().items).toEqual([
      expect.objectContaining({
        id: a,
        home_team: 'Hrvatska',
        sale_status: 'on_sale',
        venue: { name: DEMO_SALE.stadium, city: 'Rijeka' },
      }),
    ]);
    const zones = (await t.request({ method: 'GET', url: `/matches/${a}/zones` })).json();
    expect(zones.on_sale).toBe(true);
    const wa = zones.zones.find((z: { code: string }) => z.code === 'W-A');
    expect(wa).toMatchObject({ price: 6000, price_category_name: 'Kategorija 1' });
    expect(zones.zones.some((z: { code: string }) => z.code === 'S-AWAY')).toBe(false);
  });

  it('is never seeded when DEMO_SALE=false or in production, nor automatically beside other matches', async () => {
    const before = await demoMatches();
    // The demo sale is over (kick-off passed): only an explicit ask writes a new one.
    t.clock.advance(40 * DAY);
    try {
      expect(await seedWith(false)).toBeNull();
      expect(await seedWith(true, 'production')).toBeNull();
      expect(await seedWith()).toBeNull(); // not a new database: the old demo is there
      await createMatch(
        t.deps,
        { userId: null },
        {
          home_team: 'Hrvatska',
          away_team: 'Francuska',
          competition: 'UEFA Liga nacija',
          kick_off_time: new Date(t.clock.now().getTime() + 10 * DAY).toISOString(),
          match_type: 'HOME',
        },
      );
      expect(await seedWith()).toBeNull();
      expect(await demoMatches()).toEqual(before);

      // Asked (DEMO_SALE=true, `seed --demo`): a DRAFT left by an interrupted run is
      // deleted and a new demo goes on sale.
      const leftover = await createMatch(
        t.deps,
        { userId: null },
        {
          home_team: DEMO_SALE.home_team,
          away_team: DEMO_SALE.away_team,
          competition: DEMO_SALE.competition,
          kick_off_time: new Date(t.clock.now().getTime() + 30 * DAY).toISOString(),
          match_type: 'HOME',
        },
      );
      const fresh = await seedWith(true);
      expect(fresh).toBeTruthy();
      expect(await seedWith(true)).toBe(fresh);
      const after = await t.deps.db
        .selectFrom('matches')
        .select(['id', 'status'])
        .where('competition', '=', DEMO_SALE.competition)
        .execute();
      expect(after.find((m) => m.id === leftover.id)?.status).toBe('DELETED');
      expect(after.filter((m) => m.status === 'ACTIVE').map((m) => m.id)).toContain(fresh);
    } finally {
      t.clock.advance(-40 * DAY);
    }
  });

  it('`seed --demo` asks for it, refused in production; DEMO_SALE=true is refused there too', () => {
    const dev = loadConfig({ NODE_ENV: 'development' });
    expect(seedArgs(dev, ['--demo']).DEMO_SALE).toBe(true);
    expect(seedArgs(dev, [])).toBe(dev);
    expect(() => seedArgs(dev, ['--demoo'])).toThrow(/unknown argument --demoo/);
    expect(() => seedArgs({ ...dev, NODE_ENV: 'production' }, ['--demo'])).toThrow(
      /development only/,
    );
    let caught: unknown;
    try {
      loadConfig({ NODE_ENV: 'production', DEMO_SALE: 'true' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues.some((i) => i.startsWith('DEMO_SALE:'))).toBe(true);
  });
});
