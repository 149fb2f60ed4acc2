import type { AppDeps } from '../../deps.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { AppError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  sendEmails,
  sendPushes,
  type EmailRequest,
  type PushRequest,
} from '../notifications/notify.ts';
import { afterWaitingRoomClosed, closeWaitingRoom } from '../queue/queue.closure.ts';
import {
  cancelUnpaidTicketsOfCancelledMatch,
  closeSaleOfCancelledMatch,
  lockOpenOrdersForCancellation,
  refundOrderOfCancelledMatch,
  type OrderRefundOutcome,
} from '../sales/match-cancellation.ts';
import { countPaidOrders, paidOrdersWithoutSystemRefund } from '../sales/refunds.repo.ts';
import * as repo from './cancellation.repo.ts';
import { loadMatch, logChange, type Actor, type MatchesDeps } from './match-changes.ts';
import {
  canCancel,
  cancellationSummary,
  formatKickoff,
  localeOfNationality,
} from './matches.rules.ts';
import * as matchesRepo from './matches.repo.ts';
import * as notices from './update-notices.repo.ts';

/**
 * Match cancellation (E2-F7). The request, in one transaction: the match CANCELLED, its
 * open orders cancelled and every hold released, its waiting room closed with the waiting
 * fans told, the notice whose people the job will tell, and the job. Nothing of the match
 * can become a ticket afterwards: the cart, the payment start and the webhook read the
 * match status after their own locks (sales), a payment that succeeds later is refunded.
 * The job (runMatchCancellation) then tells every holder and buyer once, and refunds every
 * paid order in full (one transaction per order, through the refunds of E8-F3); resumable
 * and idempotent, so a crash or a second run only continues.
 */

export const MATCH_CANCELLATION_QUEUE = 'matches.cancellation';
export const MATCH_CANCELLATION_RESUME_QUEUE = 'matches.cancellation-resume';
export const CANCEL_BATCH_SIZE = 200;
/** Orders refunded at once by one run (each its own transaction). */
export const CANCEL_CONCURRENCY = 8;
/** How often a run renews its lease at most (it renews after a batch or an order). */
const LEASE_RENEW_MS = 5_000;
/** A run renews its lease every batch; one that died lets it lapse after this long. */
export const CANCEL_LEASE_MS = 30_000;

/** Cancelling a match fans bought tickets for is a SUPER_ADMIN's decision. */
const SUPER_ADMIN_STATUSES = new Set(['PUBLISHED', 'ACTIVE']);

type JobDeps = Pick<AppDeps, 'db' | 'jobs' | 'clock' | 'config'>;

export async function cancelMatch(
  deps: MatchesDeps & Pick<AppDeps, 'config' | 'redis'>,
  actor: Actor & { roles: readonly Role[] },
  matchId: string,
  input: { reason: string },
) {
  const now = deps.clock.now();
  const done = await withDeadlockRetry(() =>
    deps.db.transaction().execute(async (trx) => {
      // Order locks first, then the match row: the order the sale paths take them in.
      await lockOpenOrdersForCancellation(trx, matchId);
      const before = await loadMatch(trx, matchId, true);
      if (before.status === 'CANCELLED') {
        throw new AppError('MATCH_ALREADY_CANCELLED', undefined, {
          extra: { cancelled_at: before.cancelled_at?.toISOString() ?? null },
        });
      }
      if (!canCancel(before.status)) {
        throw new AppError(
          'INVALID_STATUS_TRANSITION',
          `A ${before.status} match cannot be cancelled`,
        );
      }
      if (SUPER_ADMIN_STATUSES.has(before.status) && !actor.roles.includes('SUPER_ADMIN')) {
        throw new AppError('FORBIDDEN', `Cancelling a ${before.status} match needs a SUPER_ADMIN`);
      }
      const after = await matchesRepo.updateMatch(trx, matchId, {
        status: 'CANCELLED',
        cancelled_at: now,
        cancelled_by: actor.userId,
        cancellation_reason: input.reason,
      });
      const logId = await logChange(deps, trx, matchId, actor, {
        change_type: 'CANCEL',
        entity: 'match',
        entity_id: matchId,
        action: 'match_cancelled',
        before: { status: before.status },
        after: { status: 'CANCELLED', reason: input.reason },
        notification_preference: 'notify',
      });
      const noticeId = await notices.insertNotice(trx, {
        match_id: matchId,
        audit_log_ids: [logId],
        changes: { status: { before: before.status, after: 'CANCELLED' } },
        kind: 'CANCELLATION',
      });
      const sale = await closeSaleOfCancelledMatch(deps, trx, {
        matchId,
        by: actor.userId,
        now,
      });
      const queued = await closeWaitingRoom(deps, trx, {
        matchId,
        matchName: `${after.home_team} – ${after.away_team}`,
        by: actor.userId,
      });
      await repo.insertCancellation(trx, {
        match_id: matchId,
        previous_status: before.status,
        reason: input.reason,
        cancelled_by: actor.userId,
        cancelled_at: now,
        notice_id: noticeId,
        released_seats: sale.seats,
        cancelled_orders: sale.orders,
        queue_removed: queued.length,
      });
      await deps.jobs.enqueue(trx, MATCH_CANCELLATION_QUEUE, { matchId });
      return { match: after, queued };
    }),
  );
  await afterWaitingRoomClosed(deps, matchId, done.queued);
  return done.match;
}

