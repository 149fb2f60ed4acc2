import { AppError, notFound } from '../../platform/errors.ts';
import {
  audit,
  iso,
  isPgError,
  loadStadium,
  loadStadiumSector,
  PG_FOREIGN_KEY_VIOLATION,
  PG_UNIQUE_VIOLATION,
  transaction,
  type Actor,
  type VenuesDeps,
} from './venue-changes.ts';
import * as seatMapsRepo from './seat-maps.repo.ts';
import * as sectorsRepo from './sectors.repo.ts';
import * as stadiumsRepo from './stadiums.repo.ts';
import type { CreateSectorBody, UpdateSectorBody } from './sectors.schemas.ts';

/** Sector use cases of a stadium template (E2-F3). */

export const sectorView = (s: sectorsRepo.SectorRow) => ({
  id: s.id,
  stadium_id: s.stadium_id,
  name: s.name,
  code: s.code,
  capacity: s.capacity,
  sector_type: s.sector_type,
  has_seat_map: s.has_seat_map,
  seat_count: s.seat_count,
  created_at: iso(s.created_at),
});

function codeTaken(error: unknown, code: string): never {
  if (isPgError(error, PG_UNIQUE_VIOLATION, 'sectors_stadium_id_code_key')) {
    throw new AppError('SECTOR_CODE_TAKEN', `The stadium already has a sector with code ${code}`);
  }
  throw error;
}

export async function listSectors(deps: VenuesDeps, stadiumId: string) {
  await loadStadium(deps.db, stadiumId);
  return { items: (await sectorsRepo.listSectors(deps.db, stadiumId)).map(sectorView) };
}

export async function createSector(
  deps: VenuesDeps,
  actor: Actor,
  stadiumId: string,
  body: CreateSectorBody,
) {
  return transaction(deps, async (trx) => {
    await loadStadium(trx, stadiumId, true);
    // Uniqueness is the constraint's job (no read-then-write race): a duplicate fails here.
    const sector = await sectorsRepo
      .insertSector(trx, {
        stadium_id: stadiumId,
        name: body.name,
        code: body.code,
        capacity: body.capacity,
        sector_type: body.sector_type,
      })
      .catch((e: unknown) => codeTaken(e, body.code));
    await stadiumsRepo.syncBaseCapacity(trx, stadiumId);
    await audit(
      deps,
      trx,
      actor,
      'sector_created',
      { type: 'sector', id: sector.id },
      {
        stadium_id: stadiumId,
        after: body,
      },
    );
    return sectorView(sector);
  });
}

export async function getSector(deps: VenuesDeps, stadiumId: string, sectorId: string) {
  const sector = await sectorsRepo.findSector(deps.db, sectorId);
  if (!sector || sector.stadium_id !== stadiumId) throw notFound('Sector');
  const map = await seatMapsRepo.findSeatMap(deps.db, sectorId);
  return {
    ...sectorView(sector),
    seat_map: map
      ? {
          id: map.id,
          total_seats: map.total_seats,
          configuration_status: map.configuration_status,
          updated_at: iso(map.updated_at),
        }
      : null,
  };
}

export async function updateSector(
  deps: VenuesDeps,
  actor: Actor,
  stadiumId: string,
  sectorId: string,
  body: UpdateSectorBody,
) {
  return transaction(deps, async (trx) => {
    await loadStadium(trx, stadiumId, true);
    const before = await loadStadiumSector(trx, stadiumId, sectorId);
    const changes = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    const sector = await sectorsRepo
      .updateSector(trx, sectorId, changes)
      .catch((e: unknown) => codeTaken(e, body.code ?? ''));
    if (body.capacity !== undefined) await stadiumsRepo.syncBaseCapacity(trx, stadiumId);
    await audit(
      deps,
      trx,
      actor,
      'sector_updated',
      { type: 'sector', id: sectorId },
      {
        stadium_id: stadiumId,
        before: Object.fromEntries(
          Object.keys(changes).map((k) => [k, before[k as keyof sectorsRepo.SectorRow]]),
        ),
        after: changes,
      },
    );
    return sectorView(sector);
  });
}

/** Refused while the sector has a seat map or any match configuration uses it. */
export async function deleteSector(
  deps: VenuesDeps,
  actor: Actor,
  stadiumId: string,
  sectorId: string,
) {
  await transaction(deps, async (trx) => {
    await loadStadium(trx, stadiumId, true);
    const sector = await loadStadiumSector(trx, stadiumId, sectorId);
    if (sector.has_seat_map || (await seatMapsRepo.findSeatMap(trx, sectorId))) {
      throw new AppError('SECTOR_IN_USE', 'The sector has a seat map; delete the seat map first', {
        extra: { reason: 'HAS_SEAT_MAP' },
      });
    }
    const uses = await sectorsRepo.matchSectorUses(trx, sectorId);
    if (uses > 0) {
      throw new AppError('SECTOR_IN_USE', `The sector is used by ${uses} match configuration(s)`, {
        extra: { reason: 'USED_BY_MATCHES', matches: uses },
      });
    }
    // A match configuration created concurrently still fails safely on its foreign key.
    await sectorsRepo.deleteSector(trx, sectorId).catch((e: unknown) => {
      if (isPgError(e, PG_FOREIGN_KEY_VIOLATION)) {
        throw new AppError('SECTOR_IN_USE', 'The sector is used by a match configuration', {
          extra: { reason: 'USED_BY_MATCHES' },
        });
      }
      throw e;
    });
    await stadiumsRepo.syncBaseCapacity(trx, stadiumId);
    await audit(
      deps,
      trx,
      actor,
      'sector_deleted',
      { type: 'sector', id: sectorId },
      {
        stadium_id: stadiumId,
        before: sectorView(sector),
      },
    );
  });
}
