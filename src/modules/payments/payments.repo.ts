import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Payments } from '../../platform/db/types.generated.ts';

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
