import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import {
  succeededPaymentUpsert,
  webhookClaimInsert,
  type PaymentRow,
  type WebhookEventClaim,
} from '../payments/payments.repo.ts';
import type { OrderRow } from './orders.repo.ts';

/**
 * SQL of settlement (settlement.service.ts): the first statement of a payment event, which
 * claims the event, locks its order and, for a success, records it on the payment, in one
 * round trip on the payment hot path. The payment tables' parts are the payments module's
 * (payments.repo.ts); the order's lock is this module's.
 */

/** An order as a payment event settles it, with what the fan is told about it. */
export interface SettlementOrderRow extends OrderRow {
  /** the match's status as the share lock of its row read it (a cancellation, E2-F7) */
  match_status: string;
  home_team: string;
  away_team: string;
  kick_off_time: Date;
  buyer_email: string;
}

/**
 * The CTEs `claimed` and `locked` of a payment event's first statement: the event's claim
 * (payments' webhookClaimInsert) and, only when the claim inserted the event row, the lock
 * of its order (FOR UPDATE of the order row) with the match and the buyer's email the
 * notifications need (both always exist: NOT NULL foreign keys of the order). The match
 * row is share-locked after the order's (the row marks' order) and its status read at the
 * lock: a cancellation (E2-F7) that committed is seen, one under way waits for this event
 * to commit (it locks the open orders first, then the match row, so the two never
 * deadlock), and its job then refunds this order's tickets with the others. A
 * concurrent delivery of the same event waits on the claim until the first one's
 * transaction ends and then, as a duplicate, neither locks nor reads the order.
 */
function claimedAndLockedCtes(event: WebhookEventClaim, orderId: string) {
  return sql`
    claimed AS (${webhookClaimInsert(event)}
    ),
    locked AS MATERIALIZED (
      SELECT o.*, m.status AS match_status, m.home_team, m.away_team, m.kick_off_time,
             u.email AS buyer_email
        FROM orders o
        JOIN matches m ON m.id = o.match_id
        JOIN users u ON u.id = o.user_id
       WHERE o.id = ${orderId} AND EXISTS (SELECT 1 FROM claimed)
         FOR UPDATE OF o FOR SHARE OF m
    )`;
}

/**
 * Claims a payment event and locks its order (claimedAndLockedCtes) in one statement.
 * Returns undefined for a duplicate, else the locked order (undefined when there is no
 * such order).
 */
export async function claimWebhookEventLockingOrder(
  db: Executor,
  event: WebhookEventClaim,
  orderId: string,
): Promise<{ order: SettlementOrderRow | undefined } | undefined> {
  const { rows } = await sql<SettlementOrderRow & { claimed_event_id: string }>`
    WITH ${claimedAndLockedCtes(event, orderId)}
    SELECT claimed.id AS claimed_event_id, locked.* FROM claimed LEFT JOIN locked ON true`.execute(
    db,
  );
  const row = rows[0];
  if (!row) return undefined;
  const { claimed_event_id: _claimed, ...order } = row;
  return { order: order.id === null ? undefined : order };
}

/**
 * A succeeded PaymentIntent's event, in one statement: claims the event and locks its
 * order (claimedAndLockedCtes) and records the success on the order's payment (payments'
 * succeededPaymentUpsert). Returns undefined for a duplicate, else the locked order and
 * its payment as updated (both undefined when there is no such order).
 */
export async function claimSucceededEventRecordingPayment(
  db: Executor,
  event: WebhookEventClaim,
  orderId: string,
  success: { paymentIntentId: string; chargeId: string | null; now: Date },
): Promise<
  | { order: SettlementOrderRow; payment: Pick<PaymentRow, 'id' | 'refund_requested_at'> }
  | { order: undefined; payment: undefined }
  | undefined
> {
  const { rows } = await sql<
    SettlementOrderRow & {
      claimed_event_id: string;
      paid_payment_id: string;
      paid_refund_requested_at: Date | null;
    }
  >`
    WITH ${claimedAndLockedCtes(event, orderId)},
    paid AS (${succeededPaymentUpsert('locked', success)}
    )
    SELECT claimed.id AS claimed_event_id, locked.*,
           paid.id AS paid_payment_id, paid.refund_requested_at AS paid_refund_requested_at
      FROM claimed LEFT JOIN locked ON true LEFT JOIN paid ON true`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  const {
    claimed_event_id: _claimed,
    paid_payment_id: paymentId,
    paid_refund_requested_at: refundRequestedAt,
    ...order
  } = row;
  if (order.id === null) return { order: undefined, payment: undefined };
  return { order, payment: { id: paymentId, refund_requested_at: refundRequestedAt } };
}
