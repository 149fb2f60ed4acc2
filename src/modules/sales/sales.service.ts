import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { loyaltyStanding } from '../loyalty/loyalty.service.ts';
import { tiersOf, type LoyaltyTier } from '../loyalty/loyalty.rules.ts';
import { fanAllowance, fanLimit, loyaltyLimit, remainingAllowance } from './allowance.ts';
import { priceOrder } from '../payments/fees.ts';
import { requestIntentCancellations } from '../payments/payments.service.ts';
import { getPurchaseWindow, releaseBuyerSlot } from '../queue/queue.admission.ts';
import { claimAdjacentRun, claimSeparated, countClaimableBySector } from './claim.repo.ts';
import { feeRatesOf, isPresale, unitPrice } from './pricing.ts';
import { feeConfiguration, saleMatch, saleZone } from './sale-facts.ts';
import {
  countFanSeats,
  insertCart,
  lockOrOpenActiveCart,
  listActiveCarts,
  listCartsForRelease,
  listHeldSeats,
  lockPurchaseLimit,
  recordKeyedAddition,
  releaseHolds,
  setCartStatus,
  type CartRow,
  type HeldSeatRow,
  type ReleaseAudit,
} from './carts.repo.ts';
import { cancelOpenOrdersOfCarts, cancelOpenOrdersOfUser } from './orders.repo.ts';
import {
  findFeeConfiguration,
  findSaleZone,
  isCancelledStatus,
  listMatchPriceCategories,
  listSaleZones,
  listUpcomingMatches,
  type SaleMatchRow,
} from './sales.repo.ts';

/** Cart lifetime (E4-F4): from the queue window start, or from cart creation. */
export const CART_TTL_MS = 20 * 60_000;
/** Attempts of a cart addition whose candidate seats were all taken concurrently. */
const CLAIM_ATTEMPTS = 40;

type Deps = Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'redis' | 'config'>;

const iso = (d: Date) => d.toISOString();
const matchName = (m: { home_team: string; away_team: string }) =>
  `${m.home_team} – ${m.away_team}`;

// Listing (E4-F1) -------------------------------------------------------------------------

export type SaleStatus = 'not_on_sale' | 'on_sale' | 'sold_out';

export async function listMatches(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  page: number,
  limit: number,
) {
  const now = deps.clock.now();
  const { rows, total } = await listUpcomingMatches(deps.db, now, page, limit);
  const categories = await listMatchPriceCategories(
    deps.db,
    rows.map((r) => r.id),
  );
  const items = [];
  for (const m of rows) {
    const rates = feeRatesOf(await findFeeConfiguration(deps.db, m.id, now));
    const presale = isPresale(now, m.kick_off_time);
    const prices = categories
      .filter((c) => c.match_id === m.id)
      .map((c) => ({
        price_category_id: c.id,
        name: c.name,
        regular_price: c.price,
        presale_price: unitPrice(c.price, rates, true),
        current_price: unitPrice(c.price, rates, presale),
        currency: c.currency.trim(),
      }));
    const saleStatus: SaleStatus = !m.phase_id
      ? 'not_on_sale'
      : m.available > 0
        ? 'on_sale'
        : 'sold_out';
    items.push({
      id: m.id,
      home_team: m.home_team,
      away_team: m.away_team,
      competition: m.competition,
      kick_off_time: iso(m.kick_off_time),
      match_type: m.match_type,
      venue: m.venue_name ? { name: m.venue_name, city: m.venue_city } : null,
      sale_status: saleStatus,
      next_sale_start: m.next_phase_start ? iso(m.next_phase_start) : null,
      is_presale: presale,
      price_preview: {
        presale_from: prices.length ? Math.min(...prices.map((p) => p.presale_price)) : null,
        regular_from: prices.length ? Math.min(...prices.map((p) => p.regular_price)) : null,
        categories: prices,
      },
    });
  }
  return { items, total, page, limit };
}

// Zones (E4-F2) -------------------------------------------------------------------------

