import type { AppDeps } from '../../deps.ts';
import { getPiiCipher, maskLast4 } from '../../platform/crypto.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound, type FieldError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  BlacklistedLate,
  findBlacklisted,
  findBlacklistedLocked,
  refuseBlacklisted,
  type AttemptContext,
} from '../blacklist/blacklist.service.ts';
import {
  holdAllocatedSeats,
  releaseQuotaHold,
  seatDetails,
  transferQuotaHold,
} from '../inventory/quota-seats.repo.ts';
import { openPaymentIntent, resolveHolders, type HolderInput } from '../sales/checkout.service.ts';
import {
  onMatchSaleClosed,
  onOrderCompleted,
  onOrderPaymentFailed,
} from '../sales/order-events.ts';
import { PAYMENT_HOLD_MS } from '../sales/checkout.service.ts';
import {
  abandonQuotaOrder,
  completeFreeQuotaOrder,
  deferQuotaOrder,
  lockQuotaOrder,
  markQuotaOrderPaymentPending,
  quotaPricing,
  writeQuotaOrder,
} from '../sales/quota-checkout.service.ts';
import { disallowTicketTransfers } from '../tickets/tickets.repo.ts';
import { holderHasTicketOfMatch } from '../tickets/transfer.repo.ts';
import {
  activeClaimCartsOf,
  findClaimCart,
  findClaimCartOfOrder,
  freeSeatsOf,
  insertClaimCart,
  lockExpiredClaimCarts,
  markClaimSeatsSold,
  refreshClaimStatuses,
  reserveQuotaSeats,
  seatsOfClaim,
  unreserveClaimSeats,
  updateClaimCart,
  type ClaimCartRow,
} from './claims.repo.ts';
import { holderEmail } from './quota-access.ts';
import { findMatchOfQuota, findQuota, listQuotasOfMatch, type QuotaRow } from './quotas.repo.ts';
import { findSubquota } from './subquotas.repo.ts';

/**
 * Claiming a quota in the portal (E7-F5): select seats → name the ticket holders → pay.
 * - Select: the seats leave the quota's free balance (quota seat RESERVED with the claim
 *   cart; inventory RESERVED with hold_kind QUOTA, held until kick-off so no public claim
 *   or sales sweep ever sees them free). A claim lasts CLAIM_TTL_MS; the expiry job gives
 *   an abandoned claim's seats back to the quota (ALLOCATED), never to the public.
 * - Holders: the checkout's holder rules (sales resolveHolders, any holder may be named),
 *   the blacklist as at checkout, one valid ticket per person and match; then the claim's
 *   order is written (sales), priced at the category price less the quota discount.
 * - Payment: free (discount 100 %) completes at once; deferred_payment leaves the claim
 *   DEFERRED (seats kept, no expiry) for the invoicing issue's payment offer; otherwise the
 *   same Stripe path as the shop, and the same settlement, which issues the tickets.
 */
export const CLAIM_TTL_MS = 20 * 60_000;

type Deps = Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>;

/** The claimant's quota (or sub-quota of it) open for claims, else 404 / 409. */
async function claimable(
  trx: Executor,
  email: string,
  quotaId: string,
  subquotaId: string | null,
  now: Date,
) {
  const quota = await findQuota(trx, quotaId, { forUpdate: true });
  // A petrol quota (E12-F4) is sold by petrol-station cashiers only (modules/petrol).
  if (!quota || quota.quota_type === 'PETROL') throw notFound('Quota');
  const sub = subquotaId ? await findSubquota(trx, subquotaId, { forUpdate: true }) : undefined;
  if (subquotaId) {
    if (!sub || sub.parent_quota_id !== quota.id || sub.recipient_email !== email) {
      throw notFound('Sub-quota');
    }
  } else if (quota.recipient_email !== email) {
    throw notFound('Quota');
  }
  const match = (await findMatchOfQuota(trx, quota.match_id))!;
  const deadline = [quota.expiration_date, sub?.expires_at, match.kick_off_time]
    .filter((d): d is Date => !!d)
    .reduce((a, b) => (a < b ? a : b));
  const open =
    (quota.status === 'ACTIVE' || quota.status === 'FULLY_CLAIMED') &&
    (!sub || sub.status === 'ALLOCATED' || sub.status === 'RESERVED') &&
    deadline > now;
  if (!open)
    throw new AppError('QUOTA_CLOSED', `The quota is ${quota.status} or past its deadline`);
  return { quota, sub, match, deadline };
}

