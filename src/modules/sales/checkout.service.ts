import type { AppDeps } from '../../deps.ts';
import { getPaymentsGateway } from '../../platform/adapters/stripe/stripe.ts';
import { zagrebDate } from '../../platform/clock.ts';
import { getPiiCipher, maskLast4 } from '../../platform/crypto.ts';
import { AppError, notFound, type FieldError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  BlacklistedLate,
  findBlacklisted,
  findBlacklistedLocked,
  refuseBlacklisted,
} from '../blacklist/blacklist.service.ts';
import { isValidOib } from '../identity/oib.ts';
import {
  getDefaultProfileForCheckout,
  getSavedProfileForCheckout,
  type CheckoutProfile,
} from '../identity/profiles.checkout.ts';
import { priceOrder, type OrderAmounts } from '../payments/fees.ts';
import {
  attachPaymentIntent,
  attachPaymentIntentUnlessCancelled,
} from '../payments/payments.repo.ts';
import { requestIntentCancellations } from '../payments/payments.service.ts';
import {
  findCartWithBuyerEmail,
  lockOrderForPayment,
  markOrderPaymentPending,
  writeOrderItems,
} from './checkout.repo.ts';
import { orderAllows } from './order-state.ts';
import { feeRatesOf, isPresale, unitPrice } from './pricing.ts';
import { feeConfiguration, saleMatch } from './sale-facts.ts';
import { findMatchStatus, isCancelledStatus } from './sales.repo.ts';
import { matchCancelled } from './sales.service.ts';
import {
  checkOutCart,
  countLiveOrderHolds,
  findCart,
  listHeldSeats,
  lockCartOfOrder,
} from './carts.repo.ts';
import {
  findOpenOrderForCart,
  findOrder,
  findOrderByIdempotencyKey,
  insertOrder,
  listOrderItems,
  updateOrder,
  type OrderItemRow,
  type OrderRow,
} from './orders.repo.ts';

/**
 * Checkout (E4-F5, E4-F6, E4-F7): naming the ticket holders turns a cart into a PENDING
 * order; paying hands the seats from the cart to the order for the payment window and
 * creates the Stripe PaymentIntent. The order completes only on Stripe's webhook
 * (settlement.service.ts).
 */

/** How long the seats stay held once payment has started (at least). */
export const PAYMENT_HOLD_MS = 15 * 60_000;

type Deps = Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>;

export type HolderInput =
  | { source: 'DEFAULT_PROFILE' }
  | { source: 'SAVED_PROFILE'; profile_id: string }
  | {
      source: 'MANUAL_ENTRY';
      full_name: string;
      date_of_birth: string;
      nationality: string;
      oib?: string | null;
      passport_number?: string | null;
      email?: string | null;
      phone?: string | null;
    };

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  sessionId: string | null;
}

export interface ResolvedHolder {
  full_name: string;
  date_of_birth: string;
  nationality: string;
  oib: string | null;
  passport_number: string | null;
  email: string | null;
  phone: string | null;
  is_minor: boolean;
  source: HolderInput['source'];
}

/** The seat a line is for: where it is and its price category. */
interface LineSeat {
  inventory_id: string;
  match_sector_id: string;
  price_category_id: string | null;
}

/**
 * An order's lines, one per seat in order, each with its price and its holder (OIB and
 * passport encrypted, the OIB's blind index for the per-match holder rule): the shop's
 * checkout and a quota claim write them alike.
 */
export function orderLineRows(
  deps: Pick<AppDeps, 'config'>,
  orderId: string,
  seats: readonly LineSeat[],
  holders: readonly ResolvedHolder[],
  amounts: OrderAmounts,
) {
  const pii = getPiiCipher(deps.config);
  return seats.map((seat, i) => {
    const h = holders[i]!;
    const line = amounts.lines[i]!;
    return {
      order_id: orderId,
      position: i + 1,
      match_seat_inventory_id: seat.inventory_id,
      match_sector_id: seat.match_sector_id,
      price_category_id: seat.price_category_id,
      unit_price: line.unitPrice,
      ticket_vat_amount: line.ticketVat,
      fee_amount: line.fee,
      fee_vat_amount: line.feeVat,
      holder_full_name: h.full_name,
      holder_date_of_birth: h.date_of_birth,
      holder_nationality: h.nationality,
      holder_oib_encrypted: h.oib ? pii.encrypt(h.oib) : null,
      holder_oib_blind_index: h.oib ? pii.blindIndex(h.oib) : null,
      holder_passport_encrypted: h.passport_number ? pii.encrypt(h.passport_number) : null,
      holder_email: h.email,
      holder_phone: h.phone,
      holder_is_minor: h.is_minor,
      holder_source: h.source,
    };
  });
}

