import type { AppDeps } from '../../deps.ts';
import type { Executor, Tx } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  generateSeats,
  validateSeatMap,
  type GeneratedSeat,
  type SeatMap,
  type SeatType,
} from './seat-map.ts';
import type { SnakeConfig } from './snake.ts';
import * as repo from './venues.repo.ts';
import type {
  ClassifySeatsBody,
  CreateSectorBody,
  CreateStadiumBody,
  UpdateSectorBody,
} from './venues.schemas.ts';

/**
 * Venue use cases (E2-F3, E2-F5, E2-F10). Each exported function is one transaction and
 * records an audit event (domain `stadium`) for every change. Changes to one sector's seat
 * map, seats and flags are serialised by locking the sector row first; sector changes of a
 * stadium lock the stadium row (base_capacity is derived from all its sectors).
 */
export type VenuesDeps = Pick<AppDeps, 'db' | 'jobs' | 'clock'>;

/** Who is acting, for the audit trail. */
export interface Actor {
  userId: string | null;
  context?: Record<string, unknown>;
}

const transaction = <T>(deps: VenuesDeps, work: (trx: Tx) => Promise<T>) =>
  deps.db.transaction().execute(work);

async function audit(
  deps: VenuesDeps,
  trx: Executor,
  actor: Actor,
  action: string,
  subject: { type: string; id: string },
  changes?: Record<string, unknown>,
) {
  await recordAudit(deps, trx, {
    domain: 'stadium',
    action,
    actor: actor.userId ? { type: 'user', id: actor.userId } : { type: 'system' },
    subject,
    changes,
    context: actor.context,
  });
}

// Mapping rows to API shapes -------------------------------------------------------------

const iso = (d: Date) => d.toISOString();

export const stadiumView = (s: repo.StadiumRow, sectorCount: number) => ({
  id: s.id,
  name: s.name,
  city: s.city,
  country: s.country,
  address: s.address,
  type: s.type,
  base_capacity: s.base_capacity,
  is_numbered: s.is_numbered,
  sector_count: sectorCount,
  created_at: iso(s.created_at),
  updated_at: iso(s.updated_at),
});

