import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';

/**
 * What sales tells the modules that sell through its orders (a quota claim, E7-F5) when an
 * order completes: its tickets, in the completing transaction, so their own state (the
 * quota seats SOLD with their tickets) commits with the order or not at all. Handlers are
 * registered when their module is loaded (modules/quotas/claims.service.ts); sales imports
 * none of them.
 */
export interface CompletedOrder {
  id: string;
  user_id: string;
  match_id: string;
  /** A shop order's cart; null for an order of another channel (a quota claim). */
  cart_id: string | null;
}

export interface IssuedTicket {
  id: string;
  inventory_id: string;
}

export type OrderCompletedHandler = (
  trx: Executor,
  order: CompletedOrder,
  tickets: IssuedTicket[],
  now: Date,
) => Promise<void>;

const handlers: OrderCompletedHandler[] = [];

export function onOrderCompleted(handler: OrderCompletedHandler): void {
  if (!handlers.includes(handler)) handlers.push(handler);
}

export async function announceOrderCompleted(
  trx: Executor,
  order: CompletedOrder,
  tickets: IssuedTicket[],
  now: Date,
): Promise<void> {
  for (const handler of handlers) await handler(trx, order, tickets, now);
}

/**
 * A card payment of an order failed (Stripe's payment_intent.payment_failed, the order now
 * PAYMENT_FAILED), in the settling transaction. A shop order stays open for a retry while
 * its hold lasts; a quota claim gives its seats back to the quota at once (quotas module).
 */
export type OrderPaymentFailedHandler = (
  deps: Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>,
  trx: Executor,
  order: CompletedOrder,
  now: Date,
) => Promise<void>;

const failedHandlers: OrderPaymentFailedHandler[] = [];

export function onOrderPaymentFailed(handler: OrderPaymentFailedHandler): void {
  if (!failedHandlers.includes(handler)) failedHandlers.push(handler);
}

export async function announceOrderPaymentFailed(
  deps: Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>,
  trx: Executor,
  order: CompletedOrder,
  now: Date,
): Promise<void> {
  for (const handler of failedHandlers) await handler(deps, trx, order, now);
}

/**
 * A match's sale was closed for good (its cancellation, E2-F7), in the cancelling
 * transaction, before its open orders are cancelled: a module with sales of its own in
 * progress closes them (a quota claim gives its seats back to its quota, its order —
 * DEFERRED included — abandoned), so its state agrees with the inventory the cancellation
 * then releases.
 */
export type MatchSaleClosedHandler = (
  deps: Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>,
  trx: Executor,
  matchId: string,
  now: Date,
) => Promise<void>;

const closedHandlers: MatchSaleClosedHandler[] = [];

export function onMatchSaleClosed(handler: MatchSaleClosedHandler): void {
  if (!closedHandlers.includes(handler)) closedHandlers.push(handler);
}

export async function announceMatchSaleClosed(
  deps: Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>,
  trx: Executor,
  matchId: string,
  now: Date,
): Promise<void> {
  for (const handler of closedHandlers) await handler(deps, trx, matchId, now);
}
