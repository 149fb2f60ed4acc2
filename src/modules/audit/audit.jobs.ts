import { createHash } from 'node:crypto';
import type { AppDeps } from '../../deps.ts';
import {
  createLokiClient,
  LokiPushError,
  type LokiClient,
  type LokiEntry,
} from '../../platform/adapters/loki/loki.ts';
import { defineJob } from '../../platform/jobs.ts';
import { AUDIT_QUEUE, type RecordedAuditEvent } from './audit.service.ts';
import { maskPii } from './pii.ts';

export const AUDIT_APP_LABEL = 'hns-ticketing';
/** Jobs fetched per poll; the handlers of one fetch are shipped to Loki in one request. */
export const AUDIT_BATCH_SIZE = 500;

/**
 * The Loki line of an event. Its timestamp is derived from the event alone (occurred_at
 * plus a sub-millisecond offset from the event id), so a line re-sent after a retry is
 * byte-identical to the first one and Loki stores it once (Loki drops an entry whose
 * stream, timestamp and line all equal an existing one).
 */
export function toLokiEntry(event: RecordedAuditEvent, env: string): LokiEntry {
  const ms = BigInt(Date.parse(event.occurred_at));
  const offset = BigInt(createHash('sha256').update(event.event_id).digest().readUInt32BE(0) % 1e6);
  const line = JSON.stringify({
    event_id: event.event_id,
    occurred_at: event.occurred_at,
    domain: event.domain,
    action: event.action,
    actor: event.actor,
    subject: event.subject,
    changes: event.changes ?? {},
    context: event.context ?? {},
  });
  return {
    labels: { app: AUDIT_APP_LABEL, env, domain: event.domain },
    timestampNs: (ms * 1_000_000n + offset).toString(),
    line,
  };
}

interface Pending {
  entry: LokiEntry;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces the handler calls of one fetched batch into one push. pg-boss calls the
 * handlers of a batch synchronously one after another (Promise.all in jobs.ts), so every
 * event of the batch is pending when the flush scheduled by the first one runs. Each job
 * still settles on its own: all resolve when Loki accepted the push, all reject (and are
 * retried with backoff by pg-boss) when it did not.
 */
function createBatcher(
  client: LokiClient,
  onPermanent: (entries: LokiEntry[], err: Error) => void,
) {
  let pending: Pending[] = [];
  let scheduled = false;

  const flush = async () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    try {
      await client.push(batch.map((p) => p.entry));
      for (const p of batch) p.resolve();
    } catch (err) {
      if (err instanceof LokiPushError && err.permanent) {
        // Loki refused these lines for good (e.g. older than its ingestion window): retrying
        // cannot help, so they are written to the process log instead of being dropped.
        onPermanent(
          batch.map((p) => p.entry),
          err,
        );
        for (const p of batch) p.resolve();
      } else {
        for (const p of batch) p.reject(err);
      }
    }
  };

  return (entry: LokiEntry) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ entry, resolve, reject });
      if (pending.length >= AUDIT_BATCH_SIZE) void flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(() => void flush());
      }
    });
}

export const auditJobs = (deps: AppDeps) => {
  let ship: ((entry: LokiEntry) => Promise<void>) | undefined;
  const shipper = () => {
    if (ship) return ship;
    const { config, logger } = deps;
    if (!config.LOKI_URL) {
      // Development without Loki: the structured line goes to the process log instead.
      ship = async (entry) => {
        logger.info({ audit: JSON.parse(entry.line), labels: entry.labels }, 'audit event');
      };
    } else {
      const client = createLokiClient({
        url: config.LOKI_URL,
        username: config.LOKI_USERNAME,
        password: config.LOKI_PASSWORD,
        tenantId: config.LOKI_TENANT_ID,
        timeoutMs: config.LOKI_TIMEOUT_MS,
      });
      ship = createBatcher(client, (entries, err) => {
        for (const entry of entries) {
          logger.error(
            { err, audit: JSON.parse(entry.line), labels: entry.labels },
            'Loki refused an audit event permanently; kept in the process log',
          );
        }
      });
    }
    return ship;
  };

  return [
    defineJob<RecordedAuditEvent>({
      name: AUDIT_QUEUE,
      batchSize: AUDIT_BATCH_SIZE,
      pollingIntervalSeconds: 0.5,
      // Loki down: retried with exponential backoff capped at 5 minutes, 2000 times
      // (about a week), far beyond any outage worth waiting out.
      queue: { retryLimit: 2_000, retryDelay: 2, retryBackoff: true, retryDelayMax: 300 },
      handler: async (event, job) => {
        const env = deps.config.LOKI_ENV_LABEL ?? deps.config.NODE_ENV;
        // Jobs written before events carried an id (and were masked) are completed here.
        const recorded = event.event_id
          ? event
          : maskPii({
              ...event,
              event_id: job.id,
              occurred_at: event.occurred_at ?? deps.clock.now().toISOString(),
            });
        await shipper()(toLokiEntry(recorded, env));
      },
    }),
  ];
};