/** Age in whole years on `today` (both YYYY-MM-DD). */
export function ageOn(dateOfBirth: string, today: string): number {
  const [y1, m1, d1] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [y2, m2, d2] = today.split('-').map(Number) as [number, number, number];
  return y2 - y1 - (m2 < m1 || (m2 === m1 && d2 < d1) ? 1 : 0);
}

function resolveHolder(
  profile: CheckoutProfile | (HolderInput & { source: 'MANUAL_ENTRY' }),
  source: HolderInput['source'],
  buyerEmail: string,
  today: string,
): ResolvedHolder {
  const p = profile as {
    full_name: string;
    date_of_birth: string;
    nationality: string;
    oib?: string | null;
    passport_number?: string | null;
    email?: string | null;
    phone?: string | null;
  };
  const isMinor = ageOn(p.date_of_birth, today) < 18;
  return {
    full_name: p.full_name,
    date_of_birth: p.date_of_birth,
    nationality: p.nationality.toUpperCase(),
    oib: p.oib ?? null,
    passport_number: p.passport_number ?? null,
    // A minor's tickets go to the buyer (E4-F5): their own email is never used.
    email: isMinor ? buyerEmail : (p.email ?? null),
    phone: p.phone ?? null,
    is_minor: isMinor,
    source,
  };
}

/**
 * Validates and resolves the holders of a checkout (no writes). `buyerEmail` is the
 * caller's email as read with the cart (null: the user does not exist). A fan's checkout
 * names the buyer first (`buyerFirst`); a quota claim (E7-F5) names anyone, the claimant's
 * own profile at most once and in any position.
 */
export async function resolveHolders(
  deps: Pick<AppDeps, 'db' | 'clock' | 'config'>,
  userId: string,
  buyerEmail: string | null,
  holders: HolderInput[],
  options: { buyerFirst: boolean } = { buyerFirst: true },
): Promise<ResolvedHolder[]> {
  const first = holders[0];
  if (
    options.buyerFirst &&
    (!first || first.source !== 'DEFAULT_PROFILE' || Object.keys(first).length !== 1)
  ) {
    throw new AppError('HOLDER_LOCKED', 'The first ticket holder is always your own profile', {
      errors: [{ field: 'body.holders.0', message: 'must be { "source": "DEFAULT_PROFILE" }' }],
    });
  }
  if (buyerEmail === null) throw new AppError('UNAUTHENTICATED');
  const today = zagrebDate(deps.clock.now());
  const errors: FieldError[] = [];
  const resolved: ResolvedHolder[] = [];
  for (const [i, holder] of holders.entries()) {
    if (holder.source === 'DEFAULT_PROFILE') {
      const again = options.buyerFirst
        ? i > 0
        : holders.slice(0, i).some((h) => h.source === 'DEFAULT_PROFILE');
      if (again) {
        errors.push({ field: `body.holders.${i}`, message: 'only the first holder is you' });
        continue;
      }
      const profile = await getDefaultProfileForCheckout(deps, deps.db, userId);
      if (!profile) {
        throw new AppError('PROFILE_NOT_FOUND', 'Complete your ticketing profile first');
      }
      resolved.push(resolveHolder(profile, holder.source, buyerEmail, today));
    } else if (holder.source === 'SAVED_PROFILE') {
      const profile = await getSavedProfileForCheckout(deps, deps.db, userId, holder.profile_id);
      if (!profile) {
        errors.push({ field: `body.holders.${i}.profile_id`, message: 'no such saved profile' });
        continue;
      }
      resolved.push(resolveHolder(profile, holder.source, buyerEmail, today));
    } else {
      resolved.push(resolveHolder(holder, holder.source, buyerEmail, today));
    }
  }
  resolved.forEach((h, i) => {
    if (h.oib !== null && !isValidOib(h.oib)) {
      errors.push({ field: `body.holders.${i}.oib`, message: 'not a valid OIB' });
    }
    if (h.nationality === 'HR' && !h.oib) {
      errors.push({ field: `body.holders.${i}.oib`, message: 'required for Croatian citizens' });
    }
    if (!h.oib && !h.passport_number) {
      errors.push({
        field: `body.holders.${i}.passport_number`,
        message: 'an OIB or a passport number is required',
      });
    }
  });
  const oibs = resolved.map((h) => h.oib).filter((o): o is string => !!o);
  if (new Set(oibs).size !== oibs.length) {
    errors.push({ field: 'body.holders', message: 'the same person is named twice' });
  }
  if (errors.length) {
    const invalidOib = errors.every((e) => e.message === 'not a valid OIB');
    throw new AppError(
      invalidOib ? 'OIB_INVALID' : 'VALIDATION_FAILED',
      'Ticket holder data is not valid',
      { errors },
    );
  }
  return resolved;
}

