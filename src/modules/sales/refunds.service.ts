import type { AppDeps } from '../../deps.ts';
import type { RefundSummary } from '../../platform/adapters/stripe/stripe.ts';
import type { Executor } from '../../platform/db/database.ts';
import type { RefundSource, RefundStatus } from '../../platform/db/types.generated.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { refundPayment, retrieveRefund } from '../payments/payments.service.ts';
import { setCancellationStatusOfRefund } from './cancellations.repo.ts';
import {
  addOrderRefund,
  countUnsettledRefunds,
  countValidTickets,
  findRefund,
  findRefundIdByStripeId,
  findRefundTarget,
  insertRefund,
  insertRefundTickets,
  listRefunds,
  listRefundTicketIds,
  listStaleProcessingRefunds,
  lockOrderForRefund,
  lockOrderTickets,
  moveRefund,
  releaseRefundTickets,
  sumLiveRefunds,
  touchRefund,
  type RefundOrderRow,
  type RefundRow,
} from './refunds.repo.ts';
import {
  assertDistinct,
  returnTicketsForRefund,
  STRIPE_REFUND_QUEUE,
  type StripeRefundJob,
} from './ticket-returns.ts';

/**
 * Refunds (E8-F3). A staff refund gives back the ticket amount of the whole order or of
 * some of its tickets and keeps the service fee (`fee_retained`); above
 * REFUND_APPROVAL_THRESHOLD it waits in PENDING_APPROVAL for a SUPER_ADMIN other than the
 * requester. Once it goes ahead (PROCESSING) the tickets are REFUNDED and their seats back
 * in the inventory in that transaction (ticket-returns.ts), which also enqueues the Stripe
 * refund job; Stripe's answer and its refund events (settlement) make it COMPLETED or
 * FAILED, and an admin may retry a FAILED one. A fan's cancellation (cancellations.service.ts)
 * writes a SELF_SERVICE refund that follows the same path from PROCESSING on.
 *
 * Every use case locks the order row first, so refunds, cancellations, approvals and
 * refund events of one order are serialised; a ticket is in at most one live refund
 * (refund_tickets' partial unique index), so its money cannot go back twice.
 */

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'jobs'>;

export interface AdminRefundInput {
  ticket_ids?: string[];
  reason: string;
}

export async function requestAdminRefund(
  deps: Deps,
  adminId: string,
  orderId: string,
  input: AdminRefundInput,
) {
  assertDistinct(input.ticket_ids);
  return deps.db
    .transaction()
    .execute((trx) =>
      requestRefundIn(
        deps,
        trx,
        adminId,
        orderId,
        input,
        (amount) => amount > deps.config.REFUND_APPROVAL_THRESHOLD,
      ),
    );
}

/**
 * The staff refund in the caller's transaction, for callers with their own approval rule
 * (the support desk's refund requests, E10-F3, approve below 48 h only): `needsApproval`
 * says, for the refund's amount, whether it waits in PENDING_APPROVAL.
 */