/** Gives a claim up: its order abandoned, its seats back to the quota (or sub-quota). */
async function closeClaim(
  deps: Deps,
  trx: Executor,
  cart: ClaimCartRow,
  status: 'EXPIRED' | 'ABANDONED',
  now: Date,
) {
  if (cart.order_id) await abandonQuotaOrder(deps, trx, cart.order_id, now);
  await releaseQuotaHold(trx, {
    ownerId: cart.id,
    reason: `quota claim ${status.toLowerCase()}`,
    by: null,
    now,
  });
  await unreserveClaimSeats(trx, cart.id);
  await updateClaimCart(trx, cart.id, { status, completed_at: now });
  await refreshClaimStatuses(trx, { quotaId: cart.quota_id, subquotaId: cart.subquota_id, now });
}

/**
 * Closes the claims in progress of a quota (cancelled, or past its deadline) or of one of
 * its sub-quotas. `keepDeferred`: a DEFERRED claim (to be invoiced) outlives the deadline.
 */
export async function closeClaimsOfQuota(
  deps: Deps,
  trx: Executor,
  quotaId: string,
  now: Date,
  options: { keepDeferred?: boolean; subquotaId?: string } = {},
) {
  for (const cart of await activeClaimCartsOf(trx, { quotaId, subquotaId: options.subquotaId })) {
    if (options.keepDeferred && cart.payment_status === 'DEFERRED') continue;
    await closeClaim(deps, trx, cart, 'ABANDONED', now);
  }
}

async function claimView(db: Executor, cart: ClaimCartRow) {
  const seats = await seatsOfClaim(db, cart.id);
  const details = new Map(
    (
      await seatDetails(
        db,
        seats.map((s) => s.match_seat_inventory_id),
      )
    ).map((d) => [d.inventory_id, d]),
  );
  const holders = cart.ticket_holders_json as
    { full_name: string; is_minor: boolean; oib_masked: string | null }[] | null;
  return {
    id: cart.id,
    quota_id: cart.quota_id,
    subquota_id: cart.subquota_id,
    status: cart.status,
    payment_status: cart.payment_status,
    expires_at: cart.expires_at?.toISOString() ?? null,
    seats: seats.map((s) => {
      const d = details.get(s.match_seat_inventory_id)!;
      return {
        quota_seat_id: s.id,
        inventory_id: s.match_seat_inventory_id,
        sector_code: d.sector_code,
        row: d.row_identifier,
        seat_number: d.seat_number,
        status: s.status,
      };
    }),
    holders,
    subtotal: cart.subtotal,
    service_fee: cart.service_fee,
    total: cart.total,
    order_id: cart.order_id,
    ticket_ids: seats.flatMap((s) => (s.ticket_id ? [s.ticket_id] : [])),
  };
}