/** A deadlock with a sale statement of the same moment is retried (PostgreSQL 40P01). */
async function withDeadlockRetry<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= attempts || (code !== '40P01' && code !== '40001')) throw err;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}

export interface CancellationRun {
  /** BUSY: another live run holds the lease; RUNNING: work left (an interrupted run). */
  status: 'DONE' | 'RUNNING' | 'BUSY' | 'MISSING';
  /** People this run told, orders this run refunded. */
  notified: number;
  refunded: number;
}

/**
 * The job: (1) once, while the tickets are still valid, the people to tell (the notice's
 * recipients, E2-F6's insertRecipients) and the number of paid orders; (2) tells them in
 * batches (each batch marks its people told and writes their emails and pushes in one
 * transaction); (3) refunds every paid order without its SYSTEM refund, one transaction
 * each; (4) when none is left, DONE. Every step continues where an earlier run stopped.
 */
export async function runMatchCancellation(
  deps: JobDeps,
  matchId: string,
  options: {
    batchSize?: number;
    concurrency?: number;
    /** Called after every batch of people and every order (tests: a throw is a crash). */
    onBatch?: (step: 'told' | 'refunded', n: number) => void | Promise<void>;
  } = {},
): Promise<CancellationRun> {
  const batchSize = options.batchSize ?? CANCEL_BATCH_SIZE;
  const lease = (renew: boolean) => {
    const now = deps.clock.now();
    return repo.takeLease(deps.db, matchId, now, new Date(now.getTime() + CANCEL_LEASE_MS), renew);
  };
  const found = await repo.findCancellation(deps.db, matchId);
  if (!found) return { status: 'MISSING', notified: 0, refunded: 0 };
  if (found.status === 'DONE') return { status: 'DONE', notified: 0, refunded: 0 };
  if (!(await lease(false))) return { status: 'BUSY', notified: 0, refunded: 0 };

  const cancellation = await deps.db.transaction().execute(async (trx) => {
    const c = (await repo.findCancellation(trx, matchId, { lock: true }))!;
    if (c.started_at) return c;
    await notices.insertRecipients(trx, c.notice_id, matchId);
    await notices.insertBuyers(trx, c.notice_id, matchId);
    const started = {
      orders_total: await countPaidOrders(trx, matchId),
      started_at: deps.clock.now(),
    };
    await repo.startCancellation(trx, matchId, started);
    return { ...c, ...started };
  });
  let renewedAt = performance.now();
  const step = async (kind: 'told' | 'refunded', n: number) => {
    if (performance.now() - renewedAt > LEASE_RENEW_MS) {
      renewedAt = performance.now();
      await lease(true);
    }
    await options.onBatch?.(kind, n);
  };
  const notified = await tellPeople(deps, cancellation, batchSize, step);
  await cancelUnpaidTicketsOfCancelledMatch(deps, matchId, cancellation.cancelled_by);
  const refunded = await refundOrders(
    deps,
    cancellation,
    batchSize,
    options.concurrency ?? CANCEL_CONCURRENCY,
    step,
  );

  const done = await deps.db.transaction().execute(async (trx) => {
    const current = (await repo.findCancellation(trx, matchId, { lock: true }))!;
    if (current.status === 'DONE') return true;
    if ((await notices.countUntold(trx, current.notice_id)) > 0) return false;
    if ((await paidOrdersWithoutSystemRefund(trx, matchId, null, 1)).length > 0) return false;
    // A hold or open order that raced the cancellation (committed as it did) goes too.
    await closeSaleOfCancelledMatch(deps, trx, {
      matchId,
      by: current.cancelled_by,
      now: deps.clock.now(),
    });
    await repo.finishCancellation(trx, matchId, deps.clock.now());
    const notice = (await notices.findNotice(trx, current.notice_id, { lock: true }))!;
    await notices.finishNotice(trx, notice, deps.clock.now());
    await recordAudit(deps, trx, {
      domain: 'match',
      action: 'match_cancellation_completed',
      actor: { type: 'system' },
      subject: { type: 'match', id: matchId },
      changes: { orders_total: current.orders_total, notice_id: current.notice_id },
    });
    return true;
  });
  if (!done) await repo.releaseLease(deps.db, matchId);
  return { status: done ? 'DONE' : 'RUNNING', notified, refunded };
}