export const sectorView = (s: repo.SectorRow) => ({
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

const seatMapView = (m: repo.SeatMapRow, seatsGenerated: number) => ({
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

const seatView = (s: repo.SeatRow) => ({
  id: s.id,
  sector_id: s.sector_id,
  row_identifier: s.row_identifier,
  seat_number: s.seat_number,
  seat_type: s.seat_type,
  row_index: s.row_index,
  col_index: s.col_index,
});

const snakeView = (sectorId: string, row: repo.SnakeConfigRow | undefined) => ({
  sector_id: sectorId,
  ...repo.snakeConfigOf(row),
  is_default: !row,
  updated_at: row ? iso(row.updated_at) : null,
});

async function loadStadium(trx: Executor, id: string, lock = false) {
  const stadium = await repo.findStadium(trx, id, { lock });
  if (!stadium) throw notFound('Stadium');
  return stadium;
}

async function loadSector(trx: Executor, id: string, lock = false) {
  const sector = await repo.findSector(trx, id, { lock });
  if (!sector) throw notFound('Sector');
  return sector;
}

/** A sector of the given stadium (404 for a sector of another stadium: ids do not mix). */
async function loadStadiumSector(trx: Executor, stadiumId: string, sectorId: string) {
  const sector = await repo.findSector(trx, sectorId, { lock: true });
  if (!sector || sector.stadium_id !== stadiumId) throw notFound('Sector');
  return sector;
}

function codeTaken(error: unknown, code: string): never {
  if (repo.isPgError(error, repo.PG_UNIQUE_VIOLATION, 'sectors_stadium_id_code_key')) {
    throw new AppError('SECTOR_CODE_TAKEN', `The stadium already has a sector with code ${code}`);
  }
  throw error;
}

// Stadiums ---------------------------------------------------------------------------------

export async function listStadiums(
  deps: VenuesDeps,
  query: { page: number; limit: number; type?: 'HOME' | 'AWAY' },
) {
  const { rows, total } = await repo.listStadiums(
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
    const stadium = await repo.insertStadium(trx, {
      name: body.name,
      city: body.city,
      country: body.country,
      address: body.address ?? null,
      type: body.type,
      is_numbered: body.is_numbered,
      base_capacity: body.base_capacity,
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
  const sectors = await repo.listSectors(deps.db, stadiumId);
  return { ...stadiumView(stadium, sectors.length), sectors: sectors.map(sectorView) };
}

// Sectors ----------------------------------------------------------------------------------

export async function listSectors(deps: VenuesDeps, stadiumId: string) {
  await loadStadium(deps.db, stadiumId);
  return { items: (await repo.listSectors(deps.db, stadiumId)).map(sectorView) };
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
    const sector = await repo
      .insertSector(trx, {
        stadium_id: stadiumId,
        name: body.name,
        code: body.code,
        capacity: body.capacity,
        sector_type: body.sector_type,
      })
      .catch((e: unknown) => codeTaken(e, body.code));
    await repo.syncBaseCapacity(trx, stadiumId);
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
  const sector = await repo.findSector(deps.db, sectorId);
  if (!sector || sector.stadium_id !== stadiumId) throw notFound('Sector');
  const map = await repo.findSeatMap(deps.db, sectorId);
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
    const sector = await repo
      .updateSector(trx, sectorId, changes)
      .catch((e: unknown) => codeTaken(e, body.code ?? ''));
    if (body.capacity !== undefined) await repo.syncBaseCapacity(trx, stadiumId);
    await audit(
      deps,
      trx,
      actor,
      'sector_updated',
      { type: 'sector', id: sectorId },
      {
        stadium_id: stadiumId,
        before: Object.fromEntries(
          Object.keys(changes).map((k) => [k, before[k as keyof repo.SectorRow]]),
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
    if (sector.has_seat_map || (await repo.findSeatMap(trx, sectorId))) {
      throw new AppError('SECTOR_IN_USE', 'The sector has a seat map; delete the seat map first', {
        extra: { reason: 'HAS_SEAT_MAP' },
      });
    }
    const uses = await repo.matchSectorUses(trx, sectorId);
    if (uses > 0) {
      throw new AppError('SECTOR_IN_USE', `The sector is used by ${uses} match configuration(s)`, {
        extra: { reason: 'USED_BY_MATCHES', matches: uses },
      });
    }
    // A match configuration created concurrently still fails safely on its foreign key.
    await repo.deleteSector(trx, sectorId).catch((e: unknown) => {
      if (repo.isPgError(e, repo.PG_FOREIGN_KEY_VIOLATION)) {
        throw new AppError('SECTOR_IN_USE', 'The sector is used by a match configuration', {
          extra: { reason: 'USED_BY_MATCHES' },
        });
      }
      throw e;
    });
    await repo.syncBaseCapacity(trx, stadiumId);
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

// Seat maps --------------------------------------------------------------------------------

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
  const map = await repo.findSeatMap(deps.db, sectorId);
  if (!map) throw notFound('Seat map');
  return seatMapView(map, await repo.countSeats(deps.db, sectorId));
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
    if (await repo.findSeatMap(trx, sectorId)) {
      throw new AppError('SEAT_MAP_EXISTS', 'Use PUT to change the existing seat map');
    }
    const row = await repo.insertSeatMap(trx, {
      sector_id: sectorId,
      seat_map_json: map,
      total_seats: map.seats.length,
    });
    await repo.setSectorSeatFacts(trx, sectorId, { has_seat_map: true });
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
    return seatMapView(row, await repo.countSeats(trx, sectorId));
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
    const before = await repo.findSeatMap(trx, sectorId);
    if (!before) throw notFound('Seat map');
    const row = await repo.updateSeatMap(trx, sectorId, {
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
    return seatMapView(row, await repo.countSeats(trx, sectorId));
  });
}

/** Only while no seats exist for the sector: they were generated from this map. */
export async function deleteSeatMap(deps: VenuesDeps, actor: Actor, sectorId: string) {
  await transaction(deps, async (trx) => {
    await loadSector(trx, sectorId, true);
    if (!(await repo.findSeatMap(trx, sectorId))) throw notFound('Seat map');
    const seats = await repo.countSeats(trx, sectorId);
    if (seats > 0) {
      throw new AppError(
        'SEATS_ALREADY_GENERATED',
        `${seats} seats were generated from this map; the seat map cannot be deleted`,
        { extra: { seat_count: seats } },
      );
    }
    await repo.deleteSeatMap(trx, sectorId);
    await repo.setSectorSeatFacts(trx, sectorId, { has_seat_map: false, seat_count: 0 });
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
  const use = await repo.seatInventoryUse(trx, sectorId);
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
    const stored = await repo.findSeatMap(trx, sectorId);
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
    const existing = await repo.countSeats(trx, sectorId);
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
      deleted = await repo.deleteSeats(trx, sectorId).catch((e: unknown) => {
        if (repo.isPgError(e, repo.PG_FOREIGN_KEY_VIOLATION)) {
          throw new AppError('SEATS_IN_USE', 'A match inventory now references these seats');
        }
        throw e;
      });
    }
    const seats = await repo.insertSeats(trx, sectorId, generated);
    await repo.setSectorSeatFacts(trx, sectorId, { has_seat_map: true, seat_count: seats.length });
    await repo.setSeatMapStatus(trx, sectorId, 'GENERATED');
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
      const outside = await repo.seatIdsOutsideSector(trx, sectorId, ids);
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
      updated = await repo.classifySeats(trx, sectorId, body.seat_type, { seat_ids: ids });
    } else {
      const r = body.row_range!;
      updated = await repo.classifySeats(trx, sectorId, body.seat_type, {
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
    const seat = await repo.findSeat(trx, seatId);
    if (!seat) throw notFound('Seat');
    await loadSector(trx, seat.sector_id, true);
    const updated = await repo.updateSeatType(trx, seatId, type);
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

// Snake configuration ----------------------------------------------------------------------

export async function getSnakeConfig(deps: VenuesDeps, sectorId: string) {
  await loadSector(deps.db, sectorId);
  return snakeView(sectorId, await repo.findSnakeConfig(deps.db, sectorId));
}

export async function putSnakeConfig(
  deps: VenuesDeps,
  actor: Actor,
  sectorId: string,
  config: SnakeConfig,
) {
  return transaction(deps, async (trx) => {
    await loadSector(trx, sectorId, true);
    // A best row outside the drawn map would silently start elsewhere: refuse it.
    const map = await repo.findSeatMap(trx, sectorId);
    const rows = (map?.seat_map_json as { dimensions?: { rows?: number } } | undefined)?.dimensions
      ?.rows;
    if (rows !== undefined && config.best_row_index >= rows) {
      throw new AppError('UNPROCESSABLE', 'best_row_index is outside the seat map', {
        errors: [
          {
            field: 'body.best_row_index',
            message: `the seat map has ${rows} rows (indexes 0..${rows - 1})`,
          },
        ],
      });
    }
    const before = await repo.findSnakeConfig(trx, sectorId);
    const row = await repo.upsertSnakeConfig(trx, sectorId, config);
    await audit(
      deps,
      trx,
      actor,
      'snake_config_updated',
      { type: 'sector', id: sectorId },
      {
        before: before ? repo.snakeConfigOf(before) : null,
        after: config,
      },
    );
    return snakeView(sectorId, row);
  });
}
