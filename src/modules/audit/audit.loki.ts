import { createHash } from 'node:crypto';
import type { AppDeps } from '../../deps.ts';
import {
  createLokiClient,
  LokiPushError,
  type LokiEntry,
} from '../../platform/adapters/loki/loki.ts';
import type { RecordedAuditEvent } from './audit.service.ts';

export const AUDIT_APP_LABEL = 'hns-ticketing';

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

/**
 * Where audit events go: one Loki push per call. Resolves when Loki has them (or, in
 * development without LOKI_URL, when they are in the process log); rejects when Loki may
 * accept them later, so the caller keeps them and tries again. Entries Loki refuses for
 * good (e.g. older than its ingestion window) cannot succeed on retry: they are written to
 * the process log instead of being dropped, and the call resolves.
 */
export type AuditSink = (events: readonly RecordedAuditEvent[]) => Promise<void>;

export function createAuditSink(deps: Pick<AppDeps, 'config' | 'logger'>): AuditSink {
  const { config, logger } = deps;
  const env = config.LOKI_ENV_LABEL ?? config.NODE_ENV;
  if (!config.LOKI_URL) {
    return async (events) => {
      for (const event of events) logger.info({ audit: event }, 'audit event');
    };
  }
  const client = createLokiClient({
    url: config.LOKI_URL,
    username: config.LOKI_USERNAME,
    password: config.LOKI_PASSWORD,
    tenantId: config.LOKI_TENANT_ID,
    timeoutMs: config.LOKI_TIMEOUT_MS,
  });
  return async (events) => {
    const entries = events.map((e) => toLokiEntry(e, env));
    try {
      await client.push(entries);
    } catch (err) {
      if (!(err instanceof LokiPushError && err.permanent)) throw err;
      for (const entry of entries) {
        logger.error(
          { err, audit: JSON.parse(entry.line), labels: entry.labels },
          'Loki refused an audit event permanently; kept in the process log',
        );
      }
    }
  };
}
