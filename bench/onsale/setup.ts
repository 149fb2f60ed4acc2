import { sql } from 'kysely';
import { STADIUMS } from '../../db/seeds/stadiums.ts';
import type { AppDeps } from '../../src/deps.ts';
import { bulkUpdateMatchSectors } from '../../src/modules/matches/match-sectors.service.ts';
import { changeMatchStatus, createMatch } from '../../src/modules/matches/matches.service.ts';
import { createSalesPhase } from '../../src/modules/matches/phases.service.ts';
import { createPriceCategory } from '../../src/modules/matches/price-categories.service.ts';
import {
  configureStadium,
  validateAndLock,
} from '../../src/modules/matches/stadium-config.service.ts';
import { updateQueueSettings } from '../../src/modules/queue/queue.service.ts';
import { writeStadiumTemplate } from '../../src/modules/venues/venues.seed.ts';

export type StadiumChoice =
  { template: string } | { rows: number; seatsPerRow: number; sectors: number };

export interface SaleMatch {
  matchId: string;
  sellableSeats: number;
  zones: string[];
}

type SetupDeps = Pick<AppDeps, 'db' | 'jobs' | 'clock' | 'config' | 'redis'>;

/** A small numbered stadium inserted directly (for the test-suite run of the scenario). */
async function smallStadium(
  deps: SetupDeps,
  rows: number,
  seatsPerRow: number,
  sectorCount: number,
) {
  const stadium = await deps.db
    .insertInto('stadiums')
    .values({
      name: `Bench ${Date.now()}`,
      city: 'Split',
      type: 'HOME',
      base_capacity: rows * seatsPerRow * sectorCount,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let s = 0; s < sectorCount; s++) {
    const sector = await deps.db
      .insertInto('sectors')
      .values({
        stadium_id: stadium.id,
        name: `Sector ${s + 1}`,
        code: `S${s + 1}`,
        capacity: rows * seatsPerRow,
        has_seat_map: true,
        seat_count: rows * seatsPerRow,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`
      INSERT INTO seats (sector_id, row_identifier, seat_number, row_index, col_index)
      SELECT ${sector.id}::uuid, 'R' || (r + 1), c + 1, r, c
        FROM generate_series(0, ${rows - 1}::int) r, generate_series(0, ${seatsPerRow - 1}::int) c`.execute(
      deps.db,
    );
  }
  return stadium.id;
}

async function templateStadium(deps: SetupDeps, name: string) {
  const def = STADIUMS.find((s) => s.name.toLowerCase().includes(name.toLowerCase()));
  if (!def)
    throw new Error(
      `no stadium template matches "${name}" (have: ${STADIUMS.map((s) => s.name).join(', ')})`,
    );
  const existing = await deps.db
    .selectFrom('stadiums')
    .select('id')
    .where('name', '=', def.name)
    .executeTakeFirst();
  if (existing) return existing.id;
  return (await deps.db.transaction().execute((trx) => writeStadiumTemplate(trx, def))).id;
}

/**
 * A national-team match on sale now through the real services: stadium configured from the
 * template, every sector priced, configuration locked (inventory created), a general-public
 * phase open, the waiting room enabled with the given admission rate and cap.
 */
export async function setupSaleMatch(
  deps: SetupDeps,
  stadium: StadiumChoice,
  queue: { ratePerMinute: number; maxActiveBuyers: number },
): Promise<SaleMatch> {
  const actor = { userId: null };
  const stadiumId =
    'template' in stadium
      ? await templateStadium(deps, stadium.template)
      : await smallStadium(deps, stadium.rows, stadium.seatsPerRow, stadium.sectors);
  const now = deps.clock.now();
  const match = await createMatch(deps, actor, {
    home_team: 'Hrvatska',
    away_team: 'Francuska',
    competition: 'UEFA Nations League',
    kick_off_time: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
    match_type: 'HOME',
  });
  const category = await createPriceCategory(deps, actor, match.id, {
    name: 'Standard',
    price: 3000,
    currency: 'EUR',
  });
  const config = await configureStadium(deps, actor, match.id, { stadium_template_id: stadiumId });
  await bulkUpdateMatchSectors(deps, actor, match.id, {
    sectors: config.sectors.map((s) => ({ id: s.id, price_category_id: category.id })),
  });
  const locked = await validateAndLock(deps, actor, match.id);
  if (!locked.valid) throw new Error(`configuration invalid: ${JSON.stringify(locked.issues)}`);
  await createSalesPhase(deps, actor, match.id, {
    phase_type: 'GENERAL_PUBLIC',
    name: 'Opća prodaja',
    start_at: new Date(now.getTime() - 60_000).toISOString(),
    end_at: new Date(now.getTime() + 7 * 86_400_000).toISOString(),
    eligibility_rules_json: {},
    ticket_limit: 4,
    is_active: true,
  } as Parameters<typeof createSalesPhase>[3]);
  await changeMatchStatus(deps, actor, match.id, { status: 'PUBLISHED' });
  await updateQueueSettings(
    deps as Parameters<typeof updateQueueSettings>[0],
    null as unknown as string,
    match.id,
    {
      enabled: true,
      paused: false,
      admission_rate_per_minute: queue.ratePerMinute,
      max_active_buyers: queue.maxActiveBuyers,
    },
    { source: 'bench' },
  );
  // Fans buy in the zones the app lists (GET /matches/{id}/zones): the public sectors.
  // VIP boxes and the like are sold otherwise and do not count towards the sell-out.
  const zones = await deps.db
    .selectFrom('match_sectors')
    .select('id')
    .where('match_id', '=', match.id)
    .where('status', '=', 'ACTIVE')
    .where('purpose', '=', 'GENERAL')
    .execute();
  const sellable = await deps.db
    .selectFrom('match_seat_inventory')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('match_id', '=', match.id)
    .where(
      'match_sector_id',
      'in',
      zones.map((z) => z.id),
    )
    .where('status', '=', 'AVAILABLE')
    .executeTakeFirstOrThrow();
  return {
    matchId: match.id,
    sellableSeats: Number(sellable.n),
    zones: zones.map((z) => z.id),
  };
}
