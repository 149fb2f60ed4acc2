import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AppDeps } from '../../src/deps.ts';
import { bulkUpdateMatchSectors } from '../../src/modules/matches/match-sectors.service.ts';
import {
  changeMatchStatus,
  closeMatchRecord,
  createMatch,
} from '../../src/modules/matches/matches.service.ts';
import { createPriceCategory } from '../../src/modules/matches/price-categories.service.ts';
import {
  configureStadium,
  validateAndLock,
} from '../../src/modules/matches/stadium-config.service.ts';

export interface LockedMatchOptions {
  /** Seats in every row (default 10). */
  seatsPerRow?: number;
  /** Rows per sector (default 3). */
  rows?: number;
  /** Number of sectors (default 1), coded S1, S2, … */
  sectors?: number;
  /** Price of the single price category, euro cents (default 2500). */
  price?: number;
  /** Kick-off (default 30 days after deps.clock.now()). */
  kickOff?: Date;
  /** Final match status, reached through the status machine (default DRAFT). */
  status?: 'DRAFT' | 'PUBLISHED' | 'ACTIVE' | 'CLOSED';
}

export interface LockedMatch {
  matchId: string;
  stadiumId: string;
  /** Per sector, seat ids in row then column order (row_index 0 = row A). */
  sectors: { sectorId: string; matchSectorId: string; code: string; seatIds: string[] }[];
  priceCategoryId: string;
}

/**
 * A match whose stadium configuration is validated and locked through the matches service,
 * so its seat inventory exists (every seat AVAILABLE, snake order left to right from row A).
 * The stadium, sectors and seats are inserted directly: a small numbered HOME stadium of
 * `sectors` sectors with `rows` × `seatsPerRow` seats each.
 */
export async function createLockedMatch(
  deps: Pick<AppDeps, 'db' | 'jobs' | 'clock'>,
  options: LockedMatchOptions = {},
): Promise<LockedMatch> {
  const seatsPerRow = options.seatsPerRow ?? 10;
  const rows = options.rows ?? 3;
  const sectorCount = options.sectors ?? 1;
  const perSector = seatsPerRow * rows;
  const actor = { userId: null };
  const tag = randomUUID().slice(0, 8);

  const stadium = await deps.db
    .insertInto('stadiums')
    .values({
      name: `Test stadium ${tag}`,
      city: 'Zagreb',
      type: 'HOME',
      base_capacity: perSector * sectorCount,
      is_numbered: true,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const sectors = await deps.db
    .insertInto('sectors')
    .values(
      Array.from({ length: sectorCount }, (_, i) => ({
        stadium_id: stadium.id,
        name: `Sector ${i + 1}`,
        code: `S${i + 1}`,
        capacity: perSector,
        has_seat_map: true,
        seat_count: perSector,
      })),
    )
    .returning(['id', 'code'])
    .execute();
  sectors.sort((a, b) => a.code.localeCompare(b.code, 'en', { numeric: true }));
  const seatIds = new Map<string, string[]>();
  for (const sector of sectors) {
    await sql`
      INSERT INTO seats (sector_id, row_identifier, seat_number, row_index, col_index)
      SELECT ${sector.id}::uuid,
             CASE WHEN r < 26 THEN chr(65 + r) ELSE 'R' || (r + 1) END,
             c + 1, r, c
        FROM generate_series(0, ${rows - 1}::int) r, generate_series(0, ${seatsPerRow - 1}::int) c`.execute(
      deps.db,
    );
    const ids = await deps.db
      .selectFrom('seats')
      .select('id')
      .where('sector_id', '=', sector.id)
      .orderBy('row_index')
      .orderBy('col_index')
      .execute();
    seatIds.set(
      sector.id,
      ids.map((r) => r.id),
    );
  }

  const match = await createMatch(deps, actor, {
    home_team: 'Hrvatska',
    away_team: `Opponent ${tag}`,
    competition: 'Friendly',
    kick_off_time: (
      options.kickOff ?? new Date(deps.clock.now().getTime() + 30 * 24 * 3600 * 1000)
    ).toISOString(),
    match_type: 'HOME',
  });
  const category = await createPriceCategory(deps, actor, match.id, {
    name: 'Category 1',
    price: options.price ?? 2500,
    currency: 'EUR',
  });
  const config = await configureStadium(deps, actor, match.id, {
    stadium_template_id: stadium.id,
  });
  await bulkUpdateMatchSectors(deps, actor, match.id, {
    sectors: config.sectors.map((s) => ({ id: s.id, price_category_id: category.id })),
  });
  const result = await validateAndLock(deps, actor, match.id);
  if (!result.valid) {
    throw new Error(`createLockedMatch: configuration invalid: ${JSON.stringify(result.issues)}`);
  }
  const path = ['PUBLISHED', 'ACTIVE', 'CLOSED'] as const;
  const target = options.status ?? 'DRAFT';
  for (const status of path.slice(0, path.indexOf(target as (typeof path)[number]) + 1)) {
    if (status === 'CLOSED') {
      // A closure without attendance data and no tickets (the closure proper: access-control).
      await deps.db.transaction().execute((trx) =>
        closeMatchRecord(deps, trx, actor, match.id, {
          attendance_mode: 'WITHOUT_DATA',
          reason: 'test factory',
        }),
      );
    } else {
      await changeMatchStatus(deps, actor, match.id, { status });
    }
  }

  const bySector = new Map(config.sectors.map((s) => [s.sector_id, s.id]));
  return {
    matchId: match.id,
    stadiumId: stadium.id,
    sectors: sectors.map((s) => ({
      sectorId: s.id,
      matchSectorId: bySector.get(s.id)!,
      code: s.code,
      seatIds: seatIds.get(s.id)!,
    })),
    priceCategoryId: category.id,
  };
}