export async function getZones(
  deps: Pick<AppDeps, 'db' | 'clock' | 'config'>,
  matchId: string,
  userId: string | null,
) {
  const now = deps.clock.now();
  const match = await saleMatch(deps, matchId, now);
  if (!match || !['PUBLISHED', 'ACTIVE'].includes(match.status)) throw notFound('Match');
  const loyaltyPhase = match.phase_type === 'LOYALTY';
  const [zones, counts, feeRow, allowance] = await Promise.all([
    listSaleZones(deps.db, matchId),
    countClaimableBySector(deps.db, matchId, now),
    feeConfiguration(deps, matchId, now),
    userId ? fanAllowance(deps, userId, match, now) : Promise.resolve(null),
  ]);
  const rates = feeRatesOf(feeRow);
  const presale = isPresale(now, match.kick_off_time);
  const limit = allowance?.limit ?? fanLimit(match);
  const fanRemaining = allowance?.remaining ?? limit;
  const standing = allowance?.standing ?? null;
  return {
    match_id: match.id,
    on_sale: !!match.phase_id,
    phase_type: match.phase_type,
    is_presale: presale,
    fan_remaining: fanRemaining,
    loyalty: loyaltyPhase
      ? {
          tiers: tiersOf(match.phase_rules).sort((a, b) => a.min_points - b.min_points),
          balance: standing?.balance ?? null,
          tier: standing?.tier ?? null,
          eligible: standing ? !!standing.tier : null,
        }
      : null,
    zones: zones.map((z) => {
      const available = counts.get(z.id) ?? 0;
      return {
        id: z.id,
        name: z.name,
        code: z.code,
        price_category_id: z.price_category_id,
        price_category_name: z.price_category_name,
        regular_price: z.price,
        presale_price: unitPrice(z.price, rates, true),
        price: unitPrice(z.price, rates, presale),
        currency: z.currency.trim(),
        available,
        max_quantity: match.phase_id ? Math.min(limit, available, fanRemaining) : 0,
      };
    }),
  };
}

const limitExceeded = (limit: number, remaining: number, loyaltyTier: LoyaltyTier | null) =>
  new AppError(
    'PURCHASE_LIMIT_EXCEEDED',
    `You may have at most ${limit} tickets for this match` +
      (loyaltyTier ? ' in this loyalty phase' : '') +
      `; ${remaining} remain`,
    { extra: { limit, remaining, ...(loyaltyTier ? { loyalty_tier: loyaltyTier } : {}) } },
  );

// Cart (E4-F4) --------------------------------------------------------------------------

export interface CartView {
  id: string;
  match_id: string;
  match_name: string;
  expires_at: string;
  remaining_seconds: number;
  is_presale: boolean;
  seats: Array<{
    inventory_id: string;
    match_sector_id: string;
    sector_code: string;
    sector_name: string;
    row: string;
    seat_number: number;
    price: number;
  }>;
  ticket_amount: number;
  fee_amount: number;
  total_amount: number;
  currency: 'EUR';
}

async function cartView(
  deps: Pick<AppDeps, 'db' | 'clock' | 'config'>,
  cart: CartRow,
  match: Pick<SaleMatchRow, 'kick_off_time' | 'match_type' | 'home_team' | 'away_team'>,
  seats: HeldSeatRow[],
): Promise<CartView> {
  const now = deps.clock.now();
  const rates = feeRatesOf(await feeConfiguration(deps, cart.match_id, now));
  const presale = isPresale(now, match.kick_off_time);
  const prices = seats.map((s) => unitPrice(s.price ?? 0, rates, presale));
  const amounts = priceOrder(prices, match.match_type, rates);
  return {
    id: cart.id,
    match_id: cart.match_id,
    match_name: matchName(match),
    expires_at: iso(cart.expires_at),
    remaining_seconds: Math.max(0, Math.floor((cart.expires_at.getTime() - now.getTime()) / 1000)),
    is_presale: presale,
    seats: seats.map((s, i) => ({
      inventory_id: s.inventory_id,
      match_sector_id: s.match_sector_id,
      sector_code: s.sector_code,
      sector_name: s.sector_name,
      row: s.row_identifier,
      seat_number: s.seat_number,
      price: prices[i]!,
    })),
    ticket_amount: amounts.ticketAmount,
    fee_amount: amounts.feeAmount,
    total_amount: amounts.totalAmount,
    currency: 'EUR',
  };
}

