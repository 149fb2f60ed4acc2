import type { AppDeps } from '../../deps.ts';
import {
  startBatchLoop,
  type BatchLoop,
  type BatchLoopOptions,
} from '../../platform/batch-loop.ts';
import { createAuditSink, type AuditSink } from './audit.loki.ts';
import { deleteAuditEvents, lockOldestAuditEvents } from './audit.repo.ts';

/** Events per Loki push; a full batch means a backlog, so the next one follows at once. */
export const AUDIT_SHIP_BATCH = 500;

export interface AuditShipperOptions extends BatchLoopOptions {
  sink?: AuditSink;
}

/**
 * Ships one batch: locks the oldest events nobody else is shipping, pushes them to Loki
 * and deletes them, all in one transaction. A failed push rolls back, so the events stay
 * for the next attempt; a process dying mid-push leaves them too. An event re-sent after
 * such a death is byte-identical (toLokiEntry), so Loki keeps it once. Returns how many
 * events were shipped.
 */
export async function shipAuditBatch(
  deps: Pick<AppDeps, 'db'>,
  sink: AuditSink,
  limit = AUDIT_SHIP_BATCH,
): Promise<number> {
  return deps.db.transaction().execute(async (trx) => {
    const rows = await lockOldestAuditEvents(trx, limit);
    if (rows.length === 0) return 0;
    await sink(rows.map((r) => r.event));
    await deleteAuditEvents(
      trx,
      rows.map((r) => r.id),
    );
    return rows.length;
  });
}

/**
 * Drains the audit outbox for as long as the process runs. Every worker process runs one;
 * SKIP LOCKED gives each its own events, so more workers ship more. Loki down: the loop
 * backs off exponentially (1 s doubling to 5 min by default) and events wait in the table,
 * nothing is lost. `stop()` lets the batch in flight finish.
 */
export function startAuditShipper(
  deps: Pick<AppDeps, 'db' | 'config' | 'logger'>,
  options: AuditShipperOptions = {},
): BatchLoop {
  const { sink = createAuditSink(deps), ...loop } = options;
  return startBatchLoop(
    'audit shipping',
    deps.logger,
    AUDIT_SHIP_BATCH,
    () => shipAuditBatch(deps, sink),
    { retryDelayMaxMs: 300_000, ...loop },
  );
}
