import type { AppDeps } from '../../deps.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { approveRefund, rejectRefund, requestRefundIn } from '../sales/refunds.service.ts';
import { assertRequester } from './requester.ts';
import { findOrderBuyer, findRefundRequest, insertRefundRequest } from './refund-requests.repo.ts';
import { refundRequestPolicy, SUPPORT_WINDOW_MS } from './support.rules.ts';

/**
 * Support refund requests (E10-F3): an agent asks for a refund for the buyer who called.
 * The refund is the staff refund of the sales module (sales/refunds.service.ts, source
 * SUPPORT: ticket amount back, fee kept, tickets REFUNDED and seats back on sale, Stripe
 * job, credit note), under the desk's rule (support.rules.ts `refundRequestPolicy`):
 * - 48 h or more before kick-off: no reason needed, processed at once whatever the amount;
 * - less than 48 h: a reason is required (400 REFUND_REASON_REQUIRED), and above
 *   REFUND_APPROVAL_THRESHOLD the refund waits (PENDING_APPROVAL) for a SUPPORT_SUPERVISOR
 *   (`approveSupportRefund`; never the requesting agent, the refunds' own rule).
 * Only for the buyer's own order: the requester's name and contact must be the buyer's
 * (403 REQUESTER_NOT_OWNER). One transaction: refund, request row, audit.
 */

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'jobs'>;

/** What a refund requested well ahead without a reason says in `refunds.reason`. */
export const NO_REASON_NEEDED = 'Support request 48 h or more before kick-off (no reason needed)';

export interface RefundRequestInput {
  requested_by_name: string;
  requested_by_contact: string;
  ticket_ids?: string[];
  reason?: string;
}

export async function requestSupportRefund(
  deps: Deps,
  agentId: string,
  orderId: string,
  input: RefundRequestInput,
) {
  const buyer = await findOrderBuyer(deps.db, orderId);
  if (!buyer) throw notFound('Order');
  assertRequester({ full_name: input.requested_by_name, contact: input.requested_by_contact }, [
    {
      full_name: buyer.buyer_name,
      emails: [buyer.buyer_email, buyer.buyer_profile_email],
      phones: [buyer.buyer_phone],
    },
  ]);
  const now = deps.clock.now();
  const threshold = deps.config.REFUND_APPROVAL_THRESHOLD;
  const policy = (amount: number) =>
    refundRequestPolicy(buyer.kick_off_time, now, amount, threshold);
  const within48h = policy(0).within48h;
  if (within48h && !input.reason) {
    throw new AppError('REFUND_REASON_REQUIRED', undefined, {
      errors: [{ field: 'body.reason', message: 'required less than 48 h before kick-off' }],
      extra: {
        window_opened_at: new Date(buyer.kick_off_time.getTime() - SUPPORT_WINDOW_MS).toISOString(),
      },
    });
  }
  return deps.db.transaction().execute(async (trx) => {
    const refund = await requestRefundIn(
      deps,
      trx,
      agentId,
      orderId,
      { ticket_ids: input.ticket_ids, reason: input.reason ?? NO_REASON_NEEDED },
      (amount) => policy(amount).supervisorApproval,
    );
    const requiresSupervisor = refund.status === 'PENDING_APPROVAL';
    const row = await insertRefundRequest(trx, {
      refund_id: refund.id,
      order_id: orderId,
      requested_by_name: input.requested_by_name,
      requested_by_contact: input.requested_by_contact,
      within_48h: within48h,
      requires_supervisor: requiresSupervisor,
      agent_id: agentId,
      created_at: now,
    });
    await recordAudit(deps, trx, {
      domain: 'support',
      action: 'support_refund_requested',
      actor: { type: 'user', id: agentId },
      subject: { type: 'support_refund_request', id: row.id },
      changes: {
        refund_id: refund.id,
        order_id: orderId,
        refund_amount: refund.refund_amount,
        within_48h: within48h,
        requires_supervisor: requiresSupervisor,
        reason: input.reason ?? null,
      },
    });
    return {
      id: row.id,
      order_id: orderId,
      agent_id: agentId,
      within_48h: within48h,
      requires_supervisor: requiresSupervisor,
      refund,
      created_at: row.created_at.toISOString(),
    };
  });
}

async function refundOfRequest(deps: Pick<AppDeps, 'db'>, requestId: string) {
  const row = await findRefundRequest(deps.db, requestId);
  if (!row) throw new AppError('NOT_A_SUPPORT_REFUND');
  return row.refund_id;
}

/** A supervisor lets a request waiting for approval go ahead (the refunds' approval). */
export async function approveSupportRefund(deps: Deps, supervisorId: string, requestId: string) {
  return approveRefund(deps, supervisorId, await refundOfRequest(deps, requestId));
}

export async function rejectSupportRefund(
  deps: Deps,
  supervisorId: string,
  requestId: string,
  input: { reason: string },
) {
  return rejectRefund(deps, supervisorId, await refundOfRequest(deps, requestId), input);
}