class ClaimContended extends Error {}

export interface AddToCartInput {
  match_id: string;
  match_sector_id: string;
  quantity: number;
}

/** What a cart addition made with an Idempotency-Key keeps on its cart (carts.last_addition). */
interface KeyedAddition {
  key: string;
  asked: string;
  added: string[];
  warnings: string[];
}

const askedOf = (input: AddToCartInput) =>
  `${input.match_id}/${input.match_sector_id}/${input.quantity}`;

/** The earlier run of this keyed addition, when it committed on this live cart. */
function earlierAddition(
  cart: CartRow,
  key: string | null,
  input: AddToCartInput,
  now: Date,
): KeyedAddition | null {
  const last = cart.last_addition as KeyedAddition | null;
  if (!key || !last || last.key !== key || cart.expires_at <= now) return null;
  if (last.asked !== askedOf(input)) throw new AppError('IDEMPOTENCY_KEY_REUSED');
  return last;
}

/**
 * POST /cart/add: assigns `quantity` seats of a zone with the snake algorithm and holds
 * them for the fan's cart. One transaction per attempt: lock the fan's (fan, match) row,
 * check the per-match limit, get or open the cart, claim. When every candidate run was
 * taken by concurrent buyers the attempt rolls back (releasing its row locks) and retries
 * with a fresh snapshot; nobody ever waits on a seat lock.
 */
/** 409 MATCH_CANCELLED: the match was cancelled (E2-F7); nothing of it is sold any more. */
export const matchCancelled = () =>
  new AppError('MATCH_CANCELLED', 'The match was cancelled; its tickets are being refunded');