/**
 * The resume job (every minute): a cancellation whose run died (its lease lapsed) gets a
 * new job; a live run keeps its lease, so nothing runs twice at once.
 */
export async function resumeCancellations(deps: JobDeps): Promise<string[]> {
  return deps.db.transaction().execute(async (trx) => {
    const ids = await repo.listLapsedCancellations(trx, deps.clock.now());
    await deps.jobs.enqueueMany(
      trx,
      MATCH_CANCELLATION_QUEUE,
      ids.map((matchId) => ({ matchId })),
    );
    return ids;
  });
}

type Step = (kind: 'told' | 'refunded', n: number) => Promise<void>;

async function tellPeople(deps: JobDeps, c: repo.CancellationRow, batchSize: number, step: Step) {
  const match = await loadMatch(deps.db, c.match_id);
  const matchName = `${match.home_team} – ${match.away_team}`;
  let told = 0;
  for (;;) {
    const n = await deps.db.transaction().execute(async (trx) => {
      const people = await notices.takeRecipients(trx, c.notice_id, batchSize, deps.clock.now());
      const emails: EmailRequest[] = [];
      const pushes: PushRequest[] = [];
      const sent = people.map((person) => {
        const locale = localeOfNationality(person.nationality);
        const summary = cancellationSummary(locale, c.reason);
        const email: EmailRequest = {
          id: crypto.randomUUID(),
          template_key: 'match_update',
          to: person.recipient_key,
          locale,
          variables: {
            customer_name: person.full_name ?? person.recipient_key,
            match_name: matchName,
            change_summary: summary,
            kickoff: formatKickoff(locale, match.kick_off_time),
            venue: '—',
            match_url: `${deps.config.PUBLIC_BASE_URL}/matches/${match.id}`,
          },
        };
        emails.push(email);
        const push: PushRequest | null = person.user_id
          ? {
              id: crypto.randomUUID(),
              user_id: person.user_id,
              notification_type: 'match_cancelled',
              title: locale === 'hr' ? `Otkazano: ${matchName}` : `Cancelled: ${matchName}`,
              body: summary,
              data: { match_id: match.id, deeplink: `hns://matches/${match.id}` },
              priority: 'HIGH',
            }
          : null;
        if (push) pushes.push(push);
        return {
          recipient_key: person.recipient_key,
          email_log_id: email.id!,
          push_job_id: push?.id ?? null,
        };
      });
      await sendEmails(deps, trx, emails);
      await sendPushes(deps, trx, pushes);
      await notices.recordSent(trx, c.notice_id, sent);
      return people.length;
    });
    if (n === 0) return told;
    told += n;
    await step('told', n);
  }
}

/**
 * Walks the paid orders without their refund by id, batch by batch; `concurrency` orders
 * at a time within a batch (each its own transaction), the next starting as one ends.
 */
async function refundOrders(
  deps: JobDeps,
  c: repo.CancellationRow,
  batchSize: number,
  concurrency: number,
  step: Step,
) {
  const reason = `match cancelled: ${c.reason}`;
  let refunded = 0;
  let after: string | null = null;
  for (;;) {
    const ids = await paidOrdersWithoutSystemRefund(deps.db, c.match_id, after, batchSize);
    if (ids.length === 0) return refunded;
    after = ids.at(-1)!;
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const outcome: OrderRefundOutcome = await refundOrderOfCancelledMatch(deps, id, {
          by: c.cancelled_by,
          reason,
        });
        const n = outcome === 'refunded' ? 1 : 0;
        refunded += n;
        await step('refunded', n);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  }
}