export async function requestRefundIn(
  deps: Deps,
  trx: Executor,
  adminId: string,
  orderId: string,
  input: AdminRefundInput,
  needsApproval: (amount: number) => boolean,
) {
  assertDistinct(input.ticket_ids);
  const now = deps.clock.now();
  const order = await lockOrderForRefund(trx, orderId);
  if (!order) throw notFound('Order');
  assertPaid(order);
  const tickets = await lockOrderTickets(trx, orderId, input.ticket_ids ?? null);
  if (input.ticket_ids) {
    const found = new Set(tickets.map((t) => t.id));
    const errors = input.ticket_ids.flatMap((id, i) =>
      found.has(id)
        ? []
        : [{ field: `body.ticket_ids.${i}`, message: 'not a ticket of this order' }],
    );
    if (errors.length) throw new AppError('TICKET_NOT_IN_ORDER', undefined, { errors });
  }
  const refusedIds = tickets.filter((t) => t.status !== 'SOLD' || t.in_refund).map((t) => t.id);
  // A whole-order refund takes the tickets still valid and not in a refund; named
  // tickets must all be refundable.
  const chosen = input.ticket_ids
    ? tickets
    : tickets.filter((t) => t.status === 'SOLD' && !t.in_refund);
  if ((input.ticket_ids && refusedIds.length) || chosen.length === 0) {
    throw new AppError(
      'TICKET_NOT_REFUNDABLE',
      'Tickets already refunded, cancelled, used or in a refund cannot be refunded',
      { extra: { ticket_ids: input.ticket_ids ? refusedIds : tickets.map((t) => t.id) } },
    );
  }
  const amount = chosen.reduce((a, t) => a + t.price_amount, 0);
  const feeRetained = chosen.reduce((a, t) => a + t.fee_amount, 0);
  await assertWithinPayment(trx, order, amount);
  const approval = needsApproval(amount);
  const refund = await insertRefund(trx, {
    order_id: order.id,
    ticket_id: chosen.length === 1 ? chosen[0]!.id : null,
    payment_id: order.payment_id!,
    refund_amount: amount,
    fee_retained: feeRetained,
    source: 'SUPPORT',
    reason: input.reason,
    status: approval ? 'PENDING_APPROVAL' : 'PROCESSING',
    requested_by: adminId,
    created_at: now,
  });
  await insertRefundTickets(trx, refund.id, chosen, false);
  await recordAudit(deps, trx, {
    domain: 'order',
    action: 'refund_requested',
    actor: { type: 'user', id: adminId },
    subject: { type: 'refund', id: refund.id },
    changes: {
      order_id: order.id,
      ticket_ids: chosen.map((t) => t.id),
      refund_amount: amount,
      fee_retained: feeRetained,
      status: refund.status,
      threshold: deps.config.REFUND_APPROVAL_THRESHOLD,
      reason: input.reason,
    },
  });
  if (!approval) {
    await returnTicketsForRefund(deps, trx, {
      order,
      tickets: chosen,
      refund,
      kind: 'refund',
      by: adminId,
      now,
    });
  }
  return refundView(refund, chosen.map((t) => t.id).sort());
}

export function assertPaid(order: RefundOrderRow) {
  if (order.status !== 'COMPLETED' || order.payment_status !== 'SUCCEEDED' || !order.payment_id) {
    throw new AppError('ORDER_NOT_REFUNDABLE', `The order is ${order.status}, not paid`);
  }
}

/** The refunds of an order never add up to more than was paid (checked under its lock). */
export async function assertWithinPayment(trx: Executor, order: RefundOrderRow, amount: number) {
  const already = await sumLiveRefunds(trx, order.id);
  if (already + amount > (order.payment_amount ?? 0)) {
    throw new AppError('REFUND_EXCEEDS_PAYMENT', undefined, {
      extra: { paid: order.payment_amount, refunded: already, requested: amount },
    });
  }
}

/** Reads a refund and locks its order, then the refund: the module's lock order. */
async function lockRefundWithOrder(trx: Executor, refundId: string) {
  const seen = await findRefund(trx, refundId);
  if (!seen) throw notFound('Refund');
  const order = (await lockOrderForRefund(trx, seen.order_id))!;
  const refund = (await findRefund(trx, refundId, { forUpdate: true }))!;
  return { order, refund };
}

function assertStatus(refund: RefundRow, expected: RefundStatus) {
  if (refund.status !== expected) {
    throw new AppError('REFUND_STATE_CONFLICT', `The refund is ${refund.status}, not ${expected}`, {
      extra: { status: refund.status },
    });
  }
}

/** A second SUPER_ADMIN lets a refund above the threshold go ahead (E8-F3). */
export async function approveRefund(deps: Deps, adminId: string, refundId: string) {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const { order, refund } = await lockRefundWithOrder(trx, refundId);
    assertStatus(refund, 'PENDING_APPROVAL');
    if (refund.requested_by === adminId) throw new AppError('REFUND_SELF_APPROVAL');
    const ticketIds = await listRefundTicketIds(trx, refund.id);
    const tickets = await lockOrderTickets(trx, order.id, ticketIds);
    const invalid = tickets.filter((t) => t.status !== 'SOLD').map((t) => t.id);
    if (invalid.length) {
      throw new AppError('TICKET_NOT_REFUNDABLE', 'Tickets of the refund were used meanwhile', {
        extra: { ticket_ids: invalid },
      });
    }
    await moveRefund(trx, refund.id, ['PENDING_APPROVAL'], {
      status: 'PROCESSING',
      approved_by: adminId,
      decided_at: now,
    });
    const approved = { ...refund, status: 'PROCESSING' as const, approved_by: adminId };
    await recordAudit(deps, trx, {
      domain: 'order',
      action: 'refund_approved',
      actor: { type: 'user', id: adminId },
      subject: { type: 'refund', id: refund.id },
      changes: {
        order_id: order.id,
        requested_by: refund.requested_by,
        amount: refund.refund_amount,
      },
    });
    await returnTicketsForRefund(deps, trx, {
      order,
      tickets,
      refund: approved,
      kind: 'refund',
      by: adminId,
      now,
    });
    return refundView({ ...approved, decided_at: now }, ticketIds);
  });
}