export async function addToCart(
  deps: Deps,
  userId: string,
  input: AddToCartInput,
  idempotencyKey: string | null = null,
): Promise<{ cart: CartView; added: string[]; warnings: string[] }> {
  const now = deps.clock.now();
  const match = await saleMatch(deps, input.match_id, now);
  if (match && isCancelledStatus(match.status)) throw matchCancelled();
  if (!match || !['PUBLISHED', 'ACTIVE'].includes(match.status)) throw notFound('Match');
  if (!match.phase_id || match.kick_off_time <= now) throw new AppError('MATCH_NOT_ON_SALE');
  const zone = await saleZone(deps, input.match_id, input.match_sector_id);
  if (!zone) throw notFound('Zone');

  // E6-F2: a LOYALTY phase sells only to fans whose points reach a tier, up to its limit.
  // The balance is one indexed query, run only in a LOYALTY phase.
  let limit = fanLimit(match);
  let loyaltyTier: LoyaltyTier | null = null;
  if (match.phase_type === 'LOYALTY') {
    const standing = await loyaltyStanding(deps, deps.db, userId, match.phase_rules);
    if (!standing.tier) {
      const required = standing.next?.min_points ?? null;
      throw new AppError(
        'LOYALTY_NOT_ELIGIBLE',
        required === null
          ? 'This sales phase is open to loyalty members only'
          : `This sales phase is open to loyalty members with at least ${required} points ` +
              `(earned over the last 5 years); you have ${standing.balance}`,
        { extra: { balance: standing.balance, required_points: required } },
      );
    }
    loyaltyTier = standing.tier;
    limit = loyaltyLimit(match, standing.tier);
  }

  // The waiting room decides when a queued sale's cart clock starts (E4-F4, E5-F4).
  const window = await getPurchaseWindow(deps, userId, input.match_id);
  let queuedExpiry: Date | null = null;
  if (window.queued) {
    if (!window.admitted) {
      // Bought through the waiting room already: at the limit, the limit is the answer;
      // otherwise joining again is (the rejoin puts them at the end of the line).
      if (
        window.status === 'COMPLETED' &&
        (await remainingAllowance(deps, userId, input.match_id)) === 0
      ) {
        throw limitExceeded(limit, 0, loyaltyTier);
      }
      throw new AppError('QUEUE_ADMISSION_REQUIRED', undefined, {
        extra: { queue_status: window.status, position: window.position },
      });
    }
    const fromStart = new Date(window.window_started_at.getTime() + CART_TTL_MS);
    queuedExpiry = fromStart < window.window_expires_at ? fromStart : window.window_expires_at;
    if (queuedExpiry <= now) throw new AppError('QUEUE_ADMISSION_REQUIRED');
  }

  for (let attempt = 1; ; attempt++) {
    try {
      const claim = await deps.db.transaction().execute(async (trx) => {
        await lockPurchaseLimit(trx, userId, input.match_id, now);
        const newCart = {
          user_id: userId,
          match_id: input.match_id,
          expires_at: queuedExpiry ?? new Date(now.getTime() + CART_TTL_MS),
        };
        let cart = await lockOrOpenActiveCart(trx, newCart);
        // A retry of an addition whose answer was lost (the connection cut after the
        // commit) gets the seats it holds already, before the limit would count them twice.
        const earlier = earlierAddition(cart, idempotencyKey, input, now);
        if (earlier) return { cart, added: earlier.added, warnings: earlier.warnings };
        const already = await countFanSeats(trx, userId, input.match_id, now);
        if (already + input.quantity > limit) {
          throw limitExceeded(limit, Math.max(0, limit - already), loyaltyTier);
        }
        if (cart.expires_at <= now) {
          // An expired cart's seats are free for everybody already; close it and start anew.
          const audit = { reason: 'cart expired, replaced by a new cart', by: userId };
          await releaseHolds(trx, cart.id, now, audit);
          await setCartStatus(trx, cart.id, 'EXPIRED');
          const cancelled = await cancelOpenOrdersOfCarts(trx, [cart.id], 'CART_EXPIRED', now);
          await abandonOrders(deps, trx, cancelled, 'CART_EXPIRED', now, audit);
          cart = await insertCart(trx, newCart);
        }
        const target = {
          matchSectorId: zone.id,
          quantity: input.quantity,
          holdKind: 'CART' as const,
          holdOwnerId: cart.id,
          heldUntil: cart.expires_at,
          now,
          actorId: userId,
        };
        const warnings: string[] = [];
        let result = await claimAdjacentRun(trx, target);
        if (result.claimed.length === 0) {
          if (result.runs > 0) throw new ClaimContended();
          if (result.free < input.quantity) throw seatsInsufficient(result.free);
          result = await claimSeparated(trx, target);
          if (result.claimed.length === 0) {
            if (result.free < input.quantity) throw seatsInsufficient(result.free);
            throw new ClaimContended();
          }
          if (input.quantity > 1) {
            warnings.push(
              'SEATS_NOT_ADJACENT: not enough adjacent seats are left in this zone; the seats ' +
                'assigned are the closest available ones in the zone order.',
            );
          }
        }
        // A configuration change may have closed the zone since the check above. The seats
        // are locked by this transaction now: a change still to come is refused on them,
        // and one committed meanwhile is what this fresh read sees.
        // The same read sees a cancellation of the match (E2-F7) committed meanwhile (the
        // sale facts above are memoised); one still under way releases these holds.
        const current = await findSaleZone(trx, input.match_id, zone.id);
        if (current && isCancelledStatus(current.match_status)) throw matchCancelled();
        if (!current) throw notFound('Zone');
        await recordAudit(deps, trx, {
          domain: 'seat',
          action: 'seats_held',
          actor: { type: 'user', id: userId },
          subject: { type: 'cart', id: cart.id },
          changes: {
            match_id: input.match_id,
            match_sector_id: zone.id,
            inventory_ids: result.claimed.map((s) => s.id),
            held_until: iso(cart.expires_at),
          },
        });
        const added = result.claimed.map((s) => s.id);
        if (idempotencyKey) {
          const keyed: KeyedAddition = {
            key: idempotencyKey,
            asked: askedOf(input),
            added,
            warnings,
          };
          await recordKeyedAddition(trx, cart.id, keyed);
        }
        return { cart, added, warnings };
      });
      // The claim's row locks end with the commit above; the view is read afterwards so
      // other buyers never wait behind it.
      const seats = await listHeldSeats(deps.db, [claim.cart.id], now);
      return {
        cart: await cartView(deps, claim.cart, match, seats),
        added: claim.added,
        warnings: claim.warnings,
      };
    } catch (err) {
      if (!(err instanceof ClaimContended)) throw err;
      if (attempt >= CLAIM_ATTEMPTS) {
        throw new AppError('CONFLICT', 'Seats are being taken very fast right now; try again');
      }
      // A few ms of jitter lets the winners commit before the next snapshot.
      await new Promise((r) => setTimeout(r, 2 + Math.random() * 8 * Math.min(attempt, 5)));
    }
  }
}

