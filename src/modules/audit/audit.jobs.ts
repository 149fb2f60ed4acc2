import type { Job } from 'pg-boss';
import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { createAuditSink, type AuditSink } from './audit.loki.ts';
import { AUDIT_QUEUE, type RecordedAuditEvent } from './audit.service.ts';
import { AUDIT_SHIP_BATCH } from './audit.shipper.ts';
import { maskPii } from './pii.ts';

/**
 * The drain of the pg-boss queue audit events used before the audit outbox table
 * (audit.shipper.ts ships that one). Processes of the previous release keep enqueueing here
 * until a rolling deploy replaces them, so the queue is drained the old way, to the same
 * sink: one Loki push per fetched batch; all its jobs complete, or all are retried with
 * backoff when Loki did not take them.
 */
export const auditJobs = (deps: AppDeps) => {
  let sink: AuditSink | undefined;
  // Jobs written before events carried an id (and were masked) are completed here.
  const recorded = ({ data: event, id }: Job<RecordedAuditEvent>): RecordedAuditEvent =>
    event.event_id
      ? event
      : maskPii({
          ...event,
          event_id: id,
          occurred_at: event.occurred_at ?? deps.clock.now().toISOString(),
        });
  const ship = async (jobs: Job<RecordedAuditEvent>[]) => {
    sink ??= createAuditSink(deps);
    await sink(jobs.map(recorded));
  };
  return [
    defineJob<RecordedAuditEvent>({
      name: AUDIT_QUEUE,
      batchSize: AUDIT_SHIP_BATCH,
      pollingIntervalSeconds: 0.5,
      // Loki down: retried with exponential backoff capped at 5 minutes, 2000 times
      // (about a week), far beyond any outage worth waiting out.
      queue: { retryLimit: 2_000, retryDelay: 2, retryBackoff: true, retryDelayMax: 300 },
      handler: (_event, job) => ship([job]),
      batchHandler: async (jobs) => {
        const outcome = await ship(jobs).then(
          () => undefined,
          (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
        );
        return new Map(jobs.map((job) => [job.id, outcome]));
      },
    }),
  ];
};
