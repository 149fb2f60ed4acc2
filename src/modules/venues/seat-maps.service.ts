import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import {
  audit,
  iso,
  isPgError,
  loadSector,
  PG_FOREIGN_KEY_VIOLATION,
  transaction,
  type Actor,
  type VenuesDeps,
} from './venue-changes.ts';
import * as seatMapsRepo from './seat-maps.repo.ts';
import {
  generateSeats,
  validateSeatMap,
  type GeneratedSeat,
  type SeatMap,
  type SeatType,
} from './seat-map.ts';
import type { ClassifySeatsBody } from './seat-maps.schemas.ts';

/** Seat map, seat generation and seat classification use cases (E2-F10). */

const seatMapView = (m: seatMapsRepo.SeatMapRow, seatsGenerated: number) => ({
  id: m.id,
  sector_id: m.sector_id,
  // validated before it was stored (seat-map.ts), so it has the documented shape
  seat_map_json: m.seat_map_json as unknown as SeatMap,
  total_seats: m.total_seats,
  configuration_status: m.configuration_status,
  seats_generated: seatsGenerated,
  created_at: iso(m.created_at),
  updated_at: iso(m.updated_at),
});

const seatView = (s: seatMapsRepo.SeatRow) => ({
  id: s.id,
  sector_id: s.sector_id,
  row_identifier: s.row_identifier,
  seat_number: s.seat_number,
  seat_type: s.seat_type,
  row_index: s.row_index,
  col_index: s.col_index,
});

function parseSeatMap(input: unknown) {
  const result = validateSeatMap(input, 'body.seat_map_json');
  if (!result.ok) {
    throw new AppError('SEAT_MAP_INVALID', `${result.errors.length} problem(s) in the seat map`, {
      errors: result.errors,
    });
  }
  return result.value;
}

export async function getSeatMap(deps: VenuesDeps, sectorId: string) {
  await loadSector(deps.db, sectorId);
  const map = await seatMapsRepo.findSeatMap(deps.db, sectorId);
  if (!map) throw notFound('Seat map');
  return seatMapView(map, await seatMapsRepo.countSeats(deps.db, sectorId));
}

export async function createSeatMap(
  deps: VenuesDeps,
  actor: Actor,
  sectorId: string,
  json: unknown,
) {
  const map = parseSeatMap(json);
  return transaction(deps, async (trx) => {
    await loadSector(trx, sectorId, true);
    if (await seatMapsRepo.findSeatMap(trx, sectorId)) {
      throw new AppError('SEAT_MAP_EXISTS', 'Use PUT to change the existing seat map');
    }
    const row = await seatMapsRepo.insertSeatMap(trx, {
      sector_id: sectorId,
      seat_map_json: map,
      total_seats: map.seats.length,
    });
    await seatMapsRepo.setSectorSeatFacts(trx, sectorId, { has_seat_map: true });
    await audit(
      deps,
      trx,
      actor,
      'seat_map_created',
      { type: 'sector', id: sectorId },
      {
        total_seats: row.total_seats,
      },
    );
    return seatMapView(row, await seatMapsRepo.countSeats(trx, sectorId));
  });
}

/**
 * Replaces the map. Seats already generated stay as they are (tickets may reference them)
 * and the map returns to DRAFT until seats are regenerated from it.
 */
export async function updateSeatMap(
  deps: VenuesDeps,
  actor: Actor,
  sectorId: string,
  json: unknown,
) {
  const map = parseSeatMap(json);
  return transaction(deps, async (trx) => {
    await loadSector(trx, sectorId, true);
    const before = await seatMapsRepo.findSeatMap(trx, sectorId);
    if (!before) throw notFound('Seat map');
    const row = await seatMapsRepo.updateSeatMap(trx, sectorId, {
      seat_map_json: map,
      total_seats: map.seats.length,
    });
    await audit(
      deps,
      trx,
      actor,
      'seat_map_updated',
      { type: 'sector', id: sectorId },
      {
        total_seats: { before: before.total_seats, after: row.total_seats },
      },
    );
    return seatMapView(row, await seatMapsRepo.countSeats(trx, sectorId));
  });
}

/** Only while no seats exist for the sector: they were generated from this map. */
export async function deleteSeatMap(deps: VenuesDeps, actor: Actor, sectorId: string) {
  await transaction(deps, async (trx) => {
    await loadSector(trx, sectorId, true);
    if (!(await seatMapsRepo.findSeatMap(trx, sectorId))) throw notFound('Seat map');
    const seats = await seatMapsRepo.countSeats(trx, sectorId);
    if (seats > 0) {
      throw new AppError(
        'SEATS_ALREADY_GENERATED',
        `${seats} seats were generated from this map; the seat map cannot be deleted`,
        { extra: { seat_count: seats } },
      );
    }
    await seatMapsRepo.deleteSeatMap(trx, sectorId);
    await seatMapsRepo.setSectorSeatFacts(trx, sectorId, { has_seat_map: false, seat_count: 0 });
    await audit(deps, trx, actor, 'seat_map_deleted', { type: 'sector', id: sectorId });
  });
}

/**
 * Why the sector's seats may not be deleted (force_regenerate): SEATS_HAVE_TICKETS when a
 * seat is SOLD in some match or belongs to a match whose configuration is LOCKED (sales
 * can start or have started: its inventory is live); SEATS_IN_USE when only inventories of
 * unlocked configurations reference them (unlocking keeps them until the match module
 * relocks or removes them).
 */