/** POST /quota-portal/quotas/{id}/select-seats (E7-F5 step 1). */
export async function selectSeats(
  deps: Deps,
  userId: string,
  quotaId: string,
  body: { quota_seat_ids?: string[]; quantity?: number; subquota_id?: string },
) {
  const now = deps.clock.now();
  const email = await holderEmail(deps.db, userId);
  return deps.db.transaction().execute(async (trx) => {
    const subquotaId = body.subquota_id ?? null;
    const { quota, match, deadline } = await claimable(trx, email, quotaId, subquotaId, now);
    // One claim at a time per claimant and quota: a new selection replaces one not yet in
    // payment (its seats go back first).
    for (const cart of await activeClaimCartsOf(trx, { quotaId, userId, subquotaId })) {
      const order = cart.order_id ? await lockQuotaOrder(trx, cart.order_id) : undefined;
      if (cart.payment_status !== 'PENDING' || (order && order.status !== 'PENDING')) {
        throw new AppError('QUOTA_CLAIM_NOT_PAYABLE', 'A claim of this quota is being paid', {
          extra: { claim_id: cart.id },
        });
      }
      await closeClaim(deps, trx, cart, 'ABANDONED', now);
    }
    const free = await freeSeatsOf(trx, { quotaId, subquotaId });
    let picked: typeof free;
    if (body.quota_seat_ids) {
      if (quota.allocation_algorithm === 'NM') {
        throw new AppError('VALIDATION_FAILED', 'An unnumbered (NM) quota is claimed by quantity', {
          errors: [{ field: 'body.quota_seat_ids', message: 'give quantity for an NM quota' }],
        });
      }
      const byId = new Map(free.map((s) => [s.id, s]));
      const errors: FieldError[] = [];
      body.quota_seat_ids.forEach((id, i) => {
        if (!byId.has(id))
          errors.push({
            field: `body.quota_seat_ids.${i}`,
            message: 'not a free seat of the quota',
          });
      });
      if (errors.length)
        throw new AppError('QUOTA_SEAT_UNAVAILABLE', 'A seat is not free in the quota', { errors });
      picked = body.quota_seat_ids.map((id) => byId.get(id)!);
    } else {
      const quantity = body.quantity!;
      if (free.length < quantity) {
        throw new AppError(
          'QUOTA_SEATS_INSUFFICIENT',
          `${quantity} requested, ${free.length} free`,
          {
            extra: { requested: quantity, available: free.length },
          },
        );
      }
      picked = free.slice(0, quantity);
    }
    const expiresAt = new Date(Math.min(now.getTime() + CLAIM_TTL_MS, deadline.getTime()));
    const cart = await insertClaimCart(trx, {
      quota_id: quota.id,
      subquota_id: subquotaId,
      user_id: userId,
      expires_at: expiresAt,
      now,
    });
    const reserved = await reserveQuotaSeats(trx, {
      quotaSeatIds: picked.map((s) => s.id),
      from: subquotaId ? 'DELEGATED' : 'ALLOCATED',
      cartId: cart.id,
    });
    const held =
      reserved.length === picked.length
        ? await holdAllocatedSeats(trx, {
            inventoryIds: reserved,
            ownerId: cart.id,
            heldUntil: match.kick_off_time,
            by: userId,
            now,
          })
        : 0;
    // The quota row lock orders claims of one quota, so this only fails if a seat's state
    // disagrees with its inventory row: refuse rather than half-claim.
    if (held !== picked.length) throw new AppError('QUOTA_SEAT_UNAVAILABLE');
    await refreshClaimStatuses(trx, { quotaId, subquotaId, now });
    await recordAudit(deps, trx, {
      domain: 'quota',
      action: 'quota_claim_started',
      actor: { type: 'user', id: userId },
      subject: { type: 'quota', id: quota.id },
      changes: { claim_id: cart.id, subquota_id: subquotaId, seats: picked.length },
    });
    return claimView(trx, cart);
  });
}

/** The caller's claim of this quota, locked; 404 otherwise. */
async function ownClaim(trx: Executor, userId: string, quotaId: string, claimId: string) {
  const cart = await findClaimCart(trx, claimId, { forUpdate: true });
  if (!cart || cart.user_id !== userId || cart.quota_id !== quotaId) throw notFound('Claim');
  return cart;
}

function assertOpen(cart: ClaimCartRow, now: Date) {
  if (cart.status !== 'ACTIVE' || (cart.expires_at !== null && cart.expires_at <= now)) {
    throw new AppError('QUOTA_CLAIM_EXPIRED', `The claim is ${cart.status}`);
  }
}