export interface OrderView {
  id: string;
  order_number: string;
  status: OrderRow['status'];
  match_id: string;
  is_presale: boolean;
  ticket_amount: number;
  ticket_vat_amount: number;
  fee_amount: number;
  fee_vat_amount: number;
  total_amount: number;
  currency: string;
  items: Array<{
    position: number;
    inventory_id: string;
    unit_price: number;
    fee_amount: number;
    holder: {
      full_name: string;
      is_minor: boolean;
      source: string;
      email: string | null;
      oib_masked: string | null;
    };
  }>;
}

export function orderView(
  deps: Pick<AppDeps, 'config'>,
  order: OrderRow,
  items: OrderItemRow[],
): OrderView {
  const pii = getPiiCipher(deps.config);
  return {
    id: order.id,
    order_number: order.order_number,
    status: order.status,
    match_id: order.match_id,
    is_presale: order.is_presale,
    ticket_amount: order.ticket_amount,
    ticket_vat_amount: order.ticket_vat_amount,
    fee_amount: order.fee_amount,
    fee_vat_amount: order.fee_vat_amount,
    total_amount: order.total_amount,
    currency: order.currency.trim(),
    items: items.map((it) => ({
      position: it.position,
      inventory_id: it.match_seat_inventory_id,
      unit_price: it.unit_price,
      fee_amount: it.fee_amount,
      holder: {
        full_name: it.holder_full_name,
        is_minor: it.holder_is_minor,
        source: it.holder_source,
        email: it.holder_email,
        oib_masked: it.holder_oib_encrypted
          ? maskLast4(pii.decrypt(it.holder_oib_encrypted))
          : null,
      },
    })),
  };
}

/**
 * POST /checkout/ticket-holders: names one holder per seat of the cart, checks every OIB
 * against the blacklist and writes the PENDING order with its priced lines. Naming the
 * holders again while the order is PENDING replaces them.
 */
