import type { AppDeps } from '../../deps.ts';
import { AppError, notFound, type FieldError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import * as bulkRepo from './bulk-status.repo.ts';
import type { BulkOperationOut, BulkStatusBody } from './bulk-status.schemas.ts';
import { invalidateSummary, type Actor, type InventoryDeps as Deps } from './inventory-changes.ts';
import * as repo from './inventory.repo.ts';
import { adminSourcesOf } from './seat-status.ts';

/**
 * Bulk status changes (E3-F3): accepted at once, run by a job in batches, with progress,
 * counts and skipped seats readable while it runs.
 */

export const BULK_STATUS_QUEUE = 'inventory.bulk-status';
export const DEFAULT_BULK_BATCH_SIZE = 500;
const SKIPPED_LISTED = 1000;

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
    const selection: bulkRepo.BulkSelection = {
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
      const found = new Set(await bulkRepo.selectedIds(trx, selection));
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
      total = await bulkRepo.countSelection(trx, selection);
    }
    const inserted = await bulkRepo.insertBulkOperation(trx, {
      ...selection,
      statusFilter: body.status_filter ? [...new Set(body.status_filter)] : null,
      toStatus: body.status,
      reason: body.reason.trim(),
      requestedBy: actor.userId,
      batchSize: options.batchSize ?? DEFAULT_BULK_BATCH_SIZE,
      totalCount: total,
      now,
    });
    const op = (await bulkRepo.findBulkOperation(trx, inserted.id))!;
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
  op: bulkRepo.BulkOperationRow,
  skips: Awaited<ReturnType<typeof bulkRepo.listBulkSkips>>,
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
  const op = await bulkRepo.findBulkOperation(deps.db, operationId);
  if (!op) throw notFound('Bulk operation');
  return toBulkOut(op, await bulkRepo.listBulkSkips(deps.db, operationId, SKIPPED_LISTED));
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
  const first = await bulkRepo.findBulkOperation(deps.db, operationId);
  if (!first) return null;
  if (first.status === 'COMPLETED' || first.status === 'FAILED')
    return getBulkOperation(deps, operationId);
  await bulkRepo.markBulkOperationRunning(deps.db, operationId, deps.clock.now());
  const allowedFrom = adminSourcesOf(first.to_status);

  for (;;) {
    const done = await deps.db.transaction().execute(async (trx) => {
      const op = await bulkRepo.findBulkOperation(trx, operationId, true);
      if (!op || op.status === 'COMPLETED' || op.status === 'FAILED') return true;
      const now = deps.clock.now();
      const outcomes = await bulkRepo.runBulkBatch(trx, {
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
      const count = (o: bulkRepo.BatchOutcome) => outcomes.filter((x) => x.outcome === o).length;
      const updatedIds = outcomes.filter((x) => x.outcome === 'UPDATED').map((x) => x.id);
      const delta = {
        processed: outcomes.length,
        updated: updatedIds.length,
        unchanged: count('UNCHANGED'),
        filtered: count('FILTERED'),
        skipped: count('HELD') + count('INVALID_TRANSITION'),
      };
      if (outcomes.length > 0) {
        await bulkRepo.advanceBulkOperation(trx, operationId, {
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
        await bulkRepo.finishBulkOperation(trx, operationId, { status: 'COMPLETED', now });
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
    bulkRepo.finishBulkOperation(trx, operationId, {
      status: 'FAILED',
      error: error.slice(0, 1000),
      now: deps.clock.now(),
    }),
  );
}
