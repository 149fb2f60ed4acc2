import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type {
  CreditNoteRequests,
  OrderRefundStatus,
  Refunds,
  RefundSource,
  RefundStatus,
  SeatStatus,
  TicketCancelReason,
} from '../../platform/db/types.generated.ts';
import { ticketSources, ticketTarget, type TicketEvent } from './order-state.ts';

/**
 * SQL of refunds (E8-F3) and of what a refund or a cancellation does to tickets and seats
 * (ticket-returns.ts). Lock order everywhere: the order row, then its tickets, then the
 * refund rows; so a staff refund, a fan's cancellation, an approval and Stripe's refund
 * events on one order run one after the other.
 */

export type RefundRow = Selectable<Refunds>;

/** An order as a refund or cancellation reads it under its row lock. */
export interface RefundOrderRow {
  id: string;
  user_id: string;
  match_id: string;
  order_number: string;
  status: string;
  total_amount: number;
  currency: string;
  refunded_amount: number;
  kick_off_time: Date;
  home_team: string;
  away_team: string;
  buyer_email: string;
  payment_id: string | null;
  payment_amount: number | null;
  payment_status: string | null;
  payment_intent_id: string | null;
}

/** The order (FOR UPDATE of the order row) with its match, buyer and payment. */
export async function lockOrderForRefund(
  db: Executor,
  orderId: string,
): Promise<RefundOrderRow | undefined> {
  const { rows } = await sql<RefundOrderRow>`
    SELECT o.id, o.user_id, o.match_id, o.order_number, o.status, o.total_amount, o.currency,
           o.refunded_amount, m.kick_off_time, m.home_team, m.away_team, u.email AS buyer_email,
           p.id AS payment_id, p.amount AS payment_amount, p.status AS payment_status,
           p.stripe_payment_intent_id AS payment_intent_id
      FROM orders o
      JOIN matches m ON m.id = o.match_id
      JOIN users u ON u.id = o.user_id
      LEFT JOIN payments p ON p.order_id = o.id
     WHERE o.id = ${orderId}
       FOR UPDATE OF o`.execute(db);
  return rows[0];
}

/** Whether the user owns a ticket of the order (a holder it was transferred to). */
export async function ownsTicketOfOrder(
  db: Executor,
  orderId: string,
  userId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('tickets')
    .select('id')
    .where('order_id', '=', orderId)
    .where('owner_user_id', '=', userId)
    .executeTakeFirst();
  return !!row;
}

export interface ReturnTicketRow {
  id: string;
  status: string;
  owner_user_id: string;
  match_seat_inventory_id: string;
  price_amount: number;
  fee_amount: number;
  holder_name: string | null;
  holder_email: string | null;
  /** the ticket is in a refund that is not rejected (refund_tickets.released_at NULL) */
  in_refund: boolean;
  /** the ticket changed holder at least once (transfer_logs) */
  transferred: boolean;
}

/**
 * The order's tickets (all, or those ids of it), locked FOR UPDATE, with their holders.
 * The refund and transfer flags are read by a second statement after the lock is taken,
 * so they see what a transaction that held the lock before committed (READ COMMITTED
 * takes a new snapshot per statement).
 */
export async function lockOrderTickets(
  db: Executor,
  orderId: string,
  ticketIds: readonly string[] | null,
): Promise<ReturnTicketRow[]> {
  const { rows: locked } = await sql<{ id: string }>`
    SELECT t.id FROM tickets t
     WHERE t.order_id = ${orderId}
       ${ticketIds ? sql`AND t.id = ANY (${ticketIds}::uuid[])` : sql``}
     ORDER BY t.id
       FOR UPDATE`.execute(db);
  if (locked.length === 0) return [];
  const { rows } = await sql<ReturnTicketRow>`
    SELECT t.id, t.status, t.owner_user_id, t.match_seat_inventory_id, t.price_amount,
           t.fee_amount, h.full_name AS holder_name, h.email AS holder_email,
           EXISTS (SELECT 1 FROM refund_tickets rt
                    WHERE rt.ticket_id = t.id AND rt.released_at IS NULL) AS in_refund,
           EXISTS (SELECT 1 FROM transfer_logs l WHERE l.ticket_id = t.id) AS transferred
      FROM tickets t
      LEFT JOIN ticket_holders h ON h.ticket_id = t.id
     WHERE t.id = ANY (${locked.map((r) => r.id)}::uuid[])
     ORDER BY t.id`.execute(db);
  return rows;
}

