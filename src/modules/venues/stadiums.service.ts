import {
  audit,
  iso,
  loadStadium,
  transaction,
  type Actor,
  type VenuesDeps,
} from './venue-changes.ts';
import * as sectorsRepo from './sectors.repo.ts';
import * as stadiumsRepo from './stadiums.repo.ts';
import { sectorView } from './sectors.service.ts';
import type { CreateStadiumBody } from './stadiums.schemas.ts';

/** Stadium template use cases (E2-F3, E2-F5). */

export const stadiumView = (s: stadiumsRepo.StadiumRow, sectorCount: number) => ({
  id: s.id,
  name: s.name,
  city: s.city,
  country: s.country,
  address: s.address,
  type: s.type,
  base_capacity: s.base_capacity,
  is_numbered: s.is_numbered,
  latitude: s.latitude,
  longitude: s.longitude,
  sector_count: sectorCount,
  created_at: iso(s.created_at),
  updated_at: iso(s.updated_at),
});

export async function listStadiums(
  deps: VenuesDeps,
  query: { page: number; limit: number; type?: 'HOME' | 'AWAY' },
) {
  const { rows, total } = await stadiumsRepo.listStadiums(
    deps.db,
    { type: query.type },
    { offset: (query.page - 1) * query.limit, limit: query.limit },
  );
  return {
    items: rows.map((r) => stadiumView(r, r.sector_count)),
    page: query.page,
    limit: query.limit,
    total,
  };
}

export async function createStadium(deps: VenuesDeps, actor: Actor, body: CreateStadiumBody) {
  return transaction(deps, async (trx) => {
    const stadium = await stadiumsRepo.insertStadium(trx, {
      name: body.name,
      city: body.city,
      country: body.country,
      address: body.address ?? null,
      type: body.type,
      is_numbered: body.is_numbered,
      base_capacity: body.base_capacity,
      latitude: body.latitude ?? null,
      longitude: body.longitude ?? null,
    });
    await audit(
      deps,
      trx,
      actor,
      'stadium_created',
      { type: 'stadium', id: stadium.id },
      {
        after: body,
      },
    );
    return stadiumView(stadium, 0);
  });
}

export async function getStadium(deps: VenuesDeps, stadiumId: string) {
  const stadium = await loadStadium(deps.db, stadiumId);
  const sectors = await sectorsRepo.listSectors(deps.db, stadiumId);
  return { ...stadiumView(stadium, sectors.length), sectors: sectors.map(sectorView) };
}
