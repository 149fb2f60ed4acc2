import type { AppDeps } from '../../deps.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { withTimeout } from '../../platform/redis.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  invalidateSummary,
  summaryCacheKey,
  type Actor,
  type InventoryDeps,
} from './inventory-changes.ts';
import * as repo from './inventory.repo.ts';
import type {
  ChangeStatusBody,
  MatchSeatsQuery,
  SearchQuery,
  SeatOut,
  StatusSummaryOut,
  WarningOut,
} from './inventory.schemas.ts';
import { renderSeatMapSvg } from './seat-map-svg.ts';
import { canTransition, SEAT_STATUS_COLORS, SEAT_STATUSES } from './seat-status.ts';

export type { Actor } from './inventory-changes.ts';
// The bulk status use cases, also reachable from here (their tests import them so).
export { getBulkOperation, runBulkOperation, startBulkStatus } from './bulk-status.service.ts';
export { summaryCacheKey };

type Deps = InventoryDeps;

export const SUMMARY_CACHE_TTL_SECONDS = 30;
const CACHE_TIMEOUT_MS = 250;

// Mapping --------------------------------------------------------------------------------

function toSeatOut(row: repo.InventorySeatRow): SeatOut {
  return {
    id: row.id,
    match_id: row.match_id,
    seat_id: row.seat_id,
    match_sector_id: row.match_sector_id,
    sector_code: row.sector_code,
    sector_name: row.sector_name,
    row_identifier: row.row_identifier,
    seat_number: row.seat_number,
    seat_type: row.seat_type,
    status: row.status,
    color: SEAT_STATUS_COLORS[row.status],
    held: row.held,
    hold:
      row.held && row.hold_kind && row.hold_owner_id
        ? {
            kind: row.hold_kind,
            owner_id: row.hold_owner_id,
            held_until: row.held_until?.toISOString() ?? null,
          }
        : null,
    coordinates: { row_index: row.row_index, col_index: row.col_index },
    snake_order: row.snake_order,
    version: row.version,
    last_modified_by: row.last_modified_by,
    last_modified_at: row.last_modified_at.toISOString(),
  };
}

// Status summary cache ---------------------------------------------------------------------

// E3-F2: single status change ----------------------------------------------------------------

/**
 * Staff change of one seat's status. The transition is checked against the matrix (from the
 * status the seat shows: an expired hold counts as AVAILABLE) and written only if the row
 * is still at the version that was read, so a concurrent claim or change makes this answer
 * 409 instead of overwriting it.
 *
 * A seat held in a cart is changed anyway (a broken seat must not be sold) and the hold is
 * released; the response carries a SEAT_HELD_IN_CART warning and the cart's checkout will
 * find the seat gone. Holds owned by a quota, a petrol sale or a pending order (payment in
 * flight) are refused with 409 SEAT_HELD: their own flows release them.
 */