/** What the order's refunds not rejected give back (or will): the cap is the payment. */
export async function sumLiveRefunds(db: Executor, orderId: string): Promise<number> {
  const row = await db
    .selectFrom('refunds')
    .select(sql<number>`coalesce(sum(refund_amount), 0)::int`.as('total'))
    .where('order_id', '=', orderId)
    .where('status', '<>', 'REJECTED')
    .executeTakeFirstOrThrow();
  return Number(row.total);
}

export async function insertRefund(db: Executor, refund: Insertable<Refunds>): Promise<RefundRow> {
  return db.insertInto('refunds').values(refund).returningAll().executeTakeFirstOrThrow();
}

export async function insertRefundTickets(
  db: Executor,
  refundId: string,
  tickets: ReadonlyArray<{ id: string; price_amount: number; fee_amount: number }>,
  refundedFee: boolean,
): Promise<void> {
  await db
    .insertInto('refund_tickets')
    .values(
      tickets.map((t) => ({
        refund_id: refundId,
        ticket_id: t.id,
        ticket_amount: t.price_amount,
        fee_amount: t.fee_amount,
        refunded_fee: refundedFee,
      })),
    )
    .execute();
}

/** A rejected refund gives its tickets back to the order (they may be refunded again). */
export async function releaseRefundTickets(db: Executor, refundId: string, now: Date) {
  await db
    .updateTable('refund_tickets')
    .set({ released_at: now })
    .where('refund_id', '=', refundId)
    .where('released_at', 'is', null)
    .execute();
}

export async function listRefundTicketIds(db: Executor, refundId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('refund_tickets')
    .select('ticket_id')
    .where('refund_id', '=', refundId)
    .orderBy('ticket_id')
    .execute();
  return rows.map((r) => r.ticket_id);
}