/** POST /quota-portal/quotas/{id}/ticket-holders (E7-F5 step 2). */
export async function submitClaimHolders(
  deps: Deps,
  userId: string,
  quotaId: string,
  body: { claim_id: string; holders: HolderInput[] },
  ctx: Omit<AttemptContext, 'userId' | 'matchId'>,
) {
  const now = deps.clock.now();
  const email = await holderEmail(deps.db, userId);
  const first = await findClaimCart(deps.db, body.claim_id);
  if (!first || first.user_id !== userId || first.quota_id !== quotaId) throw notFound('Claim');
  const quota = (await findQuota(deps.db, quotaId))!;
  const holders = await resolveHolders(deps, userId, email, body.holders, { buyerFirst: false });
  const oibs = holders.map((h) => h.oib).filter((o): o is string => !!o);
  const refuse = (hits: Awaited<ReturnType<typeof findBlacklisted>>) =>
    refuseBlacklisted(
      deps,
      hits,
      'PURCHASE_ATTEMPT',
      { ...ctx, userId, matchId: quota.match_id },
      {
        holder_positions: holders.flatMap((h, i) =>
          h.oib && hits.some((x) => x.oib === h.oib) ? [i + 1] : [],
        ),
      },
    );
  const hits = await findBlacklisted(deps, deps.db, oibs);
  if (hits.length) await refuse(hits);
  // One valid ticket per person and match (as for a transfer's new holder).
  const pii = getPiiCipher(deps.config);
  const errors: FieldError[] = [];
  for (const [i, h] of holders.entries()) {
    if (
      h.oib &&
      (await holderHasTicketOfMatch(deps.db, {
        matchId: quota.match_id,
        oibBlindIndex: pii.blindIndex(h.oib),
        exceptTicketId: '00000000-0000-0000-0000-000000000000',
      }))
    ) {
      errors.push({ field: `body.holders.${i}`, message: 'already holds a ticket for this match' });
    }
  }
  if (errors.length) {
    throw new AppError('HOLDER_HAS_TICKET', 'A holder already has a ticket for the match', {
      errors,
    });
  }
  const rates = await quotaPricing(deps, quota.match_id, now);
  return deps.db
    .transaction()
    .execute(async (trx) => {
      // Again under the holders' shared OIB locks, before any row lock (as at checkout): a
      // blacklist confirmation (E11-F4) racing this claim sees its order or this sees the entry.
      const late = await findBlacklistedLocked(deps, trx, oibs);
      if (late.length) throw new BlacklistedLate(late);
      const cart = await ownClaim(trx, userId, quotaId, body.claim_id);
      assertOpen(cart, now);
      const order = cart.order_id ? await lockQuotaOrder(trx, cart.order_id) : undefined;
      if (cart.payment_status !== 'PENDING' || (order && order.status !== 'PENDING')) {
        throw new AppError(
          'QUOTA_CLAIM_NOT_PAYABLE',
          'Payment has started; holders can no longer change',
        );
      }
      const seats = await seatsOfClaim(trx, cart.id);
      if (seats.length !== holders.length) {
        throw new AppError('HOLDERS_MISMATCH', `The claim has ${seats.length} seats`, {
          extra: { seats: seats.length, holders: holders.length },
        });
      }
      const details = new Map(
        (
          await seatDetails(
            trx,
            seats.map((s) => s.match_seat_inventory_id),
          )
        ).map((d) => [d.inventory_id, d]),
      );
      const match = (await findMatchOfQuota(trx, quota.match_id))!;
      const { order: written } = await writeQuotaOrder(deps, trx, {
        userId,
        matchId: quota.match_id,
        matchType: match.match_type,
        seats: seats.map((s) => {
          const d = details.get(s.match_seat_inventory_id)!;
          return {
            inventory_id: s.match_seat_inventory_id,
            match_sector_id: d.match_sector_id,
            price_category_id: d.price_category_id,
            price: d.price ?? 0,
          };
        }),
        holders,
        discountPercent: Number(quota.discount_percent),
        rates,
        previousOrderId: order?.id ?? null,
        now,
      });
      const updated = await updateClaimCart(trx, cart.id, {
        order_id: written.id,
        subtotal: written.ticket_amount,
        service_fee: written.fee_amount,
        total: written.total_amount,
        ticket_holders_json: JSON.stringify(
          holders.map((h) => ({
            full_name: h.full_name,
            is_minor: h.is_minor,
            oib_masked: h.oib ? maskLast4(h.oib) : null,
          })),
        ),
      });
      return claimView(trx, updated);
    })
    .catch(async (err: unknown) => {
      if (err instanceof BlacklistedLate) return refuse(err.hits);
      throw err;
    });
}

