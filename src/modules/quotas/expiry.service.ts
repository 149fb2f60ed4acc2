import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { returnQuotaSeatsToSale } from '../inventory/quota-seats.repo.ts';
import { sendEmail } from '../notifications/notify.ts';
import { closeClaimsOfQuota } from './claims.service.ts';
import { runQuotaExpiryHooks } from './expiry-hooks.ts';
import { formatKickoff, matchName, portalUrl } from './quota-links.ts';
import {
  cancelQuotaSeatsIn,
  countUnclaimed,
  findMatchOfQuota,
  lockQuotasPastDeadline,
  lockQuotasToRemind,
  markQuotaStatus,
  type QuotaRow,
} from './quotas.repo.ts';
import {
  cancelSubquotasOfQuota,
  lockSubquotasPastDeadline,
  retractSubquotaSeats,
} from './subquotas.repo.ts';

/**
 * Quota deadlines (E7-F1 expiration_date, E7-F6 expires_at), run by the quotas job:
 * - a day before a quota's deadline its holder is reminded of the unclaimed seats (once);
 * - past it, the quota becomes PAST_DEADLINE: claims in progress are abandoned (a DEFERRED
 *   one, to be invoiced, is kept), its live sub-quotas EXPIRED, and every unclaimed seat
 *   (ALLOCATED, DELEGATED) goes back to public sale (AVAILABLE); the holder is told;
 * - a sub-quota past its own deadline (the parent still live) becomes EXPIRED and its
 *   unclaimed seats go back to the parent quota — the parent's allocation, which returns to
 *   public sale at the parent's deadline (our reading; the parent holder may pass them on
 *   again meanwhile).
 * - other modules end their own state on an expiring quota through expiry-hooks.ts.
 * Each quota is one transaction, locked with SKIP LOCKED so several workers share the work.
 */
export const REMINDER_BEFORE_MS = 24 * 3_600_000;
const BATCH = 50;

type Deps = Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>;

async function expireQuota(deps: Deps, trx: Executor, quota: QuotaRow, now: Date) {
  // Other modules' state on the quota first (petrol: live reservations back to ALLOCATED),
  // so their seats are unclaimed below like the rest.
  await runQuotaExpiryHooks(deps, trx, quota, now);
  await closeClaimsOfQuota(deps, trx, quota.id, now, { keepDeferred: true });
  await cancelSubquotasOfQuota(trx, quota.id, now, 'EXPIRED');
  const inventoryIds = await cancelQuotaSeatsIn(trx, quota.id, ['ALLOCATED', 'DELEGATED']);
  const returned = await returnQuotaSeatsToSale(trx, {
    inventoryIds,
    includeHeld: false,
    quotaId: quota.id,
    reason: `quota ${quota.id} past its deadline`,
    by: null,
    now,
  });
  await markQuotaStatus(trx, quota.id, { status: 'PAST_DEADLINE' });
  const match = (await findMatchOfQuota(trx, quota.match_id))!;
  if (returned.length > 0) {
    await sendEmail(deps, trx, {
      template_key: 'quota_expired',
      to: quota.recipient_email,
      variables: {
        recipient_name: quota.recipient_name ?? quota.recipient_email,
        match_name: matchName(match),
        kickoff: formatKickoff(match.kick_off_time),
        returned_count: returned.length,
        portal_url: portalUrl(deps.config, quota.id),
      },
    });
  }
  await recordAudit(deps, trx, {
    domain: 'quota',
    action: 'quota_past_deadline',
    actor: { type: 'system' },
    subject: { type: 'quota', id: quota.id },
    changes: { returned_seats: returned.length },
  });
}

async function remind(deps: Deps, trx: Executor, quota: QuotaRow, now: Date) {
  const unclaimed = await countUnclaimed(trx, quota.id);
  await markQuotaStatus(trx, quota.id, { reminder_sent_at: now });
  if (unclaimed === 0) return;
  const match = (await findMatchOfQuota(trx, quota.match_id))!;
  await sendEmail(deps, trx, {
    template_key: 'quota_expiring',
    to: quota.recipient_email,
    variables: {
      recipient_name: quota.recipient_name ?? quota.recipient_email,
      match_name: matchName(match),
      kickoff: formatKickoff(match.kick_off_time),
      unclaimed_count: unclaimed,
      expires_at: formatKickoff(quota.expiration_date!),
      portal_url: portalUrl(deps.config, quota.id),
    },
  });
}

/** One pass of the deadlines; returns what it did. */
export async function runQuotaDeadlines(deps: Deps) {
  const now = deps.clock.now();
  const done = { reminded: 0, expired: 0, subquotasExpired: 0 };
  const drain = async <T>(
    lock: (trx: Executor) => Promise<T[]>,
    each: (trx: Executor, row: T) => Promise<void>,
  ) => {
    let total = 0;
    for (;;) {
      const n = await deps.db.transaction().execute(async (trx) => {
        const rows = await lock(trx);
        for (const row of rows) await each(trx, row);
        return rows.length;
      });
      total += n;
      if (n < BATCH) return total;
    }
  };
  done.reminded = await drain(
    (trx) => lockQuotasToRemind(trx, now, new Date(now.getTime() + REMINDER_BEFORE_MS), BATCH),
    (trx, q) => remind(deps, trx, q, now),
  );
  done.expired = await drain(
    (trx) => lockQuotasPastDeadline(trx, now, BATCH),
    (trx, q) => expireQuota(deps, trx, q, now),
  );
  done.subquotasExpired = await drain(
    (trx) => lockSubquotasPastDeadline(trx, now, BATCH),
    async (trx, sub) => {
      await closeClaimsOfQuota(deps, trx, sub.parent_quota_id, now, {
        keepDeferred: true,
        subquotaId: sub.id,
      });
      await retractSubquotaSeats(trx, sub.id, now, 'EXPIRED');
    },
  );
  return done;
}
