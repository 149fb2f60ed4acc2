import { sql } from 'kysely';
import {
  STADIUMS,
  sectorSeatMap,
  sectorSnakeConfig,
  type StadiumDefinition,
} from '../../../db/seeds/stadiums.ts';
import type { Database, Executor } from '../../platform/db/database.ts';
import type { Seed } from '../../platform/seeds.ts';
import { generateSeats } from './seat-map.ts';
import * as seatMapsRepo from './seat-maps.repo.ts';
import * as sectorsRepo from './sectors.repo.ts';
import * as snakeRepo from './snake-configs.repo.ts';
import * as stadiumsRepo from './stadiums.repo.ts';

/**
 * Writes one stadium template with its sectors, seat maps (status GENERATED), seats and
 * snake configurations, one multi-row statement per table: Poljud's ≈34,000 seats go in
 * with a handful of round trips. The maps are valid by construction; test/venues/seed.test.ts
 * runs every one of them through the API's validator.
 */
export async function writeStadiumTemplate(db: Executor, def: StadiumDefinition) {
  const stadium = await stadiumsRepo.insertStadium(db, {
    name: def.name,
    city: def.city,
    country: 'Croatia',
    address: def.address,
    type: 'HOME',
    is_numbered: true,
    base_capacity: def.capacity,
  });
  const plans = def.sectors.map((sectorDef) => {
    const map = sectorSeatMap(sectorDef);
    return { def: sectorDef, map, seats: generateSeats(map) };
  });
  const sectors = await sectorsRepo.insertSectors(
    db,
    plans.map((p) => ({
      stadium_id: stadium.id,
      name: p.def.name,
      code: p.def.code,
      capacity: p.def.seats,
      sector_type: p.def.sector_type,
      has_seat_map: true,
      seat_count: p.seats.length,
    })),
  );
  const idByCode = new Map(sectors.map((s) => [s.code, s.id]));
  const withIds = plans.map((p) => ({ ...p, sector_id: idByCode.get(p.def.code)! }));
  await seatMapsRepo.insertSeatMaps(
    db,
    withIds.map((p) => ({
      sector_id: p.sector_id,
      seat_map_json: p.map,
      total_seats: p.map.seats.length,
      configuration_status: 'GENERATED' as const,
    })),
  );
  await seatMapsRepo.insertSeatsBulk(
    db,
    withIds.flatMap((p) => p.seats.map((seat) => ({ ...seat, sector_id: p.sector_id }))),
  );
  await snakeRepo.insertSnakeConfigs(
    db,
    withIds.map((p) => ({ sector_id: p.sector_id, config: sectorSnakeConfig(p.def, p.map) })),
  );
  await stadiumsRepo.syncBaseCapacity(db, stadium.id);
  return stadium;
}

/**
 * Seeds one template unless a stadium of that name exists (staff may have edited it since).
 * The advisory lock keeps two instances starting at once from both inserting it.
 * Returns whether it was written.
 */
export async function seedStadium(db: Database, def: StadiumDefinition): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('venues.stadium-templates'))`.execute(trx);
    if (await stadiumsRepo.findStadiumByName(trx, def.name)) return false;
    await writeStadiumTemplate(trx, def);
    return true;
  });
}

/** The five Croatian stadium templates (db/seeds/stadiums.ts), idempotent by name. */
export const stadiumTemplatesSeed: Seed = {
  name: 'venues.stadium-templates',
  async run({ db }) {
    for (const def of STADIUMS) await seedStadium(db, def);
  },
};
