import { sql } from 'kysely';
import type { Seed, SeedDeps } from '../../platform/seeds.ts';
import { findStadiumByName } from '../venues/stadiums.repo.ts';
import * as repo from './matches.repo.ts';
import type { Actor } from './match-changes.ts';
import { bulkUpdateMatchSectors } from './match-sectors.service.ts';
import { changeMatchStatus, createMatch, deleteMatch } from './matches.service.ts';
import { createSalesPhase } from './phases.service.ts';
import { createPriceCategory } from './price-categories.service.ts';
import { configureStadium, validateAndLock } from './stadium-config.service.ts';

/**
 * Development only: one upcoming national-team match on sale at a seeded stadium, so a
 * newcomer can buy a ticket right after `npm start` (README "Try a sale"). Written through
 * the matches service like an admin would: match, price categories, stadium configuration,
 * sector prices, a past loyalty pre-sale and the current general sale, validate and lock
 * (the inventory), PUBLISHED → ACTIVE. The waiting room is on (the default with a current
 * phase).
 *
 * When: DEMO_SALE unset → only while the database holds no match but demo ones (a new
 * database, or one where a previous run stopped half-way); DEMO_SALE=true or
 * `seed --demo` → whenever no demo match is on sale; DEMO_SALE=false or production → never.
 * Idempotent: a demo match already on sale is left alone, one left in DRAFT by a crash is
 * deleted and written again, and a session advisory lock keeps two processes from both
 * writing one.
 */
export const DEMO_SALE = {
  home_team: 'Hrvatska',
  away_team: 'Portugal',
  competition: 'Prijateljska utakmica (demo)',
  stadium: 'Stadion Rujevica',
  daysAhead: 30,
} as const;

const DAY_MS = 24 * 3_600_000;
const SYSTEM: Actor = { userId: null };

/** Price categories (euro cents) and which sectors (by template code) each prices. */
const CATEGORIES = [
  { name: 'VIP', price: 15_000, color: '#B8860B', sectors: (code: string) => code === 'W-VIP' },
  {
    name: 'Pristupačna mjesta',
    price: 1_500,
    color: '#1565C0',
    sectors: (code: string) => code.endsWith('-ACC'),
  },
  {
    name: 'Kategorija 1',
    price: 6_000,
    color: '#C8102E',
    sectors: (c: string) => c.startsWith('W-'),
  },
  {
    name: 'Kategorija 2',
    price: 4_500,
    color: '#E57373',
    sectors: (c: string) => c.startsWith('E-'),
  },
  { name: 'Kategorija 3', price: 3_000, color: '#FFCDD2', sectors: () => true },
];

/** `seed --demo` asks for the demo sale whatever the database holds. */
export function seedArgs<C extends { DEMO_SALE?: boolean | undefined }>(
  config: C,
  args: string[],
): C {
  const unknown = args.filter((a) => a !== '--demo');
  if (unknown.length)
    throw new Error(`seed: unknown argument ${unknown.join(' ')} (usage: seed [--demo])`);
  if (!args.includes('--demo')) return config;
  if ((config as { NODE_ENV?: string }).NODE_ENV === 'production') {
    throw new Error('seed --demo is for development only and is refused when NODE_ENV=production');
  }
  return { ...config, DEMO_SALE: true };
}

/** The demo match on sale, if there is one (PUBLISHED or ACTIVE, kick-off ahead). */
function onSale(rows: repo.MatchRow[], now: Date) {
  return rows.find(
    (m) =>
      (m.status === 'PUBLISHED' || m.status === 'ACTIVE') &&
      m.kick_off_time.getTime() > now.getTime(),
  );
}