export async function rejectRefund(
  deps: Deps,
  adminId: string,
  refundId: string,
  input: { reason: string },
) {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const { order, refund } = await lockRefundWithOrder(trx, refundId);
    assertStatus(refund, 'PENDING_APPROVAL');
    if (refund.requested_by === adminId) throw new AppError('REFUND_SELF_APPROVAL');
    await moveRefund(trx, refund.id, ['PENDING_APPROVAL'], {
      status: 'REJECTED',
      rejected_by: adminId,
      decided_at: now,
      failure_reason: input.reason,
    });
    // The tickets stay valid and may be refunded again.
    await releaseRefundTickets(trx, refund.id, now);
    await recordAudit(deps, trx, {
      domain: 'order',
      action: 'refund_rejected',
      actor: { type: 'user', id: adminId },
      subject: { type: 'refund', id: refund.id },
      changes: { order_id: order.id, requested_by: refund.requested_by, reason: input.reason },
    });
    const ticketIds = await listRefundTicketIds(trx, refund.id);
    return refundView(
      {
        ...refund,
        status: 'REJECTED',
        rejected_by: adminId,
        decided_at: now,
        failure_reason: input.reason,
      },
      ticketIds,
    );
  });
}

/** A FAILED refund tried again at Stripe: the next attempt, with its own idempotency key. */
export async function retryRefund(deps: Deps, adminId: string, refundId: string) {
  return deps.db.transaction().execute(async (trx) => {
    const { order, refund } = await lockRefundWithOrder(trx, refundId);
    assertStatus(refund, 'FAILED');
    const attempt = refund.attempt + 1;
    await moveRefund(trx, refund.id, ['FAILED'], {
      status: 'PROCESSING',
      attempt,
      stripe_refund_id: null,
      failure_reason: null,
    });
    await setCancellationStatusOfRefund(trx, refund.id, 'PROCESSING', null);
    await deps.jobs.enqueue(trx, STRIPE_REFUND_QUEUE, {
      refund_id: refund.id,
    } satisfies StripeRefundJob);
    await recordAudit(deps, trx, {
      domain: 'order',
      action: 'refund_retried',
      actor: { type: 'user', id: adminId },
      subject: { type: 'refund', id: refund.id },
      changes: {
        order_id: order.id,
        attempt,
        previous_stripe_refund_id: refund.stripe_refund_id,
        previous_failure: refund.failure_reason,
      },
    });
    const ticketIds = await listRefundTicketIds(trx, refund.id);
    return refundView(
      { ...refund, status: 'PROCESSING', attempt, stripe_refund_id: null, failure_reason: null },
      ticketIds,
    );
  });
}

export async function listAdminRefunds(
  deps: Pick<AppDeps, 'db'>,
  filter: {
    status?: RefundStatus;
    source?: RefundSource;
    order_id?: string;
    match_id?: string;
    page: number;
    limit: number;
  },
) {
  const { items, total } = await listRefunds(deps.db, {
    ...filter,
    offset: (filter.page - 1) * filter.limit,
  });
  return {
    items: items.map((r) => ({
      ...refundView(r, r.ticket_ids),
      order_number: r.order_number,
      match_id: r.match_id,
    })),
    total,
    page: filter.page,
    limit: filter.limit,
  };
}