/** A claim whose payment Stripe refused: closed ABANDONED, its seats back in the quota. */
async function abandonRefusedClaim(
  deps: Deps,
  trx: Executor,
  cart: ClaimCartRow,
  reason: 'payment_failed' | 'payment_intent_not_created',
  now: Date,
) {
  await closeClaim(deps, trx, cart, 'ABANDONED', now);
  await recordAudit(deps, trx, {
    domain: 'quota',
    action: 'quota_claim_payment_refused',
    actor: { type: 'system' },
    subject: { type: 'quota', id: cart.quota_id },
    changes: { claim_id: cart.id, order_id: cart.order_id, reason },
  });
}

/**
 * Stripe refused to create the claim's PaymentIntent: the claim gives its seats back to the
 * quota at once (order abandoned, an intent Stripe may have created after all cancelled by
 * the payments job) instead of holding them until it expires. Order lock first, then the
 * claim, as settlement takes them.
 */
async function releaseRefusedClaim(deps: Deps, cartId: string, orderId: string) {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const order = await lockQuotaOrder(trx, orderId);
    const cart = await findClaimCart(trx, cartId, { forUpdate: true });
    if (!order || order.status !== 'PAYMENT_PENDING' || cart?.status !== 'ACTIVE') return;
    await abandonRefusedClaim(deps, trx, cart, 'payment_intent_not_created', now);
  });
}

/** POST /quota-portal/quotas/{id}/payment (E7-F5 step 3). */
export async function payClaim(
  deps: Deps,
  userId: string,
  quotaId: string,
  body: { claim_id: string },
) {
  const now = deps.clock.now();
  const step = await deps.db.transaction().execute(async (trx) => {
    const cart = await ownClaim(trx, userId, quotaId, body.claim_id);
    assertOpen(cart, now);
    const quota = (await findQuota(trx, quotaId))!;
    const order = cart.order_id ? await lockQuotaOrder(trx, cart.order_id) : undefined;
    if (!order) {
      throw new AppError('QUOTA_CLAIM_NOT_PAYABLE', 'Name the ticket holders first');
    }
    if (cart.payment_status === 'DEFERRED') {
      return { kind: 'view' as const, cart };
    }
    if (order.total_amount === 0) {
      // Free (discount_percent = 100): no payment step; the tickets are issued now (the
      // sale sells the seats the order holds).
      await transferQuotaHold(trx, { fromOwnerId: cart.id, toOwnerId: order.id, by: userId, now });
      const tickets = await completeFreeQuotaOrder(deps, trx, order);
      if (!tickets)
        throw new AppError('QUOTA_CLAIM_EXPIRED', 'The seats of the claim are no longer held');
      return { kind: 'view' as const, cart: (await findClaimCart(trx, cart.id))! };
    }
    if (quota.deferred_payment) {
      // Paid later, against a payment offer (invoicing): the claim's seats pass to its order
      // (held until kick-off, as in a card payment), the order becomes DEFERRED — no sweep
      // or card payment touches it — and the claim does not expire. The offer marked PAID
      // completes the order (sales completeOfferPaidOrder).
      await transferQuotaHold(trx, { fromOwnerId: cart.id, toOwnerId: order.id, by: userId, now });
      if (!(await deferQuotaOrder(trx, order))) {
        throw new AppError('QUOTA_CLAIM_NOT_PAYABLE', `The claim's order is ${order.status}`);
      }
      const deferred = await updateClaimCart(trx, cart.id, {
        payment_status: 'DEFERRED',
        expires_at: null,
      });
      await recordAudit(deps, trx, {
        domain: 'quota',
        action: 'quota_claim_deferred',
        actor: { type: 'user', id: userId },
        subject: { type: 'quota', id: quota.id },
        changes: { claim_id: cart.id, order_id: order.id, total: order.total_amount },
      });
      return { kind: 'view' as const, cart: deferred };
    }
    if (order.status === 'PENDING') {
      await transferQuotaHold(trx, { fromOwnerId: cart.id, toOwnerId: order.id, by: userId, now });
    } else if (order.status !== 'PAYMENT_PENDING' && order.status !== 'PAYMENT_FAILED') {
      throw new AppError('QUOTA_CLAIM_NOT_PAYABLE', `The claim's order is ${order.status}`);
    }
    const pending = await markQuotaOrderPaymentPending(trx, order);
    // The payment window: the claim lasts at least as long as a shop payment would.
    const expiresAt = new Date(
      Math.max(cart.expires_at!.getTime(), now.getTime() + PAYMENT_HOLD_MS),
    );
    const updated = await updateClaimCart(trx, cart.id, { expires_at: expiresAt });
    return { kind: 'pay' as const, cart: updated, order: pending };
  });
  if (step.kind === 'view') {
    return { ...(await claimView(deps.db, step.cart)), payment: null };
  }
  let intent;
  try {
    intent = await openPaymentIntent(deps, step.order, userId);
  } catch (err) {
    if (err instanceof AppError && err.code === 'PAYMENT_PROVIDER_ERROR') {
      await releaseRefusedClaim(deps, step.cart.id, step.order.id);
      throw new AppError(
        'PAYMENT_PROVIDER_ERROR',
        'The payment could not be started; the seats went back to the quota, select them again',
        { cause: err },
      );
    }
    throw err;
  }
  const cart = await updateClaimCart(deps.db, step.cart.id, {
    stripe_payment_intent_id: intent.id,
  });
  return {
    ...(await claimView(deps.db, cart)),
    payment: {
      payment_intent_id: intent.id,
      client_secret: intent.clientSecret,
      amount: intent.amount,
      currency: intent.currency,
    },
  };
}