export async function changeSeatStatus(
  deps: Deps,
  inventoryId: string,
  body: ChangeStatusBody,
  actor: Actor,
) {
  const now = deps.clock.now();
  const result = await deps.db.transaction().execute(async (trx) => {
    const seat = await repo.findSeat(trx, inventoryId, now);
    if (!seat) throw notFound('Seat');
    if (body.version !== undefined && body.version !== seat.version) {
      throw new AppError(
        'SEAT_VERSION_CONFLICT',
        `The seat is at version ${seat.version}, not ${body.version}`,
        { extra: { current_version: seat.version } },
      );
    }
    const from = seat.status;
    const to = body.status;
    if (seat.held && seat.hold_kind !== 'CART') {
      throw new AppError(
        'SEAT_HELD',
        `The seat is held by a ${seat.hold_kind?.toLowerCase()} hold; release it through its own flow`,
        {
          extra: {
            hold_kind: seat.hold_kind,
            held_until: seat.held_until?.toISOString() ?? null,
          },
        },
      );
    }
    if (!canTransition(from, to)) {
      throw new AppError('INVALID_SEAT_TRANSITION', `A seat cannot go from ${from} to ${to}`, {
        extra: {
          from_status: from,
          to_status: to,
          allowed: SEAT_STATUSES.filter((s) => canTransition(from, s)),
        },
      });
    }
    const written = await repo.updateStatusIfVersion(trx, {
      id: seat.id,
      version: seat.version,
      to,
      by: actor.userId,
      now,
    });
    if (!written) {
      throw new AppError(
        'SEAT_VERSION_CONFLICT',
        'The seat changed while this request was processed; read it again and retry',
      );
    }
    const reason = body.reason.trim();
    await repo.insertSeatAuditLog(trx, {
      match_seat_inventory_id: seat.id,
      from_status: from,
      to_status: to,
      reason,
      changed_by: actor.userId,
      created_at: now,
    });
    const warnings: WarningOut[] = [];
    if (seat.held) {
      warnings.push({
        code: 'SEAT_HELD_IN_CART',
        message:
          'The seat was held in a cart; the hold was released and the cart can no longer buy this seat',
        hold: {
          kind: seat.hold_kind!,
          owner_id: seat.hold_owner_id!,
          held_until: seat.held_until?.toISOString() ?? null,
        },
      });
    }
    await recordAudit(deps, trx, {
      domain: 'seat',
      action: 'seat_status_changed',
      actor: { type: 'user', id: actor.userId },
      subject: { type: 'match_seat_inventory', id: seat.id },
      changes: {
        match_id: seat.match_id,
        sector_code: seat.sector_code,
        row_identifier: seat.row_identifier,
        seat_number: seat.seat_number,
        from_status: from,
        to_status: to,
        reason,
        released_hold: seat.held
          ? { kind: seat.hold_kind, owner_id: seat.hold_owner_id }
          : undefined,
      },
      context: actor.context,
    });
    const updated = await repo.findSeat(trx, seat.id, now);
    return { seat: toSeatOut(updated!), from_status: from, to_status: to, warnings };
  });
  await invalidateSummary(deps, result.seat.match_id);
  return result;
}

// E3-F4: search ----------------------------------------------------------------------------

export async function searchSeats(deps: Pick<AppDeps, 'db' | 'clock'>, q: SearchQuery) {
  const filters: repo.SearchFilters = {
    matchId: q.match_id,
    matchSectorId: q.sector_id,
    rowIdentifier: q.row,
    seatNumber: q.seat_number,
    statuses: q.status,
    modifiedFrom: q.modified_from ? new Date(q.modified_from) : undefined,
    modifiedTo: q.modified_to ? new Date(q.modified_to) : undefined,
    email: q.email?.toLowerCase(),
    quotaId: q.quota_id,
  };
  const given = Object.values(filters).filter((v) => v !== undefined).length;
  if (given === 0) {
    throw new AppError('VALIDATION_FAILED', 'Give at least one search filter', {
      errors: [{ field: 'query', message: 'at least one filter is required' }],
    });
  }
  const { items, total } = await repo.searchSeats(
    deps.db,
    filters,
    { page: q.page, limit: q.limit },
    deps.clock.now(),
  );
  return {
    items: items.map((r) => ({
      ...toSeatOut(r),
      match: {
        home_team: r.home_team,
        away_team: r.away_team,
        kick_off_time: r.kick_off_time.toISOString(),
      },
      quota_id: r.quota_id,
      quota_seat_status: r.quota_seat_status,
      ticket:
        r.ticket_id && r.order_id && r.order_number && r.purchaser_email
          ? {
              ticket_id: r.ticket_id,
              ticket_status: r.ticket_status!,
              order_id: r.order_id,
              order_number: r.order_number,
              holder_full_name: r.holder_full_name,
              holder_email: r.holder_email,
              purchaser_email: r.purchaser_email,
            }
          : null,
    })),
    page: q.page,
    limit: q.limit,
    total,
  };
}

