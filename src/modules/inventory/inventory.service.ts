import type { AppDeps } from '../../deps.ts';
import { AppError, notFound, type FieldError } from '../../platform/errors.ts';
import { withTimeout } from '../../platform/redis.ts';
import { recordAudit } from '../audit/audit.service.ts';
import * as repo from './inventory.repo.ts';
import type {
  BulkOperationOut,
  BulkStatusBody,
  ChangeStatusBody,
  MatchSeatsQuery,
  SearchQuery,
  SeatOut,
  StatusSummaryOut,
  WarningOut,
} from './inventory.schemas.ts';
import { renderSeatMapSvg } from './seat-map-svg.ts';
import { adminSourcesOf, canTransition, SEAT_STATUS_COLORS, SEAT_STATUSES } from './seat-status.ts';

/** Who asks, and from where (for audit events). */
export interface Actor {
  userId: string;
  context?: Record<string, unknown>;
}

type Deps = Pick<AppDeps, 'db' | 'jobs' | 'clock' | 'redis' | 'logger'>;

export const BULK_STATUS_QUEUE = 'inventory.bulk-status';
export const DEFAULT_BULK_BATCH_SIZE = 500;
export const SUMMARY_CACHE_TTL_SECONDS = 30;
const SKIPPED_LISTED = 1000;
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

/** Per match, hash-tagged so every key of a match lives in one Redis Cluster slot. */
export const summaryCacheKey = (matchId: string) => `inventory:status-summary:{${matchId}}`;

/** Best effort: a Redis problem must not fail a status change that has committed. */
async function invalidateSummary(deps: Pick<AppDeps, 'redis' | 'logger'>, matchId: string) {
  try {
    await withTimeout(deps.redis.del(summaryCacheKey(matchId)), CACHE_TIMEOUT_MS);
  } catch (err) {
    deps.logger.warn({ err, matchId }, 'status summary cache invalidation failed');
  }
}

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

// E3-F3: bulk status -----------------------------------------------------------------------

/**
 * Accepts a bulk status change: checks the selection, records the operation and enqueues
 * its job in one transaction (the job runs only if the operation exists). The job changes
 * the seats in batches (runBulkOperation).
 */
