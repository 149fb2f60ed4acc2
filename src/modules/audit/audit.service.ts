import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { appendAuditEvent, appendAuditEvents } from './audit.repo.ts';
import { maskPii } from './pii.ts';

/**
 * Audit trail (spec "Audit Logging Infrastructure"): every audited change calls
 * `recordAudit` inside its own transaction; the event is appended to the audit outbox table
 * and every worker process ships it to Grafana Loki in batches (audit.shipper.ts). A
 * rolled-back change leaves no event; Loki being down delays events, never loses them.
 */

/**
 * The pg-boss queue events went through before the audit outbox table. Processes of the
 * previous release may still enqueue there during a rolling deploy; audit.jobs.ts drains it.
 */
export const AUDIT_QUEUE = 'audit.ship';

/** The audit domains of the spec; each becomes a Loki label value. */
export const AUDIT_DOMAINS = [
  'auth',
  'profile',
  'match',
  'stadium',
  'seat',
  'queue',
  'order',
  'payment',
  'ticket',
  'quota',
  'loyalty',
  'blacklist',
  'support',
  'petrol',
  'access_control',
  'notification',
] as const;
export type AuditDomain = (typeof AUDIT_DOMAINS)[number];

export interface AuditEvent {
  domain: AuditDomain;
  /** What happened, snake_case: `match_updated`, `seat_status_changed`, … */
  action: string;
  /** Who did it: a user id, or 'system' for jobs. */
  actor: { type: 'user' | 'system'; id?: string | null };
  /** What it happened to. */
  subject: { type: string; id: string };
  /** Before/after values or other facts; PII is masked before it leaves the process. */
  changes?: Record<string, unknown>;
  /** Request context: ip, user agent, request id. */
  context?: Record<string, unknown>;
}

/** What the outbox holds and Loki receives: the masked event, its id and its time. */
export interface RecordedAuditEvent extends AuditEvent {
  /** Unique per event; a line re-sent after a retry carries the same id (dedupe key). */
  event_id: string;
  occurred_at: string;
}

/**
 * Writes the audit event to the outbox in the caller's transaction. OIB values are masked
 * and passport numbers dropped here (maskPii), before anything is stored.
 */
export async function recordAudit(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  event: AuditEvent,
): Promise<RecordedAuditEvent> {
  if (!(AUDIT_DOMAINS as readonly string[]).includes(event.domain)) {
    throw new Error(`unknown audit domain "${event.domain}"`);
  }
  const recorded: RecordedAuditEvent = maskPii({
    event_id: randomUUID(),
    occurred_at: deps.clock.now().toISOString(),
    ...event,
  });
  await appendAuditEvent(trx, recorded);
  return recorded;
}

/** `recordAudit` for many events of one use case, with one statement (same masking). */
export async function recordAudits(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  events: readonly AuditEvent[],
): Promise<void> {
  const occurredAt = deps.clock.now().toISOString();
  const recorded = events.map((event) => {
    if (!(AUDIT_DOMAINS as readonly string[]).includes(event.domain)) {
      throw new Error(`unknown audit domain "${event.domain}"`);
    }
    return maskPii({ event_id: randomUUID(), occurred_at: occurredAt, ...event });
  });
  await appendAuditEvents(trx, recorded);
}
