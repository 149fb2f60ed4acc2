import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Payments } from '../../platform/db/types.generated.ts';
import type { OrderRow } from '../sales/orders.repo.ts';

/** SQL on payments and stripe_webhook_events (E4-F7, E8-F1). */
export type PaymentRow = Selectable<Payments>;

export async function ensurePayment(
  db: Executor,
  values: Pick<Insertable<Payments>, 'order_id' | 'amount' | 'currency'>,
): Promise<void> {
  await db
    .insertInto('payments')
    .values(values)
    .onConflict((oc) => oc.column('order_id').doNothing())
    .execute();
}

/** An order as a payment event settles it, with what the fan is told about it. */
export interface SettlementOrderRow extends OrderRow {
  home_team: string;
  away_team: string;
  kick_off_time: Date;
  buyer_email: string;
}

type WebhookEventClaim = { id: string; type: string; objectId: string | null; outcome: string };

/**
 * The CTEs `claimed` and `locked` of a payment event's first statement: the event's claim
 * (as claimWebhookEvent) and, only when the claim inserted the event row, the lock of its
 * order (FOR UPDATE of the order row only) with the match and the buyer's email the
 * notifications need (both always exist: NOT NULL foreign keys of the order). A
 * concurrent delivery of the same event waits on the claim until the first one's
 * transaction ends and then, as a duplicate, neither locks nor reads the order.
 */
function claimedAndLockedCtes(event: WebhookEventClaim, orderId: string) {
  return sql`
    claimed AS (
      INSERT INTO stripe_webhook_events (id, type, object_id, outcome)
      VALUES (${event.id}, ${event.type}, ${event.objectId}, ${event.outcome})
      ON CONFLICT (id) DO NOTHING
      RETURNING id
    ),
    locked AS MATERIALIZED (
      SELECT o.*, m.home_team, m.away_team, m.kick_off_time, u.email AS buyer_email
        FROM orders o
        JOIN matches m ON m.id = o.match_id
        JOIN users u ON u.id = o.user_id
       WHERE o.id = ${orderId} AND EXISTS (SELECT 1 FROM claimed)
         FOR UPDATE OF o
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
 * order (claimedAndLockedCtes) and records the success on the order's payment: creates the
 * payment if the order has none yet, otherwise locks and updates it (a first intent id,
 * charge id and completion time are kept). Returns undefined for a duplicate, else the
 * locked order and its payment as updated (both undefined when there is no such order).
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
    paid AS (
      INSERT INTO payments
             (order_id, amount, currency, status, stripe_payment_intent_id, stripe_charge_id,
              completed_at)
      SELECT id, total_amount, currency, 'SUCCEEDED', ${success.paymentIntentId},
             ${success.chargeId}, ${success.now}::timestamptz
        FROM locked
      ON CONFLICT (order_id) DO UPDATE
         SET status = 'SUCCEEDED',
             stripe_payment_intent_id =
               coalesce(payments.stripe_payment_intent_id, excluded.stripe_payment_intent_id),
             stripe_charge_id = coalesce(excluded.stripe_charge_id, payments.stripe_charge_id),
             completed_at = coalesce(payments.completed_at, excluded.completed_at),
             failed_at = NULL,
             failure_reason = NULL
      RETURNING id, refund_requested_at
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

export async function findPaymentByOrder(
  db: Executor,
  orderId: string,
  options: { forUpdate?: boolean } = {},
): Promise<PaymentRow | undefined> {
  let q = db.selectFrom('payments').selectAll().where('order_id', '=', orderId);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function findPaymentByIntent(
  db: Executor,
  paymentIntentId: string,
): Promise<PaymentRow | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('stripe_payment_intent_id', '=', paymentIntentId)
    .executeTakeFirst();
}

export async function findPayment(
  db: Executor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<PaymentRow | undefined> {
  let q = db.selectFrom('payments').selectAll().where('id', '=', id);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

/**
 * Records the PaymentIntent of an order's payment. A webhook may have got there first (it
 * also sets the id), so neither the id nor a settled status is overwritten.
 */
export async function attachPaymentIntent(
  db: Executor,
  orderId: string,
  paymentIntentId: string,
): Promise<void> {
  await db
    .updateTable('payments')
    .set({
      stripe_payment_intent_id: sql<string>`coalesce(stripe_payment_intent_id, ${paymentIntentId})`,
      status: sql`CASE WHEN status = 'PENDING' THEN 'PROCESSING'::payment_status ELSE status END`,
    })
    .where('order_id', '=', orderId)
    .execute();
}

/**
 * POST /checkout/pay, once the PaymentIntent exists: locks the order and, unless it was
 * cancelled meanwhile, records the intent on its payment (as attachPaymentIntent), in one
 * statement. Returns the order's status as seen under the lock; for a CANCELLED order
 * nothing is written (the caller attaches and cancels the intent in one transaction).
 */
export async function attachPaymentIntentUnlessCancelled(
  db: Executor,
  orderId: string,
  paymentIntentId: string,
): Promise<{ status: OrderRow['status'] } | undefined> {
  const { rows } = await sql<{ status: OrderRow['status'] }>`
    WITH o AS MATERIALIZED (
      SELECT id, status FROM orders WHERE id = ${orderId} FOR UPDATE
    ),
    attached AS (
      UPDATE payments
         SET stripe_payment_intent_id = coalesce(stripe_payment_intent_id, ${paymentIntentId}),
             status = CASE WHEN status = 'PENDING' THEN 'PROCESSING'::payment_status ELSE status END
       WHERE order_id = ${orderId}
         AND NOT EXISTS (SELECT 1 FROM o WHERE o.status = 'CANCELLED')
    )
    SELECT status FROM o`.execute(db);
  return rows[0];
}

/** Payments of these orders that are still open (no success, no cancellation yet). */
export async function listOpenPaymentsOfOrders(
  db: Executor,
  orderIds: readonly string[],
): Promise<Array<{ id: string; order_id: string }>> {
  return db
    .selectFrom('payments')
    .select(['id', 'order_id'])
    .where('order_id', 'in', orderIds)
    .where('status', 'in', ['PENDING', 'PROCESSING', 'FAILED'])
    .execute();
}

/**
 * Marks a payment CANCELLED once Stripe cancelled its intent. A payment a webhook has
 * meanwhile settled as SUCCEEDED is left alone (the late-success path owns it).
 */
export async function markPaymentCancelled(
  db: Executor,
  id: string,
  reason: string,
): Promise<boolean> {
  const result = await db
    .updateTable('payments')
    .set({ status: 'CANCELLED', failure_reason: reason })
    .where('id', '=', id)
    .where('status', 'in', ['PENDING', 'PROCESSING', 'FAILED'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function updatePayment(
  db: Executor,
  id: string,
  values: Partial<Insertable<Payments>>,
): Promise<void> {
  await db.updateTable('payments').set(values).where('id', '=', id).execute();
}

/**
 * Claims a webhook event for handling: true the first time an event id is seen, false for
 * a duplicate delivery. Runs in the transaction of the event's effect, so an event whose
 * handling failed (rolled back) is handled again when Stripe redelivers it.
 */
export async function claimWebhookEvent(
  db: Executor,
  event: { id: string; type: string; objectId: string | null; outcome: string },
): Promise<boolean> {
  const row = await db
    .insertInto('stripe_webhook_events')
    .values({ id: event.id, type: event.type, object_id: event.objectId, outcome: event.outcome })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return !!row;
}

export async function setWebhookOutcome(db: Executor, id: string, outcome: string) {
  await db.updateTable('stripe_webhook_events').set({ outcome }).where('id', '=', id).execute();
}
