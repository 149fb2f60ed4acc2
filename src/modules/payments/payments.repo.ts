import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Payments } from '../../platform/db/types.generated.ts';
import type { OrderRow } from '../sales/sales.repo.ts';

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

/**
 * Claims a payment event (as claimWebhookEvent) and, the first time its id is seen, locks
 * its order (FOR UPDATE of the order row only) with the match and the buyer's email the
 * notifications need (both always exist: NOT NULL foreign keys of the order), in one
 * statement. A concurrent delivery of the same event waits on the claim until the first
 * one's transaction ends and then, as a duplicate, neither locks nor reads the order (the
 * lock is taken only when the claim inserted a row). Returns undefined for a duplicate,
 * else the locked order (undefined when there is no such order).
 */
export async function claimWebhookEventLockingOrder(
  db: Executor,
  event: { id: string; type: string; objectId: string | null; outcome: string },
  orderId: string,
): Promise<{ order: SettlementOrderRow | undefined } | undefined> {
  const { rows } = await sql<SettlementOrderRow & { claimed_event_id: string }>`
    WITH claimed AS (
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
    )
    SELECT claimed.id AS claimed_event_id, locked.* FROM claimed LEFT JOIN locked ON true`.execute(
    db,
  );
  const row = rows[0];
  if (!row) return undefined;
  const { claimed_event_id: _claimed, ...order } = row;
  return { order: order.id === null ? undefined : order };
}

/**
 * Records a succeeded PaymentIntent on the order's payment in one statement: creates the
 * payment if the order has none yet, otherwise locks and updates it (a first intent id,
 * charge id and completion time are kept). Returns the payment as updated.
 */
export async function recordPaymentSucceeded(
  db: Executor,
  input: {
    order_id: string;
    amount: number;
    currency: string;
    paymentIntentId: string;
    chargeId: string | null;
    now: Date;
  },
): Promise<PaymentRow> {
  return db
    .insertInto('payments')
    .values({
      order_id: input.order_id,
      amount: input.amount,
      currency: input.currency,
      status: 'SUCCEEDED',
      stripe_payment_intent_id: input.paymentIntentId,
      stripe_charge_id: input.chargeId,
      completed_at: input.now,
    })
    .onConflict((oc) =>
      oc.column('order_id').doUpdateSet({
        status: 'SUCCEEDED',
        stripe_payment_intent_id: sql<string>`coalesce(payments.stripe_payment_intent_id, excluded.stripe_payment_intent_id)`,
        stripe_charge_id: sql<string>`coalesce(excluded.stripe_charge_id, payments.stripe_charge_id)`,
        completed_at: sql<Date>`coalesce(payments.completed_at, excluded.completed_at)`,
        failed_at: null,
        failure_reason: null,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
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