export async function submitTicketHolders(
  deps: Deps,
  userId: string,
  input: { cart_id: string; holders: HolderInput[] },
  ctx: RequestContext,
): Promise<OrderView> {
  const now = deps.clock.now();
  const cart = await findCartWithBuyerEmail(deps.db, input.cart_id, userId);
  if (!cart || cart.user_id !== userId) throw notFound('Cart');
  const holders = await resolveHolders(deps, userId, cart.buyer_email, input.holders);

  // E4-F6: a blacklisted holder blocks the checkout; the attempt is logged (own transaction,
  // so the log survives the refusal).
  const holderOibs = holders.map((h) => h.oib).filter((o): o is string => !!o);
  const refuse = (hits: Awaited<ReturnType<typeof findBlacklisted>>) =>
    refuseBlacklisted(
      deps,
      hits,
      'PURCHASE_ATTEMPT',
      {
        userId,
        matchId: cart.match_id,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        sessionId: ctx.sessionId,
      },
      {
        holder_positions: holders.flatMap((h, i) =>
          h.oib && hits.some((x) => x.oib === h.oib) ? [i + 1] : [],
        ),
      },
    );
  const hits = await findBlacklisted(deps, deps.db, holderOibs);
  if (hits.length) await refuse(hits);

  // Reference facts (memoised, sale-facts.ts) are read before the transaction: a read on
  // another connection while holding this one would need two pool connections per request.
  const match = await saleMatch(deps, cart.match_id, now);
  if (!match) throw notFound('Match');
  const rates = feeRatesOf(await feeConfiguration(deps, cart.match_id, now));
  return deps.db
    .transaction()
    .execute(async (trx) => {
      // Again under the holders' shared OIB locks, before any row lock: a blacklist
      // confirmation (E11-F4) racing this checkout either sees its order or this sees the entry.
      const late = await findBlacklistedLocked(deps, trx, holderOibs);
      if (late.length) throw new BlacklistedLate(late);
      const locked = await findCart(trx, cart.id, { forUpdate: true });
      if (!locked || locked.status !== 'ACTIVE' || locked.expires_at <= now) {
        throw new AppError('CART_EXPIRED');
      }
      const seats = await listHeldSeats(trx, [cart.id], now);
      if (seats.length === 0) throw new AppError('CART_EXPIRED');
      if (seats.length !== holders.length) {
        throw new AppError('HOLDERS_MISMATCH', `The cart has ${seats.length} seats`, {
          extra: { seats: seats.length, holders: holders.length },
        });
      }
      const presale = isPresale(now, match.kick_off_time);
      const amounts = priceOrder(
        seats.map((s) => unitPrice(s.price ?? 0, rates, presale)),
        match.match_type,
        rates,
      );
      const values = {
        ticket_amount: amounts.ticketAmount,
        ticket_vat_amount: amounts.ticketVatAmount,
        fee_amount: amounts.feeAmount,
        fee_vat_amount: amounts.feeVatAmount,
        total_amount: amounts.totalAmount,
        fee_percent_bp: amounts.feeBp,
        ticket_vat_bp: amounts.ticketVatBp,
        fee_vat_bp: amounts.feeVatBp,
        is_presale: presale,
        sales_phase_id: match.phase_id,
      };
      const open = await findOpenOrderForCart(trx, cart.id);
      if (open && open.status !== 'PENDING') {
        throw new AppError(
          'ORDER_NOT_PAYABLE',
          'Payment has started; holders can no longer change',
        );
      }
      const order = open
        ? await updateOrder(trx, open.id, values)
        : await insertOrder(trx, {
            ...values,
            user_id: userId,
            match_id: cart.match_id,
            cart_id: cart.id,
          });
      // A new order has no lines yet; the lines are returned as written (no read-back).
      const items = await writeOrderItems(
        trx,
        order.id,
        orderLineRows(deps, order.id, seats, holders, amounts),
        { replace: !!open },
      );
      await recordAudit(deps, trx, {
        domain: 'order',
        action: open ? 'order_holders_updated' : 'order_created',
        actor: { type: 'user', id: userId },
        subject: { type: 'order', id: order.id },
        changes: { cart_id: cart.id, total_amount: order.total_amount, seats: seats.length },
      });
      return orderView(deps, order, items);
    })
    .catch(async (err: unknown) => {
      if (err instanceof BlacklistedLate) return refuse(err.hits);
      throw err;
    });
}

export interface PaymentStart {
  order_id: string;
  order_number: string;
  payment_intent_id: string;
  client_secret: string;
  amount: number;
  currency: string;
  hold_expires_at: string;
}

/**
 * POST /checkout/pay. The client's Idempotency-Key is bound to the order (reusing it for
 * another order is refused); Stripe's own idempotency key is derived from the order id, so
 * every retry, with or without the header, returns the same PaymentIntent and never creates
 * a second charge. Starting payment moves the seats from the cart to the order and extends
 * the hold to cover the payment window; a retry after a failed payment keeps the hold as is.
 */