export function refundView(refund: RefundRow, ticketIds: string[]) {
  return {
    id: refund.id,
    order_id: refund.order_id,
    ticket_ids: ticketIds,
    payment_id: refund.payment_id,
    stripe_refund_id: refund.stripe_refund_id,
    refund_amount: refund.refund_amount,
    fee_retained: refund.fee_retained,
    source: refund.source,
    reason: refund.reason,
    status: refund.status,
    attempt: refund.attempt,
    failure_reason: refund.failure_reason,
    requested_by: refund.requested_by,
    approved_by: refund.approved_by,
    rejected_by: refund.rejected_by,
    created_at: refund.created_at.toISOString(),
    decided_at: refund.decided_at?.toISOString() ?? null,
    completed_at: refund.completed_at?.toISOString() ?? null,
  };
}

// Stripe --------------------------------------------------------------------------------

/**
 * The job (sales.stripe-refund): refunds a PROCESSING refund at Stripe with the key
 * `hns-refund-<refund id>-<attempt>`, so a job that runs again after a crash (before or
 * after Stripe answered) gets the same Stripe refund back, never a second one. Records
 * the Stripe refund id and whatever Stripe already says of it; a pending refund is settled
 * by Stripe's refund events (settlement.service.ts → applyStripeRefund). A refund whose
 * Stripe id is recorded is looked up instead (GET /v1/refunds/:id: an idempotent replay
 * would repeat Stripe's first, pending answer), which is how the reconciliation
 * (reconcileRefunds) settles a refund whose events never arrived.
 */
export async function runRefundJob(deps: Deps, job: StripeRefundJob): Promise<void> {
  const target = await findRefundTarget(deps.db, job.refund_id);
  if (!target || target.status !== 'PROCESSING' || !target.payment_intent_id) return;
  const result = target.stripe_refund_id
    ? { refund: await retrieveRefund(deps, target.stripe_refund_id) }
    : await refundPayment(deps, {
        paymentIntentId: target.payment_intent_id,
        amount: target.refund_amount,
        idempotencyKey: `hns-refund-${target.id}-${target.attempt}`,
        metadata: {
          refund_id: target.id,
          order_id: target.order_id,
          attempt: String(target.attempt),
        },
      });
  await deps.db.transaction().execute(async (trx) => {
    const { order, refund } = await lockRefundWithOrder(trx, target.id);
    // Settled or retried (a later attempt) meanwhile: this answer is no longer news.
    if (refund.status !== 'PROCESSING' || refund.attempt !== target.attempt) return;
    if ('refused' in result) {
      await failRefund(deps, trx, order, refund, `Stripe refused the refund: ${result.refused}`);
      return;
    }
    if (!refund.stripe_refund_id) {
      await moveRefund(trx, refund.id, ['PROCESSING'], {
        status: 'PROCESSING',
        stripe_refund_id: result.refund.id,
      });
      await recordAudit(deps, trx, {
        domain: 'payment',
        action: 'refund_sent_to_stripe',
        actor: { type: 'system' },
        subject: { type: 'refund', id: refund.id },
        changes: {
          order_id: order.id,
          stripe_refund_id: result.refund.id,
          amount: result.refund.amount,
          attempt: refund.attempt,
          stripe_status: result.refund.status,
        },
      });
    } else if (refund.stripe_refund_id !== result.refund.id) {
      return;
    }
    const outcome = await settle(
      deps,
      trx,
      order,
      { ...refund, stripe_refund_id: result.refund.id },
      result.refund,
    );
    // Still pending at a check: look again only after the next interval.
    if (outcome === 'refund_pending' && target.stripe_refund_id) await touchRefund(trx, refund.id);
  });
}

/** How long a PROCESSING refund may go unchanged before Stripe is asked about it. */
export const REFUND_CHECK_AFTER_MS = 60_000;

/**
 * The reconciliation (sales.reconcile-refunds, every minute): Stripe retries its events
 * for days, but an event may still never arrive (an endpoint down longer, a delivery
 * disabled), and a job may die between Stripe's answer and its commit. Every PROCESSING
 * refund unchanged for REFUND_CHECK_AFTER_MS gets its job again, which creates the Stripe
 * refund with its key or, once its id is recorded, looks it up and settles it.
 */
export async function reconcileRefunds(deps: Deps, limit = 1_000): Promise<string[]> {
  return deps.db.transaction().execute(async (trx) => {
    const ids = await listStaleProcessingRefunds(trx, REFUND_CHECK_AFTER_MS, limit);
    await deps.jobs.enqueueMany<StripeRefundJob>(
      trx,
      STRIPE_REFUND_QUEUE,
      ids.map((id) => ({ refund_id: id })),
    );
    return ids;
  });
}

