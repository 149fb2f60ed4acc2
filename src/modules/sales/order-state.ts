import type { OrderStatus, TicketStatus } from '../../platform/db/types.generated.ts';

/**
 * The one owner of order and ticket state: the state machines as data. Every write of
 * `orders.status` and `tickets.status` names an event of these machines; the repos take the
 * target status and the WHERE status IN (...) of their statements from here, so the SQL
 * and the machine cannot disagree. The single exception is the joint statement that
 * completes the order with the fan's queue entry on the payment hot path
 * (queue/queue.repo.ts completePurchase): settlement checks that transition here first,
 * under the order's row lock.
 *
 * Pure: no I/O. Property-tested in order-state.test.ts.
 */

/** Who may cause an event. */
export type Actor =
  /** the buyer, through the public API */
  | 'fan'
  /** a Stripe payment event, handled by settlement (settlement.service.ts) */
  | 'stripe'
  /** the expired-hold sweeper (sales.jobs.ts) */
  | 'sweeper'
  /** the payments module's refund job, once Stripe refunded (payments.jobs.ts) */
  | 'refund-job'
  /** staff on the admin API: closing a match (access-control), a refund requested or approved (refunds.service.ts) */
  | 'admin'
  /** the quotas module: a quota claim expired or abandoned, its quota cancelled (E7-F5, E7-F7) */
  | 'quota'
  /** a petrol-station cashier on the petrol portal, after taking cash or card (E12-F2) */
  | 'petrol'
  /** the match cancellation's job (matches module, E2-F7): the refund of every paid order */
  | 'cancellation-job';

export interface Transition<S extends string> {
  readonly from: readonly S[];
  readonly to: S;
  readonly by: Actor;
  /** Why the event exists (and the condition checked by the caller, if any). */
  readonly why: string;
}

export interface Creation<S extends string> {
  readonly to: S;
  readonly by: Actor;
  readonly why: string;
}

export interface StateMachine<S extends string, E extends string, C extends string> {
  readonly name: string;
  /** Every status of the database enum; `terminal`: no event leaves it. */
  readonly states: Readonly<Record<S, { readonly terminal: boolean }>>;
  /** Events that create a row, and the status it starts in. */
  readonly creations: Readonly<Record<C, Creation<S>>>;
  readonly events: Readonly<Record<E, Transition<S>>>;
}

function defineMachine<S extends string, E extends string, C extends string>(
  machine: StateMachine<S, E, C>,
): StateMachine<S, E, C> {
  // A terminal state that an event leaves is a contradiction in the data: fail at load.
  for (const [event, t] of Object.entries<Transition<S>>(machine.events)) {
    for (const s of t.from) {
      if (machine.states[s].terminal) {
        throw new Error(`${machine.name}: ${event} leaves the terminal state ${s}`);
      }
    }
  }
  return machine;
}

/** Open orders: the fan may still pay them; they hold seats. */
const OPEN = ['PENDING', 'PAYMENT_PENDING', 'PAYMENT_FAILED'] as const;
/** Orders a payment success may still settle (a late success on a swept order included). */
const SETTLEABLE = [...OPEN, 'CANCELLED'] as const;

export type OrderEvent =
  | 'PAYMENT_STARTED'
  | 'PAYMENT_FAILED'
  | 'PAYMENT_SUCCEEDED'
  | 'SEATS_LOST'
  | 'AMOUNT_MISMATCH'
  | 'CART_EXPIRED'
  | 'CART_CLEARED'
  | 'HOLD_EXPIRED'
  | 'REFUNDED'
  | 'QUOTA_FREE_CLAIMED'
  | 'QUOTA_CLAIM_DEFERRED'
  | 'OFFER_PAID'
  | 'QUOTA_CLAIM_ABANDONED'
  | 'ORDER_BLACKLISTED'
  | 'PETROL_SALE_CONFIRMED'
  | 'MATCH_CANCELLED'
  | 'PAID_AFTER_MATCH_CANCELLED';

