import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { createAuditSink, type AuditSink } from './audit.loki.ts';
import { AUDIT_QUEUE, type RecordedAuditEvent } from './audit.service.ts';
import { AUDIT_SHIP_BATCH } from './audit.shipper.ts';
import { maskPii } from './pii.ts';

interface Pending {
  event: RecordedAuditEvent;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces the handler calls of one fetched batch into one push. pg-boss calls the
 * handlers of a batch synchronously one after another (Promise.all in jobs.ts), so every
 * event of the batch is pending when the flush scheduled by the first one runs. Each job
 * still settles on its own: all resolve when the sink accepted the push, all reject (and
 * are retried with backoff by pg-boss) when it did not.
 */
function createBatcher(sink: AuditSink) {
  let pending: Pending[] = [];
  let scheduled = false;

  const flush = async () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    try {
      await sink(batch.map((p) => p.event));
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  };

  return (event: RecordedAuditEvent) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ event, resolve, reject });
      if (pending.length >= AUDIT_SHIP_BATCH) void flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(() => void flush());
      }
    });
}

/**
 * The drain of the pg-boss queue audit events used before the audit outbox table
 * (audit.shipper.ts ships that one). Processes of the previous release keep enqueueing here
 * until a rolling deploy replaces them, so the queue is drained the old way, to the same sink.
 */
export const auditJobs = (deps: AppDeps) => {
  let ship: ((event: RecordedAuditEvent) => Promise<void>) | undefined;
  return [
    defineJob<RecordedAuditEvent>({
      name: AUDIT_QUEUE,
      batchSize: AUDIT_SHIP_BATCH,
      pollingIntervalSeconds: 0.5,
      // Loki down: retried with exponential backoff capped at 5 minutes, 2000 times
      // (about a week), far beyond any outage worth waiting out.
      queue: { retryLimit: 2_000, retryDelay: 2, retryBackoff: true, retryDelayMax: 300 },
      handler: async (event, job) => {
        ship ??= createBatcher(createAuditSink(deps));
        // Jobs written before events carried an id (and were masked) are completed here.
        const recorded = event.event_id
          ? event
          : maskPii({
              ...event,
              event_id: job.id,
              occurred_at: event.occurred_at ?? deps.clock.now().toISOString(),
            });
        await ship(recorded);
      },
    }),
  ];
};