const seatsInsufficient = (available: number) =>
  new AppError('SEATS_INSUFFICIENT', `Only ${available} seats are available in this zone`, {
    extra: { available },
  });

/** GET /cart: the fan's live carts with seats, totals and remaining time. */
export async function getCarts(deps: Pick<AppDeps, 'db' | 'clock' | 'config'>, userId: string) {
  const now = deps.clock.now();
  const carts = await listActiveCarts(deps.db, userId, now);
  const seats = await listHeldSeats(
    deps.db,
    carts.map((c) => c.id),
    now,
  );
  const views: CartView[] = [];
  for (const cart of carts) {
    const match = await saleMatch(deps, cart.match_id, now);
    if (!match) continue;
    const mine = seats.filter((s) => s.hold_owner_id === cart.id);
    if (mine.length === 0) continue;
    views.push(await cartView(deps, cart, match, mine));
  }
  return { carts: views };
}

/**
 * After orders were cancelled: their held seats go back (with the seat trail) and a payment
 * started for any of them must not complete at Stripe any more (a job per open intent, in
 * this transaction). Returns the seats released.
 */
async function abandonOrders(
  deps: Deps,
  trx: Executor,
  orderIds: readonly string[],
  reason: string,
  now: Date,
  audit: ReleaseAudit,
): Promise<number> {
  let released = 0;
  for (const orderId of orderIds) released += await releaseHolds(trx, orderId, now, audit);
  await requestIntentCancellations(deps, trx, orderIds, reason);
  return released;
}

/**
 * DELETE /cart: releases the seats of the fan's carts (one match, or all) at once, and
 * abandons their open orders, including one whose payment has started: its seats are
 * released and its PaymentIntent is cancelled by a job enqueued in this transaction.
 */
export async function clearCarts(deps: Deps, userId: string, matchId?: string) {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const carts = await listCartsForRelease(trx, userId, matchId);
    const audit = { reason: 'cart cleared by the fan', by: userId };
    let released = 0;
    for (const cart of carts) {
      released += await releaseHolds(trx, cart.id, now, audit);
      await setCartStatus(trx, cart.id, 'RELEASED');
    }
    const orders = await cancelOpenOrdersOfUser(trx, userId, matchId, 'CART_CLEARED', now);
    released += await abandonOrders(deps, trx, orders, 'CART_CLEARED', now, audit);
    // Holding nothing now: the fan's active-buyer slot goes to the next fan in line.
    const matchIds = matchId ? [matchId] : [...new Set(carts.map((c) => c.match_id))];
    await releaseBuyerSlot(deps, trx, userId, matchIds);
    if (carts.length || orders.length) {
      await recordAudit(deps, trx, {
        domain: 'seat',
        action: 'cart_cleared',
        actor: { type: 'user', id: userId },
        subject: carts.length
          ? { type: 'cart', id: carts[0]!.id }
          : { type: 'order', id: orders[0]! },
        changes: {
          cart_ids: carts.map((c) => c.id),
          order_ids: orders,
          seats_released: released,
        },
      });
    }
    return { released_seats: released };
  });
}
