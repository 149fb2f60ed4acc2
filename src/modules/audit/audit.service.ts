import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';

/**
 * Audit trail (spec "Audit Logging Infrastructure"): every audited change calls
 * `recordAudit` inside its own transaction; the event is written to the job outbox and a
 * worker ships it to Grafana Loki (see audit.jobs.ts). A rolled-back change leaves no event;
 * Loki being down delays events, never loses them.
 */
export const AUDIT_QUEUE = 'audit.ship';

/** The 13 audit domains of the spec; each becomes a Loki label value. */
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

export async function recordAudit(
  deps: Pick<AppDeps, 'jobs' | 'clock'>,
  trx: Executor,
  event: AuditEvent,
) {
  await deps.jobs.enqueue(trx, AUDIT_QUEUE, {
    ...event,
    occurred_at: deps.clock.now().toISOString(),
  });
}