export async function startBulkStatus(
  deps: Deps,
  body: BulkStatusBody,
  actor: Actor,
  options: { batchSize?: number } = {},
): Promise<BulkOperationOut> {
  const now = deps.clock.now();
  const errors: FieldError[] = [];
  const hasRange = body.from_row !== undefined || body.to_row !== undefined;
  if ((body.seat_ids === undefined) === (body.sector_id === undefined)) {
    errors.push({ field: 'body', message: 'give exactly one of seat_ids or sector_id' });
  }
  if (hasRange && (body.sector_id === undefined || !body.from_row || !body.to_row)) {
    errors.push({
      field: 'body.from_row',
      message: 'a row range needs sector_id, from_row and to_row',
    });
  }
  if (adminSourcesOf(body.status).length === 0) {
    throw new AppError(
      'INVALID_SEAT_TRANSITION',
      `Staff cannot set seats to ${body.status}; it belongs to another flow`,
      { extra: { to_status: body.status } },
    );
  }
  if (errors.length) throw new AppError('VALIDATION_FAILED', errors[0]!.message, { errors });

  const operation = await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.findMatch(trx, body.match_id))) throw notFound('Match');
    const selection: repo.BulkSelection = {
      matchId: body.match_id,
      seatIds: body.seat_ids ? [...new Set(body.seat_ids)] : null,
      matchSectorId: body.sector_id ?? null,
      fromRowIndex: null,
      toRowIndex: null,
    };
    if (body.sector_id) {
      const sector = await repo.findMatchSector(trx, body.match_id, body.sector_id);
      if (!sector) {
        throw new AppError('VALIDATION_FAILED', 'The sector is not part of this match', {
          errors: [{ field: 'body.sector_id', message: 'not a sector of this match' }],
        });
      }
      if (body.from_row && body.to_row) {
        const from = await repo.findRowIndex(trx, sector.sector_id, body.from_row);
        const to = await repo.findRowIndex(trx, sector.sector_id, body.to_row);
        const rowErrors: FieldError[] = [];
        if (from === null)
          rowErrors.push({ field: 'body.from_row', message: `no row ${body.from_row} in sector` });
        if (to === null)
          rowErrors.push({ field: 'body.to_row', message: `no row ${body.to_row} in sector` });
        if (rowErrors.length)
          throw new AppError('VALIDATION_FAILED', rowErrors[0]!.message, { errors: rowErrors });
        selection.fromRowIndex = Math.min(from!, to!);
        selection.toRowIndex = Math.max(from!, to!);
      }
    }
    let total: number;
    if (selection.seatIds) {
      const found = new Set(await repo.selectedIds(trx, selection));
      const missing = selection.seatIds.filter((s) => !found.has(s));
      if (missing.length) {
        throw new AppError(
          'VALIDATION_FAILED',
          `${missing.length} seat id(s) are not seats of this match`,
          {
            errors: missing.slice(0, 50).map((m) => ({
              field: `body.seat_ids.${body.seat_ids!.indexOf(m)}`,
              message: 'not a seat of this match',
            })),
          },
        );
      }
      total = found.size;
    } else {
      total = await repo.countSelection(trx, selection);
    }
    const inserted = await repo.insertBulkOperation(trx, {
      ...selection,
      statusFilter: body.status_filter ? [...new Set(body.status_filter)] : null,
      toStatus: body.status,
      reason: body.reason.trim(),
      requestedBy: actor.userId,
      batchSize: options.batchSize ?? DEFAULT_BULK_BATCH_SIZE,
      totalCount: total,
      now,
    });
    const op = (await repo.findBulkOperation(trx, inserted.id))!;
    await deps.jobs.enqueue(trx, BULK_STATUS_QUEUE, { operationId: op.id });
    await recordAudit(deps, trx, {
      domain: 'seat',
      action: 'seat_bulk_status_requested',
      actor: { type: 'user', id: actor.userId },
      subject: { type: 'seat_bulk_operation', id: op.id },
      changes: {
        match_id: body.match_id,
        to_status: body.status,
        status_filter: body.status_filter ?? null,
        selection: {
          seat_ids: selection.seatIds?.length ?? null,
          sector_id: selection.matchSectorId,
          from_row: body.from_row ?? null,
          to_row: body.to_row ?? null,
        },
        total,
        reason: body.reason.trim(),
      },
      context: actor.context,
    });
    return op;
  });
  return toBulkOut(operation, []);
}

function toBulkOut(
  op: repo.BulkOperationRow,
  skips: Awaited<ReturnType<typeof repo.listBulkSkips>>,
): BulkOperationOut {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    operation_id: op.id,
    match_id: op.match_id,
    status: op.status,
    to_status: op.to_status,
    status_filter: op.status_filter,
    reason: op.reason,
    selection: {
      seat_ids: op.seat_ids,
      sector_id: op.match_sector_id,
      from_row_index: op.from_row_index,
      to_row_index: op.to_row_index,
    },
    batch_size: op.batch_size,
    progress: {
      total: op.total_count,
      processed: op.processed_count,
      percent:
        op.total_count === 0
          ? op.status === 'COMPLETED'
            ? 100
            : 0
          : Math.round((op.processed_count / op.total_count) * 1000) / 10,
      batches_done: op.batches_done,
    },
    counts: {
      updated: op.updated_count,
      unchanged: op.unchanged_count,
      filtered: op.filtered_count,
      skipped: op.skipped_count,
    },
    skipped_seats: skips.map((k) => ({ ...k, held_until: iso(k.held_until) })),
    requested_by: op.requested_by,
    error: op.error,
    created_at: op.created_at.toISOString(),
    started_at: iso(op.started_at),
    finished_at: iso(op.finished_at),
  };
}

export async function getBulkOperation(deps: Pick<AppDeps, 'db'>, operationId: string) {
  const op = await repo.findBulkOperation(deps.db, operationId);
  if (!op) throw notFound('Bulk operation');
  return toBulkOut(op, await repo.listBulkSkips(deps.db, operationId, SKIPPED_LISTED));
}

