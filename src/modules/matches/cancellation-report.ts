import { stringify } from 'csv-stringify/sync';
import type { AppDeps } from '../../deps.ts';
import { notFound } from '../../platform/errors.ts';
import * as repo from './cancellation.repo.ts';
import { isoOrNull } from './match-changes.ts';

/**
 * The cancellation report (E2-F7): tickets cancelled, refunds by status with amounts,
 * notifications sent and failed; read live, so it shows the job's progress while it runs.
 * As JSON, or as CSV (one line per figure: section, status, count, amount in cents).
 */

export interface CancellationReport {
  match_id: string;
  status: string;
  reason: string;
  previous_status: string;
  cancelled_by: string | null;
  cancelled_at: string;
  started_at: string | null;
  completed_at: string | null;
  released_seats: number;
  cancelled_orders: number;
  queue_removed: number;
  tickets: { cancelled: number; still_valid: number; by_status: Record<string, number> };
  refunds: {
    orders_total: number | null;
    count: number;
    amount: number;
    fee_amount: number;
    by_status: Array<{ status: string; count: number; amount: number }>;
  };
  notifications: {
    people: number;
    told: number;
    emails: { sent: number; failed: number; queued: number };
    pushes: { sent: number; failed: number; queued: number };
  };
}

const EMAIL_SENT = new Set(['SENT', 'DELIVERED']);
const EMAIL_FAILED = new Set(['FAILED', 'BOUNCED']);

function tally(rows: Array<{ status: string; n: number }>) {
  const out = { sent: 0, failed: 0, queued: 0 };
  for (const r of rows) {
    if (EMAIL_SENT.has(r.status)) out.sent += r.n;
    else if (EMAIL_FAILED.has(r.status)) out.failed += r.n;
    else out.queued += r.n;
  }
  return out;
}

export async function cancellationReport(
  deps: Pick<AppDeps, 'db'>,
  matchId: string,
): Promise<CancellationReport> {
  const c = await repo.findCancellation(deps.db, matchId);
  if (!c) throw notFound('Match cancellation');
  const counts = await repo.reportCounts(deps.db, matchId, c.notice_id);
  const byStatus = Object.fromEntries(counts.tickets.map((r) => [r.status, r.n]));
  const valid = (byStatus.SOLD ?? 0) + (byStatus.ATTENDED ?? 0);
  return {
    match_id: matchId,
    status: c.status,
    reason: c.reason,
    previous_status: c.previous_status,
    cancelled_by: c.cancelled_by,
    cancelled_at: c.cancelled_at.toISOString(),
    started_at: isoOrNull(c.started_at),
    completed_at: isoOrNull(c.completed_at),
    released_seats: c.released_seats,
    cancelled_orders: c.cancelled_orders,
    queue_removed: c.queue_removed,
    tickets: {
      cancelled: byStatus.CANCELLED_MATCH_CANCELLED ?? 0,
      still_valid: valid,
      by_status: byStatus,
    },
    refunds: {
      orders_total: c.orders_total,
      count: counts.refunds.reduce((a, r) => a + r.n, 0),
      amount: counts.refunds.reduce((a, r) => a + r.amount, 0),
      fee_amount: counts.refunds.reduce((a, r) => a + r.fee, 0),
      by_status: counts.refunds.map((r) => ({ status: r.status, count: r.n, amount: r.amount })),
    },
    notifications: {
      people: counts.people.total,
      told: counts.people.told,
      emails: tally(counts.emails),
      pushes: tally(counts.pushes),
    },
  };
}

/** The report as CSV: a header, then one line per figure. */
export function reportCsv(r: CancellationReport): string {
  const rows: Array<[string, string, number, number | '']> = [
    ['cancellation', r.status, r.refunds.orders_total ?? 0, ''],
    ['tickets', 'CANCELLED_MATCH_CANCELLED', r.tickets.cancelled, ''],
    ['tickets', 'STILL_VALID', r.tickets.still_valid, ''],
    ...r.refunds.by_status.map(
      (s) => ['refunds', s.status, s.count, s.amount] as [string, string, number, number],
    ),
    ['refunds', 'TOTAL', r.refunds.count, r.refunds.amount],
    ['refunds', 'FEES_INCLUDED', r.refunds.count, r.refunds.fee_amount],
    ['notifications', 'PEOPLE', r.notifications.people, ''],
    ['notifications', 'TOLD', r.notifications.told, ''],
    ['emails', 'SENT', r.notifications.emails.sent, ''],
    ['emails', 'FAILED', r.notifications.emails.failed, ''],
    ['emails', 'QUEUED', r.notifications.emails.queued, ''],
    ['pushes', 'SENT', r.notifications.pushes.sent, ''],
    ['pushes', 'FAILED', r.notifications.pushes.failed, ''],
    ['pushes', 'QUEUED', r.notifications.pushes.queued, ''],
  ];
  return stringify(rows, { header: true, columns: ['section', 'status', 'count', 'amount_cents'] });
}