export async function startPayment(
  deps: Deps,
  userId: string,
  orderId: string,
  idempotencyKey: string | null,
): Promise<PaymentStart> {
  const now = deps.clock.now();
  const { order, holdUntil } = await deps.db.transaction().execute(async (trx) => {
    // The cart's lock first, then the order's: the order holders and cart removal take
    // them in (lockCartOfOrder).
    const cart = await lockCartOfOrder(trx, orderId, userId);
    // The order lock and the Idempotency-Key's binding come in one read (an unknown order
    // needs a second one, to refuse a reused key before answering 404).
    const order = await lockOrderForPayment(trx, orderId, userId, idempotencyKey);
    if (idempotencyKey) {
      const boundTo = order
        ? order.key_order_id
        : (await findOrderByIdempotencyKey(trx, userId, idempotencyKey))?.id;
      if (boundTo && boundTo !== orderId) throw new AppError('IDEMPOTENCY_KEY_REUSED');
    }
    if (!order || order.user_id !== userId) throw notFound('Order');
    // A cancelled match takes no payment (E2-F7). A plain read after the order's lock: a
    // cancellation committed is seen; one under way cancels this order after it commits,
    // and the payment's success is then refunded (settlement).
    if (isCancelledStatus(await findMatchStatus(trx, order.match_id))) throw matchCancelled();
    const items = await listOrderItems(trx, order.id);
    if (!orderAllows(order.status, 'PAYMENT_STARTED')) {
      throw new AppError('ORDER_NOT_PAYABLE', `The order is ${order.status}`, {
        extra: { status: order.status },
      });
    }
    if (order.status === 'PENDING') {
      if (!cart || cart.status !== 'ACTIVE') throw new AppError('CART_EXPIRED');
      const until = new Date(Math.max(cart.expires_at.getTime(), now.getTime() + PAYMENT_HOLD_MS));
      const { held, moved } = await checkOutCart(
        trx,
        cart.id,
        order.id,
        items.map((i) => i.match_seat_inventory_id),
        until,
        now,
        userId,
      );
      // Seats added to the cart after the holders were named need holders too (the throw
      // rolls the move back).
      if (held !== items.length) {
        throw new AppError('HOLDERS_MISMATCH', 'The cart changed: name the ticket holders again', {
          extra: { seats: held, holders: items.length },
        });
      }
      if (moved !== items.length) throw new AppError('CART_EXPIRED');
    } else if ((await countLiveOrderHolds(trx, order.id, now)) !== items.length) {
      // PAYMENT_PENDING or PAYMENT_FAILED: paying again needs the seats still held.
      throw new AppError('CART_EXPIRED', 'The seats of this order are no longer held');
    }
    // One statement: the order's status, its payment row and the hold's end.
    const { hold_until: heldUntil, ...updated } = await markOrderPaymentPending(trx, order, {
      ...(idempotencyKey && !order.idempotency_key ? { idempotency_key: idempotencyKey } : {}),
    });
    await recordAudit(deps, trx, {
      domain: 'payment',
      action: 'payment_started',
      actor: { type: 'user', id: userId },
      subject: { type: 'order', id: order.id },
      changes: { amount: order.total_amount, previous_status: order.status },
    });
    return { order: updated, holdUntil: heldUntil ?? now };
  });

  const intent = await openPaymentIntent(deps, order, userId);
  return {
    order_id: order.id,
    order_number: order.order_number,
    payment_intent_id: intent.id,
    client_secret: intent.clientSecret,
    amount: intent.amount,
    currency: intent.currency,
    hold_expires_at: holdUntil.toISOString(),
  };
}

/**
 * Creates (or, on a retry, gets back) the order's PaymentIntent once the order is
 * PAYMENT_PENDING, and attaches it. Stripe's idempotency key is derived from the order, so
 * a retry never charges twice. An order cancelled while the intent was being created gets
 * the intent cancelled and answers 409 CART_EXPIRED. Shared by the fan's checkout and the
 * quota portal's claim payment (quota-checkout.service.ts).
 */
export async function openPaymentIntent(
  deps: Deps,
  order: Pick<OrderRow, 'id' | 'total_amount' | 'currency' | 'order_number' | 'match_id'>,
  userId: string,
) {
  let intent;
  try {
    intent = await getPaymentsGateway(deps.config).createPaymentIntent({
      amount: order.total_amount,
      currency: order.currency.trim(),
      idempotencyKey: `hns-order-${order.id}`,
      description: `HNS ulaznice ${order.order_number}`,
      metadata: {
        order_id: order.id,
        order_number: order.order_number,
        user_id: userId,
        match_id: order.match_id,
      },
    });
  } catch (err) {
    // The order stays PAYMENT_PENDING with its hold: the fan can simply retry.
    throw new AppError('PAYMENT_PROVIDER_ERROR', 'The payment could not be started; try again', {
      cause: err,
    });
  }
  // The order may have been cancelled while the intent was being created (cart cleared, hold
  // swept): the cancellation's job found no intent id then, so the intent is cancelled from
  // here, and the fan gets no client secret for a dead order. The order row lock orders this
  // against the cancelling transaction. The usual case (not cancelled) is one statement that
  // locks the order and attaches the intent; a cancelled order takes the transaction below.
  const seen = await attachPaymentIntentUnlessCancelled(deps.db, order.id, intent.id);
  const cancelled =
    seen?.status === 'CANCELLED' &&
    (await deps.db.transaction().execute(async (trx) => {
      const current = await findOrder(trx, order.id, { forUpdate: true });
      await attachPaymentIntent(trx, order.id, intent.id);
      if (current?.status !== 'CANCELLED') return false;
      await requestIntentCancellations(
        deps,
        trx,
        [order.id],
        current.cancellation_reason ?? 'CANCELLED',
      );
      return true;
    }));
  if (cancelled) {
    throw new AppError('CART_EXPIRED', 'The order was cancelled while the payment was starting');
  }
  return intent;
}
