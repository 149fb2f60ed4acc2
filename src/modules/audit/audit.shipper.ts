import { setTimeout as sleep } from 'node:timers/promises';
import type { AppDeps } from '../../deps.ts';
import { createAuditSink, type AuditSink } from './audit.loki.ts';
import { deleteAuditEvents, lockOldestAuditEvents } from './audit.repo.ts';

/** Events per Loki push; a full batch means a backlog, so the next one follows at once. */
export const AUDIT_SHIP_BATCH = 500;

export interface AuditShipperOptions {
  /** Pause after the outbox was found (nearly) empty. */
  pollMs?: number;
  /** First pause after a failed push; doubles per failure up to retryDelayMaxMs. */
  retryDelayMs?: number;
  retryDelayMaxMs?: number;
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
): { stop(): Promise<void> } {
  const { pollMs = 500, retryDelayMs = 1_000, retryDelayMaxMs = 300_000 } = options;
  const sink = options.sink ?? createAuditSink(deps);
  const stopping = new AbortController();
  const pause = (ms: number) =>
    sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);

  const loop = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        const shipped = await shipAuditBatch(deps, sink);
        failures = 0;
        if (shipped < AUDIT_SHIP_BATCH) await pause(pollMs);
      } catch (err) {
        failures += 1;
        const delay = Math.min(retryDelayMs * 2 ** (failures - 1), retryDelayMaxMs);
        deps.logger.warn({ err, failures, retryInMs: delay }, 'audit shipping failed; retrying');
        await pause(delay);
      }
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