/** The events that cancel an order; each is also the order's `cancellation_reason`. */
export type OrderCancellation = Extract<
  OrderEvent,
  | 'SEATS_LOST'
  | 'AMOUNT_MISMATCH'
  | 'CART_EXPIRED'
  | 'CART_CLEARED'
  | 'HOLD_EXPIRED'
  | 'QUOTA_CLAIM_ABANDONED'
  | 'ORDER_BLACKLISTED'
  | 'MATCH_CANCELLED'
  | 'PAID_AFTER_MATCH_CANCELLED'
>;

export const ORDER_MACHINE = defineMachine<OrderStatus, OrderEvent, 'HOLDERS_NAMED'>({
  name: 'order',
  states: {
    PENDING: { terminal: false },
    PAYMENT_PENDING: { terminal: false },
    PAYMENT_FAILED: { terminal: false },
    // Not terminal: a payment that succeeds after the hold was swept still completes the
    // order if nobody took the seats (E4-F7), or gets it refunded.
    CANCELLED: { terminal: false },
    // A quota claim paid later against a payment offer (E7-F5, E8-F4): its seats held by
    // the order until kick-off, not open (no card payment, no sweep).
    DEFERRED: { terminal: false },
    COMPLETED: { terminal: true },
    REFUNDED: { terminal: true },
  },
  creations: {
    HOLDERS_NAMED: {
      to: 'PENDING',
      by: 'fan',
      why: 'POST /checkout/ticket-holders writes the priced order (E4-F5)',
    },
  },
  events: {
    PAYMENT_STARTED: {
      from: OPEN,
      to: 'PAYMENT_PENDING',
      by: 'fan',
      why: 'POST /checkout/pay; again after a failure while the hold lasts (E4-F7)',
    },
    PAYMENT_FAILED: {
      from: ['PAYMENT_PENDING'],
      to: 'PAYMENT_FAILED',
      by: 'stripe',
      why: 'payment_intent.payment_failed; retryable with the same intent',
    },
    PAYMENT_SUCCEEDED: {
      from: SETTLEABLE,
      to: 'COMPLETED',
      by: 'stripe',
      why: 'payment_intent.succeeded whose seats were sold and tickets issued, no refund requested',
    },
    SEATS_LOST: {
      from: SETTLEABLE,
      to: 'CANCELLED',
      by: 'stripe',
      why: 'payment_intent.succeeded after a seat went to someone else: refund requested',
    },
    AMOUNT_MISMATCH: {
      from: SETTLEABLE,
      to: 'CANCELLED',
      by: 'stripe',
      why: "payment_intent.succeeded for an amount that is not the order's: refund requested",
    },
    CART_EXPIRED: {
      from: OPEN,
      to: 'CANCELLED',
      by: 'fan',
      why: "the fan's next cart addition finds the cart expired",
    },
    CART_CLEARED: {
      from: OPEN,
      to: 'CANCELLED',
      by: 'fan',
      why: 'DELETE /cart, also during payment',
    },
    HOLD_EXPIRED: {
      from: OPEN,
      to: 'CANCELLED',
      by: 'sweeper',
      why: 'no live hold left on the order',
    },
    REFUNDED: {
      from: ['CANCELLED'],
      to: 'REFUNDED',
      by: 'refund-job',
      why: 'the refund of a success that could not be fulfilled went through at Stripe',
    },
    QUOTA_FREE_CLAIMED: {
      from: ['PENDING'],
      to: 'COMPLETED',
      by: 'fan',
      why: 'a quota claim at discount_percent 100: nothing to pay, the tickets are issued with it (E7-F5)',
    },
    QUOTA_CLAIM_DEFERRED: {
      from: ['PENDING'],
      to: 'DEFERRED',
      by: 'fan',
      why: 'POST /quota-portal/quotas/{id}/payment on a deferred_payment quota: paid later against a payment offer (E7-F5)',
    },
    OFFER_PAID: {
      from: ['DEFERRED'],
      to: 'COMPLETED',
      by: 'admin',
      why: 'POST /admin/payment-offers/{id}/paid: finance received the money of the offer the order is in; its seats are sold and tickets issued (E8-F4)',
    },
    QUOTA_CLAIM_ABANDONED: {
      from: [...OPEN, 'DEFERRED'],
      to: 'CANCELLED',
      by: 'quota',
      why: 'the quota claim of the order expired or its quota was cancelled (a DEFERRED one too); the seats went back to the quota (E7-F5, E7-F7)',
    },
    ORDER_BLACKLISTED: {
      from: OPEN,
      to: 'CANCELLED',
      by: 'admin',
      why: 'POST /admin/blacklist/{id}/cancel-tickets (or an import batch): an open order of the listed buyer or naming a listed holder; a late payment success is refunded, not completed (E11-F4)',
    },
    PETROL_SALE_CONFIRMED: {
      from: ['PENDING'],
      to: 'COMPLETED',
      by: 'petrol',
      why: 'POST /petrol-portal/pins/{pin}/confirm: the cashier took cash or card, the tickets are issued with it (E12-F2)',
    },
    MATCH_CANCELLED: {
      // a DEFERRED quota claim too: it was never paid, and its offer must not complete it
      from: [...OPEN, 'DEFERRED'],
      to: 'CANCELLED',
      by: 'admin',
      why: 'POST /admin/matches/{id}/cancel: every open order of the match, its holds released (E2-F7)',
    },
    PAID_AFTER_MATCH_CANCELLED: {
      from: SETTLEABLE,
      to: 'CANCELLED',
      by: 'stripe',
      why: 'payment_intent.succeeded for an order of a cancelled match: no ticket, refund requested (E2-F7)',
    },
  },
});