// E3-F5: visualization ---------------------------------------------------------------------

export async function listMatchSeats(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  matchId: string,
  q: MatchSeatsQuery,
) {
  if (!(await repo.findMatch(deps.db, matchId))) throw notFound('Match');
  const { items, total } = await repo.listSeats(
    deps.db,
    { matchId, matchSectorId: q.sector_id, rowIdentifier: q.row, statuses: q.status },
    { page: q.page, limit: q.limit },
    deps.clock.now(),
  );
  return { items: items.map(toSeatOut), page: q.page, limit: q.limit, total };
}

/** Summaries being computed in this process, by match: concurrent cache misses share one. */
const summariesInFlight = new Map<string, Promise<StatusSummaryOut>>();

/**
 * Per-sector status counts of a match (one SQL statement), cached in Redis for 30 s under
 * `inventory:status-summary:{matchId}`. Staff status changes delete the key when they
 * commit; holds and sales do not, so counts can lag those by up to 30 s. Concurrent misses
 * in one process share a single computation. Redis trouble degrades to an uncached answer.
 */
export async function statusSummary(
  deps: Pick<AppDeps, 'db' | 'clock' | 'redis' | 'logger'>,
  matchId: string,
): Promise<StatusSummaryOut> {
  const key = summaryCacheKey(matchId);
  try {
    const cached = await withTimeout(deps.redis.get(key), CACHE_TIMEOUT_MS);
    if (cached) return { ...(JSON.parse(cached) as StatusSummaryOut), cached: true };
  } catch (err) {
    deps.logger.warn({ err, matchId }, 'status summary cache read failed');
  }
  let pending = summariesInFlight.get(matchId);
  if (!pending) {
    pending = computeSummary(deps, matchId, key).finally(() => summariesInFlight.delete(matchId));
    summariesInFlight.set(matchId, pending);
  }
  return pending;
}

async function computeSummary(
  deps: Pick<AppDeps, 'db' | 'clock' | 'redis' | 'logger'>,
  matchId: string,
  key: string,
): Promise<StatusSummaryOut> {
  if (!(await repo.findMatch(deps.db, matchId))) throw notFound('Match');
  const now = deps.clock.now();
  const rows = await repo.sectorStatusSummary(deps.db, matchId, now);
  const summary: StatusSummaryOut = {
    match_id: matchId,
    generated_at: now.toISOString(),
    cached: false,
    colors: { ...SEAT_STATUS_COLORS },
    sectors: rows.map((r) => ({
      match_sector_id: r.match_sector_id,
      code: r.code,
      name: r.name,
      total_capacity: r.total_capacity,
      seat_count: r.seat_count,
      status_counts: r.counts,
      dominant_status: r.dominant_status,
    })),
  };
  try {
    await withTimeout(
      deps.redis.set(key, JSON.stringify(summary), 'EX', SUMMARY_CACHE_TTL_SECONDS),
      CACHE_TIMEOUT_MS,
    );
  } catch (err) {
    deps.logger.warn({ err, matchId }, 'status summary cache write failed');
  }
  return summary;
}

export async function sectorSeatMapSvg(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  matchId: string,
  matchSectorId: string,
): Promise<string> {
  const match = await repo.findMatch(deps.db, matchId);
  if (!match) throw notFound('Match');
  const sector = await repo.findMatchSector(deps.db, matchId, matchSectorId);
  if (!sector) throw notFound('Sector');
  const now = deps.clock.now();
  const seats = await repo.sectorSeatsForMap(deps.db, matchSectorId, now);
  return renderSeatMapSvg({
    title: `${match.home_team} – ${match.away_team} · Sector ${sector.code} (${sector.name})`,
    subtitle: `${seats.length} seats · status at ${now.toISOString()}`,
    seats,
  });
}
