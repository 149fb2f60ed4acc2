import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { OrderStatus, Payments } from '../../platform/db/types.generated.ts';

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

export type WebhookEventClaim = {
  id: string;
  type: string;
  objectId: string | null;
  outcome: string;
};

/**
 * The claim of a webhook event, as a statement or a CTE of settlement's first statement
 * (sales/settlement.repo.ts): RETURNING its id the first time, nothing for a duplicate,
 * which (also when delivered concurrently) waits on the claim until the first one's
 * transaction ends.
 */
export function webhookClaimInsert(event: WebhookEventClaim) {
  return sql<{ id: string }>`
      INSERT INTO stripe_webhook_events (id, type, object_id, outcome)
      VALUES (${event.id}, ${event.type}, ${event.objectId}, ${event.outcome})
      ON CONFLICT (id) DO NOTHING
      RETURNING id`;
}

/**
 * A succeeded PaymentIntent recorded on the payment of the order that the CTE `orders`
 * selects (id, total_amount, currency; none: nothing written), for a CTE: creates the
 * payment if the order has none yet, otherwise locks and updates it (a first intent id,
 * charge id and completion time are kept). RETURNING id, refund_requested_at.
 */
export function succeededPaymentUpsert(
  orders: string,
  success: { paymentIntentId: string; chargeId: string | null; now: Date },
) {
  return sql`
      INSERT INTO payments
             (order_id, amount, currency, status, stripe_payment_intent_id, stripe_charge_id,
              completed_at)
      SELECT id, total_amount, currency, 'SUCCEEDED', ${success.paymentIntentId},
             ${success.chargeId}, ${success.now}::timestamptz
        FROM ${sql.table(orders)}
      ON CONFLICT (order_id) DO UPDATE
         SET status = 'SUCCEEDED',
             stripe_payment_intent_id =
               coalesce(payments.stripe_payment_intent_id, excluded.stripe_payment_intent_id),
             stripe_charge_id = coalesce(excluded.stripe_charge_id, payments.stripe_charge_id),
             completed_at = coalesce(payments.completed_at, excluded.completed_at),
             failed_at = NULL,
             failure_reason = NULL
      RETURNING id, refund_requested_at`;
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
): Promise<{ status: OrderStatus } | undefined> {
  const { rows } = await sql<{ status: OrderStatus }>`
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
export async function claimWebhookEvent(db: Executor, event: WebhookEventClaim): Promise<boolean> {
  const { rows } = await webhookClaimInsert(event).execute(db);
  return rows.length > 0;
}

export async function setWebhookOutcome(db: Executor, id: string, outcome: string) {
  await db.updateTable('stripe_webhook_events').set({ outcome }).where('id', '=', id).execute();
}