export type TicketEvent =
  | 'HOLDER_TRANSFERRED'
  | 'SCANNED_AT_GATE'
  | 'ATTENDANCE_ASSUMED'
  | 'TICKET_REFUNDED'
  | 'CANCELLED_BY_BUYER'
  | 'BLACKLIST_CANCELLED'
  | 'MATCH_CANCELLED_REFUNDED'
  | 'MATCH_CANCELLED_UNPAID';

/**
 * Tickets: issued SOLD with their order's completion. A holder transfer (E9-F5) keeps the
 * ticket row and its seat, so it stays SOLD (new holder, barcode and QR on the same row);
 * TRANSFERRED is not entered. Closing a match (E2-F9, E13-F2) makes its scanned tickets
 * ATTENDED, or every valid one when the gates sent no data. A staff refund (E8-F3) makes a
 * SOLD ticket REFUNDED, the buyer's own cancellation (E9-F8) CANCELLED; both give the seat
 * back and are final (the money follows through the refund's job, retried by an admin when
 * Stripe fails it). A confirmed blacklist cancellation (E11-F4) makes a SOLD ticket
 * CANCELLED_BLACKLIST, without refund, for good (lifting the ban gives no ticket back). A
 * cancelled match's job (E2-F7) makes every SOLD ticket CANCELLED_MATCH_CANCELLED with its
 * order's full refund, final too.
 */
export const TICKET_MACHINE = defineMachine<
  TicketStatus,
  TicketEvent,
  'ISSUED' | 'QUOTA_ISSUED' | 'PETROL_ISSUED'