export async function seedDemoSale(deps: SeedDeps): Promise<string | null> {
  const { config, logger } = deps;
  if (config.NODE_ENV === 'production' || config.DEMO_SALE === false) return null;
  return deps.db.connection().execute(async (conn) => {
    // Session lock on a connection of its own: the service calls below each run their own
    // transaction on the pool.
    await sql`SELECT pg_advisory_lock(hashtext('matches.demo-sale'))`.execute(conn);
    try {
      if (config.DEMO_SALE === undefined) {
        if (await repo.hasMatchOutside(conn, DEMO_SALE.competition)) return null;
      }
      const now = deps.clock.now();
      const demos = await repo.listMatchesOfCompetition(conn, DEMO_SALE.competition);
      const existing = onSale(demos, now);
      if (existing) return existing.id;
      if (config.DEMO_SALE === undefined && demos.some((m) => m.status !== 'DRAFT')) return null;
      for (const unfinished of demos.filter((m) => m.status === 'DRAFT')) {
        await deleteMatch(deps, SYSTEM, unfinished.id);
      }
      const stadium = await findStadiumByName(conn, DEMO_SALE.stadium);
      if (!stadium) {
        logger.warn({ stadium: DEMO_SALE.stadium }, 'demo sale not seeded: stadium not found');
        return null;
      }
      const matchId = await writeDemoSale(deps, stadium.id, now);
      logger.info(
        { match_id: matchId, stadium: stadium.name },
        `demo sale: ${DEMO_SALE.home_team} – ${DEMO_SALE.away_team} on sale (README "Try a sale")`,
      );
      return matchId;
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtext('matches.demo-sale'))`.execute(conn);
    }
  });
}

async function writeDemoSale(deps: SeedDeps, stadiumId: string, now: Date): Promise<string> {
  const kickOff = new Date(now.getTime() + DEMO_SALE.daysAhead * DAY_MS);
  kickOff.setUTCHours(18, 45, 0, 0); // 20:45 in Zagreb (summer time), 19:45 in winter
  const match = await createMatch(deps, SYSTEM, {
    home_team: DEMO_SALE.home_team,
    away_team: DEMO_SALE.away_team,
    competition: DEMO_SALE.competition,
    kick_off_time: kickOff.toISOString(),
    match_type: 'HOME',
  });
  const categories: { id: string; sectors: (code: string) => boolean }[] = [];
  for (const c of CATEGORIES) {
    const category = await createPriceCategory(deps, SYSTEM, match.id, {
      name: c.name,
      price: c.price,
      currency: 'EUR',
      color: c.color,
    });
    categories.push({ id: category.id, sectors: c.sectors });
  }
  const config = await configureStadium(deps, SYSTEM, match.id, { stadium_template_id: stadiumId });
  await bulkUpdateMatchSectors(deps, SYSTEM, match.id, {
    sectors: config.sectors.map((s) => ({
      id: s.id,
      price_category_id: categories.find((c) => c.sectors(s.code))!.id,
      ...(s.code.endsWith('-AWAY') ? { purpose: 'AWAY_FANS' as const } : {}),
    })),
  });
  // The pre-sale ended when the general sale opened (phases are half-open ranges).
  const opening = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  await createSalesPhase(deps, SYSTEM, match.id, {
    phase_type: 'LOYALTY',
    name: 'Pretprodaja za vjerne navijače',
    start_at: new Date(opening.getTime() - 3 * DAY_MS).toISOString(),
    end_at: opening.toISOString(),
    eligibility_rules_json: { loyalty_tiers: [{ min_points: 100, ticket_limit: 4 }] },
    ticket_limit: 4,
    is_active: true,
  });
  await createSalesPhase(deps, SYSTEM, match.id, {
    phase_type: 'GENERAL_PUBLIC',
    name: 'Javna prodaja',
    start_at: opening.toISOString(),
    end_at: new Date(kickOff.getTime() - 2 * 3_600_000).toISOString(),
    eligibility_rules_json: {},
    ticket_limit: 4,
    is_active: true,
  });
  const locked = await validateAndLock(deps, SYSTEM, match.id);
  if (!locked.valid) {
    throw new Error(`demo sale: configuration invalid: ${JSON.stringify(locked.issues)}`);
  }
  await changeMatchStatus(deps, SYSTEM, match.id, { status: 'PUBLISHED' });
  await changeMatchStatus(deps, SYSTEM, match.id, { status: 'ACTIVE' });
  return match.id;
}

export const demoSaleSeed: Seed = {
  name: 'matches.demo-sale',
  async run(deps) {
    await seedDemoSale(deps);
  },
};