export type RefundEventOutcome =
  | 'refund_unknown'
  | 'refund_stale'
  | 'refund_pending'
  | 'refund_completed'
  | 'refund_failed'
  | 'refund_already_settled';

/**
 * A Stripe refund as a refund event reports it (`refund.updated`, `refund.failed`, or a
 * refund listed in `charge.refunded`), in the webhook's transaction. Idempotent and
 * order-independent: only a PROCESSING refund of the same attempt moves, once.
 */
export async function applyStripeRefund(
  deps: Deps,
  trx: Executor,
  stripeRefund: RefundSummary,
): Promise<RefundEventOutcome> {
  const byMetadata = stripeRefund.metadata.refund_id;
  const refundId =
    byMetadata && /^[0-9a-f-]{36}$/i.test(byMetadata)
      ? byMetadata
      : await findRefundIdByStripeId(trx, stripeRefund.id);
  if (!refundId || !(await findRefund(trx, refundId))) return 'refund_unknown';
  const { order, refund } = await lockRefundWithOrder(trx, refundId);
  const attempt = Number(stripeRefund.metadata.attempt ?? refund.attempt);
  if (
    attempt !== refund.attempt ||
    (refund.stripe_refund_id && refund.stripe_refund_id !== stripeRefund.id)
  ) {
    return 'refund_stale';
  }
  if (refund.status !== 'PROCESSING') return 'refund_already_settled';
  return settle(deps, trx, order, refund, stripeRefund);
}

async function settle(
  deps: Deps,
  trx: Executor,
  order: RefundOrderRow,
  refund: RefundRow,
  stripeRefund: RefundSummary,
): Promise<RefundEventOutcome> {
  if (stripeRefund.status === 'succeeded') {
    await completeRefund(deps, trx, order, refund, stripeRefund.id);
    return 'refund_completed';
  }
  if (stripeRefund.status === 'failed' || stripeRefund.status === 'canceled') {
    await failRefund(
      deps,
      trx,
      order,
      { ...refund, stripe_refund_id: stripeRefund.id },
      `Stripe: ${stripeRefund.status} (${stripeRefund.failureReason ?? 'no reason given'})`,
    );
    return 'refund_failed';
  }
  return 'refund_pending';
}

async function completeRefund(
  deps: Deps,
  trx: Executor,
  order: RefundOrderRow,
  refund: RefundRow,
  stripeRefundId: string,
) {
  const now = deps.clock.now();
  await moveRefund(trx, refund.id, ['PROCESSING'], {
    status: 'COMPLETED',
    stripe_refund_id: stripeRefundId,
    completed_at: now,
  });
  // FULL once no ticket of the order is valid and no other refund of it is still open.
  const full =
    (await countValidTickets(trx, order.id)) === 0 &&
    (await countUnsettledRefunds(trx, order.id, refund.id)) === 0;
  await addOrderRefund(trx, order.id, refund.refund_amount, full ? 'FULL' : 'PARTIAL');
  await setCancellationStatusOfRefund(trx, refund.id, 'COMPLETED', now);
  await recordAudit(deps, trx, {
    domain: 'payment',
    action: 'refund_completed',
    actor: { type: 'system' },
    subject: { type: 'refund', id: refund.id },
    changes: {
      order_id: order.id,
      stripe_refund_id: stripeRefundId,
      amount: refund.refund_amount,
      order_refund_status: full ? 'FULL' : 'PARTIAL',
    },
  });
}

async function failRefund(
  deps: Deps,
  trx: Executor,
  order: RefundOrderRow,
  refund: RefundRow,
  reason: string,
) {
  await moveRefund(trx, refund.id, ['PROCESSING'], {
    status: 'FAILED',
    stripe_refund_id: refund.stripe_refund_id,
    failure_reason: reason,
  });
  await setCancellationStatusOfRefund(trx, refund.id, 'FAILED', null);
  await recordAudit(deps, trx, {
    domain: 'payment',
    action: 'refund_failed',
    actor: { type: 'system' },
    subject: { type: 'refund', id: refund.id },
    changes: {
      order_id: order.id,
      stripe_refund_id: refund.stripe_refund_id,
      attempt: refund.attempt,
      reason,
    },
  });
}