>({
  name: 'ticket',
  states: {
    SOLD: { terminal: false },
    // Terminal: attendance is history (loyalty points are earned on it).
    ATTENDED: { terminal: true },
    TRANSFERRED: { terminal: false },
    CANCELLED: { terminal: true },
    CANCELLED_MATCH_CANCELLED: { terminal: true },
    CANCELLED_BLACKLIST: { terminal: true },
    REFUNDED: { terminal: true },
  },
  creations: {
    ISSUED: {
      to: 'SOLD',
      by: 'stripe',
      why: "the order's payment succeeded and its seats were sold (E4-F8)",
    },
    QUOTA_ISSUED: {
      to: 'SOLD',
      by: 'fan',
      why: 'a free quota claim (discount_percent 100) sold its seats (E7-F5)',
    },
    PETROL_ISSUED: {
      to: 'SOLD',
      by: 'petrol',
      why: 'a petrol-station sale was confirmed by the cashier (E12-F2)',
    },
  },
  events: {
    HOLDER_TRANSFERRED: {
      from: ['SOLD'],
      to: 'SOLD',
      by: 'fan',
      why: 'POST /tickets/{id}/transfer by its owner, allowed and before the deadline (E9-F5)',
    },
    SCANNED_AT_GATE: {
      from: ['SOLD'],
      to: 'ATTENDED',
      by: 'admin',
      why: "POST /admin/matches/{id}/close with the gates' scans: the ticket's barcode was scanned (E2-F9, E13-F2)",
    },
    ATTENDANCE_ASSUMED: {
      from: ['SOLD'],
      to: 'ATTENDED',
      by: 'admin',
      why: 'POST /admin/matches/{id}/close without attendance data, with a reason: every valid ticket (E2-F9)',
    },
    TICKET_REFUNDED: {
      from: ['SOLD'],
      to: 'REFUNDED',
      by: 'admin',
      why: 'POST /admin/orders/{id}/refund under the threshold, or its approval (E8-F3)',
    },
    CANCELLED_BY_BUYER: {
      from: ['SOLD'],
      to: 'CANCELLED',
      by: 'fan',
      why: 'POST /orders/{id}/cancel-tickets by the buyer, 48 h or more before kick-off (E9-F8)',
    },
    BLACKLIST_CANCELLED: {
      from: ['SOLD'],
      to: 'CANCELLED_BLACKLIST',
      by: 'admin',
      why: "POST /admin/blacklist/{id}/cancel-tickets (or an import batch): the listed buyer's whole orders, the listed holder's own ticket; no refund (E11-F4)",
    },
    MATCH_CANCELLED_REFUNDED: {
      from: ['SOLD'],
      to: 'CANCELLED_MATCH_CANCELLED',
      by: 'cancellation-job',
      why: "the match was cancelled: the order's full refund, fee included, in the same transaction (E2-F7)",
    },
    MATCH_CANCELLED_UNPAID: {
      from: ['SOLD'],
      to: 'CANCELLED_MATCH_CANCELLED',
      by: 'cancellation-job',
      why: 'the match was cancelled: a ticket nobody paid for (a free quota claim) has nothing to refund (E2-F7)',
    },
  },
});

// Reading the machines ------------------------------------------------------------------

/** The state an event leads to from `from` when `by` causes it; undefined: not allowed. */
export function nextState<S extends string, E extends string>(
  machine: StateMachine<S, E, string>,
  from: S,
  event: E,
  by: Actor,
): S | undefined {
  const t = machine.events[event];
  return t.by === by && t.from.includes(from) ? t.to : undefined;
}

/** May this event move an order in this status? */
export const orderAllows = (from: OrderStatus, event: OrderEvent): boolean =>
  ORDER_MACHINE.events[event].from.includes(from);

/** The statuses an order event may start from: the WHERE status IN (...) of its statement. */
export const orderSources = (event: OrderEvent): readonly OrderStatus[] =>
  ORDER_MACHINE.events[event].from;

/** The status an order event writes. */
export const orderTarget = (event: OrderEvent): OrderStatus => ORDER_MACHINE.events[event].to;

/** The status a new order starts in. */
export const NEW_ORDER_STATUS: OrderStatus = ORDER_MACHINE.creations.HOLDERS_NAMED.to;

/** The status a new ticket starts in. */
export const ISSUED_TICKET_STATUS: TicketStatus = TICKET_MACHINE.creations.ISSUED.to;

/** Tickets that admit their holder: the ones a match change concerns (E2-F6). */
export const VALID_TICKET_STATUSES: readonly TicketStatus[] = ['SOLD', 'ATTENDED'];

/** The statuses a ticket event may start from: the WHERE status IN (...) of its statement. */
export const ticketSources = (event: TicketEvent): readonly TicketStatus[] =>
  TICKET_MACHINE.events[event].from;

/** The status a ticket event writes. */
export const ticketTarget = (event: TicketEvent): TicketStatus => TICKET_MACHINE.events[event].to;

/** Open orders (they may be paid and hold seats): the sources of the cancellations. */
export const OPEN_ORDER_STATUSES: readonly OrderStatus[] = OPEN;

/**
 * Checks an order transition the caller is about to write (under the order's row lock)
 * where the statement cannot check it itself; a refusal is a bug, not bad input.
 */
export function assertOrderTransition(from: OrderStatus, event: OrderEvent): OrderStatus {
  if (!orderAllows(from, event)) {
    throw new Error(`order: ${event} is not allowed from ${from}`);
  }
  return orderTarget(event);
}