export async function findRefund(
  db: Executor,
  refundId: string,
  options: { forUpdate?: boolean } = {},
): Promise<RefundRow | undefined> {
  let query = db.selectFrom('refunds').selectAll().where('id', '=', refundId);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function findRefundIdByStripeId(
  db: Executor,
  stripeRefundId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('refunds')
    .select('id')
    .where('stripe_refund_id', '=', stripeRefundId)
    .executeTakeFirst();
  return row?.id;
}

/**
 * Moves a refund from one of `from` to its next status with the other fields; false when
 * it is no longer in one of them (someone else moved it first).
 */
export async function moveRefund(
  db: Executor,
  refundId: string,
  from: readonly RefundStatus[],
  set: Updateable<Refunds> & { status: RefundStatus },
): Promise<boolean> {
  const result = await db
    .updateTable('refunds')
    .set(set)
    .where('id', '=', refundId)
    .where('status', 'in', from)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export interface RefundListFilter {
  status?: RefundStatus;
  source?: RefundSource;
  order_id?: string;
  match_id?: string;
  limit: number;
  offset: number;
}

export interface RefundListRow extends RefundRow {
  order_number: string;
  match_id: string;
  ticket_ids: string[];
}

export async function listRefunds(
  db: Executor,
  filter: RefundListFilter,
): Promise<{ items: RefundListRow[]; total: number }> {
  const query = db
    .selectFrom('refunds as r')
    .innerJoin('orders as o', 'o.id', 'r.order_id')
    .$if(!!filter.status, (q) => q.where('r.status', '=', filter.status!))
    .$if(!!filter.source, (q) => q.where('r.source', '=', filter.source!))
    .$if(!!filter.order_id, (q) => q.where('r.order_id', '=', filter.order_id!))
    .$if(!!filter.match_id, (q) => q.where('o.match_id', '=', filter.match_id!));
  const total = await query.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  const items = await query
    .selectAll('r')
    .select(['o.order_number', 'o.match_id'])
    .select(
      sql<
        string[]
      >`ARRAY(SELECT rt.ticket_id FROM refund_tickets rt WHERE rt.refund_id = r.id ORDER BY rt.ticket_id)`.as(
        'ticket_ids',
      ),
    )
    .orderBy('r.created_at', 'desc')
    .orderBy('r.id')
    .limit(filter.limit)
    .offset(filter.offset)
    .execute();
  return { items, total: Number(total.n) };
}

// Tickets and seats ---------------------------------------------------------------------

/**
 * The tickets leave SOLD through `event` (TICKET_REFUNDED, CANCELLED_BY_BUYER or, for a
 * cancelled match, MATCH_CANCELLED_REFUNDED); returns
 * how many did (all of them, or the caller rolls back).
 */
export async function returnTickets(
  db: Executor,
  ticketIds: readonly string[],
  event: Extract<
    TicketEvent,
    'TICKET_REFUNDED' | 'CANCELLED_BY_BUYER' | 'MATCH_CANCELLED_REFUNDED' | 'MATCH_CANCELLED_UNPAID'
  >,
  input: { now: Date; by: string | null; reason: TicketCancelReason },
): Promise<number> {
  const result = await db
    .updateTable('tickets')
    .set({
      status: ticketTarget(event),
      cancelled_at: input.now,
      cancelled_by: input.by,
      cancellation_reason: input.reason,
    })
    .where('id', 'in', [...ticketIds])
    .where('status', 'in', ticketSources(event))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * The tickets' SOLD seats go back to the inventory as `to` (AVAILABLE, or BLOCKED close to
 * kick-off) with their seat trail (TICKET_RETURNED), in one statement.
 */
export async function returnSeats(
  db: Executor,
  input: {
    orderId: string;
    ticketIds: readonly string[];
    to: Extract<SeatStatus, 'AVAILABLE' | 'BLOCKED'>;
    reason: string;
    by: string | null;
    now: Date;
  },
): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    WITH t AS (
      SELECT id, match_seat_inventory_id FROM tickets WHERE id = ANY (${input.ticketIds}::uuid[])
    ),
    seats AS (
      UPDATE match_seat_inventory m
         SET status = ${input.to}::seat_status, hold_kind = NULL, hold_owner_id = NULL,
             held_until = NULL, last_modified_by = ${input.by}::uuid,
             last_modified_at = ${input.now}, version = m.version + 1
        FROM t
       WHERE m.id = t.match_seat_inventory_id AND m.status = 'SOLD'
      RETURNING m.id, t.id AS ticket_id
    ),
    logged AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, ticket_id,
              order_id, action, created_at)
      SELECT s.id, 'SOLD', ${input.to}::seat_status, ${input.reason}, ${input.by}::uuid,
             s.ticket_id, ${input.orderId}::uuid, 'TICKET_RETURNED', ${input.now}
        FROM seats s
    )
    SELECT count(*)::int AS n FROM seats`.execute(db);
  return Number(rows[0]!.n);
}

/** How many of the order's tickets are still valid (not refunded or cancelled). */
export async function countValidTickets(db: Executor, orderId: string): Promise<number> {
  const row = await db
    .selectFrom('tickets')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('order_id', '=', orderId)
    .where('status', 'in', ['SOLD', 'ATTENDED'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Adds a completed refund to the order's refund summary (E9-F7). */
export async function addOrderRefund(
  db: Executor,
  orderId: string,
  amount: number,
  refundStatus: OrderRefundStatus,
): Promise<void> {
  await db
    .updateTable('orders')
    .set({ refunded_amount: sql`refunded_amount + ${amount}`, refund_status: refundStatus })
    .where('id', '=', orderId)
    .execute();
}

export async function insertCreditNoteRequest(
  db: Executor,
  row: Insertable<CreditNoteRequests>,
): Promise<void> {
  await db.insertInto('credit_note_requests').values(row).execute();
}

/** Other refunds of the order not yet settled (waiting, at Stripe, or failed). */
export async function countUnsettledRefunds(
  db: Executor,
  orderId: string,
  exceptRefundId: string,
): Promise<number> {
  const row = await db
    .selectFrom('refunds')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('order_id', '=', orderId)
    .where('id', '<>', exceptRefundId)
    .where('status', 'in', ['PENDING', 'PENDING_APPROVAL', 'APPROVED', 'PROCESSING', 'FAILED'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** What the Stripe refund job needs: the refund and its payment's PaymentIntent. */
export async function findRefundTarget(db: Executor, refundId: string) {
  return db
    .selectFrom('refunds as r')
    .innerJoin('payments as p', 'p.id', 'r.payment_id')
    .select([
      'r.id',
      'r.order_id',
      'r.status',
      'r.attempt',
      'r.refund_amount',
      'r.stripe_refund_id',
      'p.stripe_payment_intent_id as payment_intent_id',
    ])
    .where('r.id', '=', refundId)
    .executeTakeFirst();
}

/**
 * PROCESSING refunds unchanged for `ageMs`: Stripe's answer may have been lost. Database
 * time, like updated_at (set by the table's trigger).
 */
export async function listStaleProcessingRefunds(
  db: Executor,
  ageMs: number,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('refunds')
    .select('id')
    .where('status', '=', 'PROCESSING')
    .where('updated_at', '<', sql<Date>`now() - make_interval(secs => ${ageMs / 1000})`)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Marks a refund as looked at (its updated_at), so the next check waits its turn. */
export async function touchRefund(db: Executor, refundId: string): Promise<void> {
  await db
    .updateTable('refunds')
    .set({ updated_at: sql`now()` })
    .where('id', '=', refundId)
    .execute();
}

/** The order's match-cancellation refund (source SYSTEM: at most one, a unique index). */
export async function findSystemRefund(db: Executor, orderId: string) {
  return db
    .selectFrom('refunds')
    .select(['id', 'status'])
    .where('order_id', '=', orderId)
    .where('source', '=', 'SYSTEM')
    .executeTakeFirst();
}

/** The order's refunds waiting for a SUPER_ADMIN's approval (read under the order lock). */
export async function pendingApprovalRefunds(db: Executor, orderId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('refunds')
    .select('id')
    .where('order_id', '=', orderId)
    .where('status', '=', 'PENDING_APPROVAL')
    .forUpdate()
    .execute();
  return rows.map((r) => r.id);
}

/**
 * The next paid orders of a cancelled match without their SYSTEM refund, by id after
 * `afterId` (keyset: a run walks the orders once; a run that starts again walks them
 * again and finds the refunded ones gone).
 */
export async function paidOrdersWithoutSystemRefund(
  db: Executor,
  matchId: string,
  afterId: string | null,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('orders as o')
    .innerJoin('payments as p', (j) =>
      j.onRef('p.order_id', '=', 'o.id').on('p.status', '=', 'SUCCEEDED'),
    )
    .select('o.id')
    .where('o.match_id', '=', matchId)
    .where('o.status', '=', 'COMPLETED')
    .$if(afterId !== null, (q) => q.where('o.id', '>', afterId!))
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('refunds as r')
            .select('r.id')
            .whereRef('r.order_id', '=', 'o.id')
            .where('r.source', '=', 'SYSTEM'),
        ),
      ),
    )
    .orderBy('o.id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Paid orders of the match (COMPLETED, payment SUCCEEDED): what a cancellation refunds. */
export async function countPaidOrders(db: Executor, matchId: string): Promise<number> {
  const row = await db
    .selectFrom('orders as o')
    .innerJoin('payments as p', (j) =>
      j.onRef('p.order_id', '=', 'o.id').on('p.status', '=', 'SUCCEEDED'),
    )
    .select(sql<number>`count(*)::int`.as('n'))
    .where('o.match_id', '=', matchId)
    .where('o.status', '=', 'COMPLETED')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * A cancelled match's valid tickets whose order has no succeeded payment (a free quota
 * claim), locked, with their orders: nothing to refund, they are only cancelled.
 */
export async function lockUnpaidValidTickets(db: Executor, matchId: string) {
  const { rows } = await sql<{ id: string; order_id: string }>`
    SELECT t.id, t.order_id FROM tickets t
     WHERE t.match_id = ${matchId} AND t.status = 'SOLD'
       AND NOT EXISTS (SELECT 1 FROM payments p
                        WHERE p.order_id = t.order_id AND p.status = 'SUCCEEDED')
     ORDER BY t.id
       FOR UPDATE OF t`.execute(db);
  return rows;
}