// The sale of a claim's order (Stripe settlement or a free claim): its quota seats SOLD
// with their tickets, the claim COMPLETED, in the completing transaction.
onOrderCompleted(async (trx, order, tickets, now) => {
  // A shop order (it has a cart) is none of ours: no read on the payment hot path.
  if (order.cart_id !== null) return;
  const cart = await findClaimCartOfOrder(trx, order.id);
  // A late success of an abandoned claim (quota cancelled meanwhile) sold seats that were
  // back on public sale: the tickets stand (the shop's late-success rule), the quota keeps
  // its seats CANCELLED and the claim ABANDONED.
  if (!cart || cart.status !== 'ACTIVE') return;
  await markClaimSeatsSold(trx, cart.id, tickets, now);
  // A quota without transfer_allowed: its tickets show it (the transfer itself checks the
  // quota too, tickets/transfer.service.ts).
  const quota = await findQuota(trx, cart.quota_id);
  if (quota && !quota.transfer_allowed) {
    await disallowTicketTransfers(
      trx,
      tickets.map((t) => t.id),
    );
  }
  await updateClaimCart(trx, cart.id, {
    status: 'COMPLETED',
    completed_at: now,
    payment_status: cart.total === 0 ? 'FREE' : 'PAID',
  });
  await refreshClaimStatuses(trx, { quotaId: cart.quota_id, subquotaId: cart.subquota_id, now });
});

// Stripe refused the claim's card payment (payment_intent.payment_failed): the claim's
// seats go back to the quota at once — the order abandoned (its PaymentIntent cancelled),
// the claim ABANDONED — rather than staying RESERVED until the claim expires. The holder
// selects again to retry. In the settling transaction.
onOrderPaymentFailed(async (deps, trx, order, now) => {
  const cart = await findClaimCartOfOrder(trx, order.id);
  if (!cart || cart.status !== 'ACTIVE' || cart.payment_status === 'DEFERRED') return;
  await abandonRefusedClaim(deps, trx, cart, 'payment_failed', now);
});

// A cancelled match (E2-F7): every claim in progress of its quotas, a DEFERRED one too, is
// closed — its order abandoned, its seats back to the quota — in the cancelling
// transaction, before sales cancels the remaining open orders and releases the holds.
onMatchSaleClosed(async (deps, trx, matchId, now) => {
  for (const quota of await listQuotasOfMatch(trx, matchId)) {
    await closeClaimsOfQuota(deps, trx, quota.id, now);
  }
});

/**
 * The `quotas.expire-claims` job: ACTIVE claims past their expiry give their seats back to
 * the quota (EXPIRED). Batches of 100 with SKIP LOCKED, so workers never wait on each other.
 */
export async function expireClaims(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  let total = 0;
  for (;;) {
    const n = await deps.db.transaction().execute(async (trx) => {
      const carts = await lockExpiredClaimCarts(trx, now, 100);
      for (const cart of carts) await closeClaim(deps, trx, cart, 'EXPIRED', now);
      return carts.length;
    });
    total += n;
    if (n < 100) return total;
  }
}

export type { QuotaRow };