async function assertSeatsReplaceable(trx: Executor, sectorId: string) {
  const use = await seatMapsRepo.seatInventoryUse(trx, sectorId);
  if (use.on_sale > 0) {
    throw new AppError(
      'SEATS_HAVE_TICKETS',
      `${use.on_sale} inventory row(s) of these seats are sold or in a locked match configuration`,
      { extra: { inventory_rows: use.on_sale } },
    );
  }
  if (use.referenced > 0) {
    throw new AppError(
      'SEATS_IN_USE',
      `${use.referenced} match inventory row(s) reference these seats`,
      { extra: { inventory_rows: use.referenced } },
    );
  }
}

export async function generateSectorSeats(
  deps: VenuesDeps,
  actor: Actor,
  sectorId: string,
  options: { preview: boolean; force_regenerate: boolean },
) {
  const work = async (trx: Executor) => {
    await loadSector(trx, sectorId, !options.preview);
    const stored = await seatMapsRepo.findSeatMap(trx, sectorId);
    if (!stored) throw notFound('Seat map');
    // Stored maps were validated on save; re-validating keeps a hand-edited row from
    // producing nonsense seats.
    const generated: GeneratedSeat[] = generateSeats(parseSeatMap(stored.seat_map_json));
    if (options.preview) {
      return {
        sector_id: sectorId,
        preview: true,
        total: generated.length,
        deleted: 0,
        seats: generated,
      };
    }
    const existing = await seatMapsRepo.countSeats(trx, sectorId);
    let deleted = 0;
    if (existing > 0) {
      if (!options.force_regenerate) {
        throw new AppError(
          'SEATS_ALREADY_GENERATED',
          `The sector has ${existing} seats; use force_regenerate=true to replace them`,
          { extra: { seat_count: existing } },
        );
      }
      await assertSeatsReplaceable(trx, sectorId);
      // A match configuration locked between the check and the delete still cannot lose
      // its seats: the inventory's foreign key refuses the delete.
      deleted = await seatMapsRepo.deleteSeats(trx, sectorId).catch((e: unknown) => {
        if (isPgError(e, PG_FOREIGN_KEY_VIOLATION)) {
          throw new AppError('SEATS_IN_USE', 'A match inventory now references these seats');
        }
        throw e;
      });
    }
    const seats = await seatMapsRepo.insertSeats(trx, sectorId, generated);
    await seatMapsRepo.setSectorSeatFacts(trx, sectorId, {
      has_seat_map: true,
      seat_count: seats.length,
    });
    await seatMapsRepo.setSeatMapStatus(trx, sectorId, 'GENERATED');
    await audit(
      deps,
      trx,
      actor,
      'seats_generated',
      { type: 'sector', id: sectorId },
      {
        created: seats.length,
        deleted,
      },
    );
    return {
      sector_id: sectorId,
      preview: false,
      total: seats.length,
      deleted,
      seats: seats.map(seatView),
    };
  };
  return options.preview ? work(deps.db) : transaction(deps, work);
}

/**
 * Sets the type of many seats of a sector at once. Template data only: a match's own
 * inventory (already locked) keeps the statuses it was given.
 */
export async function classifySeats(
  deps: VenuesDeps,
  actor: Actor,
  sectorId: string,
  body: ClassifySeatsBody,
) {
  return transaction(deps, async (trx) => {
    await loadSector(trx, sectorId, true);
    let updated: number;
    if (body.seat_ids) {
      const ids = [...new Set(body.seat_ids)];
      const outside = await seatMapsRepo.seatIdsOutsideSector(trx, sectorId, ids);
      if (outside.length > 0) {
        throw new AppError(
          'UNPROCESSABLE',
          `${outside.length} seat id(s) are not seats of this sector`,
          {
            errors: outside.map((id) => ({
              field: `body.seat_ids.${body.seat_ids!.indexOf(id)}`,
              message: `${id} is not a seat of this sector`,
            })),
          },
        );
      }
      updated = await seatMapsRepo.classifySeats(trx, sectorId, body.seat_type, { seat_ids: ids });
    } else {
      const r = body.row_range!;
      updated = await seatMapsRepo.classifySeats(trx, sectorId, body.seat_type, {
        rows: [r.from_row_index, r.to_row_index],
        cols: [r.from_col_index, r.to_col_index],
      });
    }
    await audit(
      deps,
      trx,
      actor,
      'seats_classified',
      { type: 'sector', id: sectorId },
      {
        seat_type: body.seat_type,
        updated,
        ...(body.row_range ? { row_range: body.row_range } : { seat_ids: body.seat_ids!.length }),
      },
    );
    return { sector_id: sectorId, seat_type: body.seat_type, updated };
  });
}

export async function setSeatType(deps: VenuesDeps, actor: Actor, seatId: string, type: SeatType) {
  return transaction(deps, async (trx) => {
    const seat = await seatMapsRepo.findSeat(trx, seatId);
    if (!seat) throw notFound('Seat');
    await loadSector(trx, seat.sector_id, true);
    const updated = await seatMapsRepo.updateSeatType(trx, seatId, type);
    if (!updated) throw notFound('Seat');
    await audit(
      deps,
      trx,
      actor,
      'seat_type_changed',
      { type: 'seat', id: seatId },
      {
        sector_id: seat.sector_id,
        before: seat.seat_type,
        after: type,
      },
    );
    return seatView(updated);
  });
}