/**
 * The job: one transaction per batch. Each batch first locks the operation row (a second
 * worker running the same job waits, then continues after the cursor), runs the batch
 * statement and advances the counters and cursor. A crash rolls back the open batch only;
 * the retried job resumes at the cursor. Returns the final state.
 */
export async function runBulkOperation(
  deps: Deps,
  operationId: string,
): Promise<BulkOperationOut | null> {
  const first = await repo.findBulkOperation(deps.db, operationId);
  if (!first) return null;
  if (first.status === 'COMPLETED' || first.status === 'FAILED')
    return getBulkOperation(deps, operationId);
  await repo.markBulkOperationRunning(deps.db, operationId, deps.clock.now());
  const allowedFrom = adminSourcesOf(first.to_status);

  for (;;) {
    const done = await deps.db.transaction().execute(async (trx) => {
      const op = await repo.findBulkOperation(trx, operationId, true);
      if (!op || op.status === 'COMPLETED' || op.status === 'FAILED') return true;
      const now = deps.clock.now();
      const outcomes = await repo.runBulkBatch(trx, {
        operationId,
        selection: {
          matchId: op.match_id,
          seatIds: op.seat_ids,
          matchSectorId: op.match_sector_id,
          fromRowIndex: op.from_row_index,
          toRowIndex: op.to_row_index,
        },
        cursorId: op.cursor_id,
        batchSize: op.batch_size,
        toStatus: op.to_status,
        allowedFrom,
        statusFilter: op.status_filter,
        reason: op.reason,
        by: op.requested_by,
        now,
      });
      const count = (o: repo.BatchOutcome) => outcomes.filter((x) => x.outcome === o).length;
      const updatedIds = outcomes.filter((x) => x.outcome === 'UPDATED').map((x) => x.id);
      const delta = {
        processed: outcomes.length,
        updated: updatedIds.length,
        unchanged: count('UNCHANGED'),
        filtered: count('FILTERED'),
        skipped: count('HELD') + count('INVALID_TRANSITION'),
      };
      if (outcomes.length > 0) {
        await repo.advanceBulkOperation(trx, operationId, {
          ...delta,
          cursorId: outcomes[outcomes.length - 1]!.id,
        });
      }
      if (updatedIds.length) {
        await recordAudit(deps, trx, {
          domain: 'seat',
          action: 'seat_status_bulk_changed',
          actor: { type: 'user', id: op.requested_by },
          subject: { type: 'seat_bulk_operation', id: operationId },
          changes: {
            match_id: op.match_id,
            to_status: op.to_status,
            reason: op.reason,
            batch: op.batches_done + 1,
            seat_ids: updatedIds,
          },
        });
      }
      // A short batch is the last one: the selection holds no rows after it.
      if (outcomes.length < op.batch_size) {
        await repo.finishBulkOperation(trx, operationId, { status: 'COMPLETED', now });
        await recordAudit(deps, trx, {
          domain: 'seat',
          action: 'seat_bulk_status_completed',
          actor: { type: 'system' },
          subject: { type: 'seat_bulk_operation', id: operationId },
          changes: {
            match_id: op.match_id,
            to_status: op.to_status,
            updated: op.updated_count + delta.updated,
            unchanged: op.unchanged_count + delta.unchanged,
            filtered: op.filtered_count + delta.filtered,
            skipped: op.skipped_count + delta.skipped,
          },
        });
        return true;
      }
      return false;
    });
    if (done) break;
    await invalidateSummary(deps, first.match_id);
  }
  await invalidateSummary(deps, first.match_id);
  return getBulkOperation(deps, operationId);
}

/** Marks an operation FAILED (the job gave up after its retries). */
export async function failBulkOperation(deps: Deps, operationId: string, error: string) {
  await deps.db.transaction().execute((trx) =>
    repo.finishBulkOperation(trx, operationId, {
      status: 'FAILED',
      error: error.slice(0, 1000),
      now: deps.clock.now(),
    }),
  );
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
