import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  findBlacklisted,
  refuseBlacklisted,
  type BlacklistHit,
} from '../blacklist/blacklist.service.ts';
import { findUserById } from '../identity/users.repo.ts';
import {
  holdAllocatedSeats,
  seatDetails,
  transferQuotaHold,
} from '../inventory/quota-seats.repo.ts';
import { queueInvoiceRequest } from '../invoicing/invoices.service.ts';
import { sendPush } from '../notifications/notify.ts';
import { refreshClaimStatuses } from '../quotas/claims.repo.ts';
import { findMatchOfQuota, findQuota, listQuotasOfMatch } from '../quotas/quotas.repo.ts';
import { matchName } from '../quotas/quota-links.ts';
import { percentToBp, presalePrice, priceOrder } from '../payments/fees.ts';
import { announceOrderCompleted } from '../sales/order-events.ts';
import { listOrderItems, transitionOrder } from '../sales/orders.repo.ts';
import { quotaPricing, writeQuotaOrder } from '../sales/quota-checkout.service.ts';
import { sellAndIssueOrderTickets } from '../tickets/tickets.service.ts';
import { assertLookupAllowed, recordFailedLookup } from './lookup-limits.ts';
import { releaseReservation } from './reservation-release.ts';
import {
  lockPetrolQuota,
  freePetrolSeats,
  markPetrolSeatsSold,
  reservePetrolQuotaSeats,
} from './petrol-quotas.repo.ts';
import {
  isPinShaped,
  pickPetrolSeats,
  RESERVATION_TTL_MS,
  reservationWarning,
  secondsLeft,
} from './petrol.rules.ts';
import {
  expireActivePinsOfQuota,
  expireDuePins,
  lockPin,
  lockPinByNumber,
  updatePin,
  type PinRow,
} from './pins.repo.ts';
import { assertWithinLimit, pinHolders, pinView } from './pins.service.ts';
import {
  findReservation,
  insertReservation,
  insertSale,
  liveReservationOfPin,
  liveReservationsOfQuota,
  liveReservationsOfStaff,
  liveReservationsOfStation,
  lockExpiredReservations,
  saleOfReservation,
  seatLabels,
  updateReservation,
  type ReservationRow,
} from './reservations.repo.ts';
import { stationOfStaff } from './stations.repo.ts';

/**
 * The cashier portal (E12-F2, E12-F3): a PIN lookup shows the customer and reserves
 * adjacent seats of the petrol quota for 20 minutes; the confirmation after the identity
 * check and the cash or card payment creates the order and its tickets in one transaction
 * (no Stripe); a reservation is cancelled by its cashier or released by the job when it
 * runs out. Seats: the quota seats RESERVED, their inventory rows RESERVED with hold_kind
 * QUOTA and the reservation as owner, held until kick-off (a lapsed reservation goes back
 * to the petrol quota through the job, never to public sale).
 */
type Deps = Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config' | 'redis' | 'logger'>;

/** The station of a cashier; a PETROL_STAFF user with none is refused. */
export async function staffStation(deps: Pick<AppDeps, 'db'>, staffId: string) {
  const station = await stationOfStaff(deps.db, staffId);
  if (!station) throw new AppError('PETROL_STAFF_NO_STATION');
  return station;
}

async function reservationView(db: Executor, reservation: ReservationRow, now: Date) {
  const live = reservation.status === 'RESERVED' || reservation.status === 'IDENTITY_VERIFIED';
  return {
    id: reservation.id,
    pin_id: reservation.pin_id,
    staff_id: reservation.staff_id,
    station_id: reservation.station_id,
    quota_id: reservation.quota_id,
    status: reservation.status,
    reserved_at: reservation.reserved_at.toISOString(),
    expires_at: reservation.expires_at.toISOString(),
    seconds_left: live ? secondsLeft(reservation.expires_at, now) : 0,
    warning: live ? reservationWarning(reservation.expires_at, now) : null,
    completed_at: reservation.completed_at?.toISOString() ?? null,
    cancelled_at: reservation.cancelled_at?.toISOString() ?? null,
    cancellation_reason: reservation.cancellation_reason,
    seats: (await seatLabels(db, reservation.seats)).map((s) => ({
      inventory_id: s.inventory_id,
      sector_code: s.sector_code,
      row: s.row,
      seat_number: s.seat_number,
    })),
  };
}

/** What the reserved seats cost: the quota's pricing (category price less its discount). */
async function priceReservation(
  deps: Pick<AppDeps, 'db' | 'config'>,
  db: Executor,
  input: {
    matchId: string;
    matchType: 'HOME' | 'AWAY';
    discountPercent: number;
    seats: string[];
    now: Date;
  },
) {
  const rates = await quotaPricing(deps, input.matchId, input.now);
  const details = await seatDetails(db, input.seats);
  const byId = new Map(details.map((d) => [d.inventory_id, d]));
  const ordered = input.seats.map((id) => byId.get(id)!);
  const amounts = priceOrder(
    ordered.map((d) => presalePrice(d.price ?? 0, percentToBp(input.discountPercent))),
    input.matchType,
    rates,
  );
  return { rates, ordered, amounts };
}

type LookupOutcome =
  | { kind: 'ok'; pin: PinRow; reservation: ReservationRow; created: boolean }
  | { kind: 'fail'; code: 'PETROL_PIN_NOT_FOUND' | 'PETROL_PIN_EXPIRED' | 'PETROL_PIN_USED' };

/**
 * GET /petrol-portal/pins/{pin} (E12-F2): the customer and a 20-minute reservation of
 * adjacent seats of the petrol quota. The PIN row is locked first, so two cashiers looking
 * up one PIN at once serialise: the first reserves, the second gets 409
 * PETROL_PIN_RESERVED; the same cashier again gets the same reservation. A lapsed
 * reservation (the job not yet run) is released here, so the PIN can be served again while
 * it is valid. The petrol quota row is locked while seats are picked: stations racing for
 * the last seats take them one after the other, never the same seat.
 */
export async function lookupPin(deps: Deps, staffId: string, rawPin: string) {
  const station = await staffStation(deps, staffId);
  await assertLookupAllowed(deps, staffId, station.id);
  if (!isPinShaped(rawPin)) {
    await recordFailedLookup(deps, {
      staffId,
      stationId: station.id,
      pin: rawPin,
      reason: 'MALFORMED',
    });
    throw new AppError('PETROL_PIN_MALFORMED');
  }
  const now = deps.clock.now();
  const outcome = await deps.db.transaction().execute(async (trx): Promise<LookupOutcome> => {
    const pin = await lockPinByNumber(trx, rawPin);
    if (!pin || pin.status === 'CANCELLED') return { kind: 'fail', code: 'PETROL_PIN_NOT_FOUND' };
    if (pin.status === 'USED') return { kind: 'fail', code: 'PETROL_PIN_USED' };
    // Lock order everywhere: PIN, petrol quota, reservation (the quota's cancellation takes
    // quota then reservations), so no two of these deadlock.
    const quota = await lockPetrolQuota(trx, pin.quota_id);
    let live = await liveReservationOfPin(trx, pin.id);
    if (live && live.expires_at <= now) {
      await releaseReservation(deps, trx, live, {
        status: 'EXPIRED',
        by: null,
        reason: 'TIMEOUT',
        now,
      });
      live = undefined;
    }
    if (live) {
      if (live.staff_id !== staffId) {
        throw new AppError('PETROL_PIN_RESERVED', 'Another cashier is serving this PIN', {
          extra: { station_id: live.station_id, expires_at: live.expires_at.toISOString() },
        });
      }
      return { kind: 'ok', pin, reservation: live, created: false };
    }
    if (pin.status === 'EXPIRED' || pin.expires_at <= now) {
      if (pin.status === 'ACTIVE') await updatePin(trx, pin.id, { status: 'EXPIRED' });
      return { kind: 'fail', code: 'PETROL_PIN_EXPIRED' };
    }
    if (!quota || quota.status !== 'ACTIVE') {
      throw new AppError('PETROL_SOLD_OUT', 'The petrol allocation is closed or sold out');
    }
    const match = (await findMatchOfQuota(trx, pin.match_id))!;
    const free = await freePetrolSeats(trx, quota.id);
    const picked = pickPetrolSeats(free, quota.sector_ids, pin.quantity);
    if (!picked) {
      throw new AppError('PETROL_SOLD_OUT', `${pin.quantity} wanted, ${free.length} left`, {
        extra: { requested: pin.quantity, available: free.length },
      });
    }
    const reservation = await insertReservation(trx, {
      pin_id: pin.id,
      staff_id: staffId,
      station_id: station.id,
      quota_id: quota.id,
      seats: picked,
      reserved_at: now,
      expires_at: new Date(now.getTime() + RESERVATION_TTL_MS),
    });
    const reserved = await reservePetrolQuotaSeats(trx, quota.id, picked);
    const held =
      reserved === picked.length
        ? await holdAllocatedSeats(trx, {
            inventoryIds: picked,
            ownerId: reservation.id,
            heldUntil: match.kick_off_time,
            by: staffId,
            now,
          })
        : 0;
    // The quota row lock orders reservations of one quota: a mismatch means a seat's quota
    // state disagrees with its inventory row; refuse rather than half-reserve.
    if (held !== picked.length) throw new AppError('PETROL_SOLD_OUT');
    await recordAudit(deps, trx, {
      domain: 'petrol',
      action: 'petrol_seats_reserved',
      actor: { type: 'user', id: staffId },
      subject: { type: 'petrol_reservation', id: reservation.id },
      changes: { pin_id: pin.id, station_id: station.id, seats: picked.length },
    });
    return { kind: 'ok', pin, reservation, created: true };
  });
  if (outcome.kind === 'fail') {
    await recordFailedLookup(deps, {
      staffId,
      stationId: station.id,
      pin: rawPin,
      reason: outcome.code,
    });
    throw new AppError(outcome.code);
  }
  const { pin, reservation } = outcome;
  const fan = await findUserById(deps.db, pin.user_id);
  const match = (await findMatchOfQuota(deps.db, pin.match_id))!;
  const quota = (await findQuota(deps.db, reservation.quota_id))!;
  const { amounts } = await priceReservation(deps, deps.db, {
    matchId: pin.match_id,
    matchType: match.match_type,
    discountPercent: Number(quota.discount_percent),
    seats: reservation.seats,
    now,
  });
  return {
    created: outcome.created,
    body: {
      pin: pinView(pin),
      customer: { user_id: pin.user_id, email: fan?.email ?? null },
      match: {
        id: match.id,
        name: matchName(match),
        kick_off_time: match.kick_off_time.toISOString(),
      },
      reservation: await reservationView(deps.db, reservation, now),
      amount_due: amounts.totalAmount,
      currency: 'EUR',
    },
  };
}

/** The live reservation of a PIN for its cashier's confirmation, or why not. */
async function reservationToConfirm(
  trx: Executor,
  staffId: string,
  rawPin: string,
  reservationId: string | undefined,
  now: Date,
) {
  const pin = await lockPinByNumber(trx, rawPin);
  if (!pin || pin.status === 'CANCELLED') throw new AppError('PETROL_PIN_NOT_FOUND');
  if (pin.status === 'USED') throw new AppError('PETROL_PIN_USED');
  const quota = (await lockPetrolQuota(trx, pin.quota_id))!;
  const live = await liveReservationOfPin(trx, pin.id);
  if (!live) {
    throw new AppError(
      'PETROL_RESERVATION_EXPIRED',
      'No seats are reserved; look the PIN up again',
    );
  }
  if (live.staff_id !== staffId) throw new AppError('PETROL_RESERVATION_NOT_YOURS');
  if (reservationId && live.id !== reservationId) {
    throw new AppError('PETROL_RESERVATION_CLOSED', 'That reservation is no longer open');
  }
  if (live.expires_at <= now) {
    throw new AppError(
      'PETROL_RESERVATION_EXPIRED',
      'The reservation ran out; look the PIN up again',
    );
  }
  return { pin, reservation: live, quota };
}

/**
 * POST /petrol-portal/pins/{pin}/confirm (E12-F2): after the identity check and the cash
 * or card payment, one transaction writes the order (priced like a quota claim), passes
 * the seats' hold to it, sells them and issues the tickets (the fan's app lists them at
 * once), completes the order (PETROL_SALE_CONFIRMED), marks the quota seats SOLD, queues
 * the invoice, writes the petrol_sales row and uses the PIN up. The PIN row lock makes a
 * second confirmation wait and then find the PIN USED (409): one order per PIN.
 */
export async function confirmPin(
  deps: Deps,
  staffId: string,
  rawPin: string,
  body: {
    payment_method: 'CASH' | 'CARD';
    payment_reference: string;
    reservation_id?: string;
  },
) {
  const station = await staffStation(deps, staffId);
  if (!isPinShaped(rawPin)) throw new AppError('PETROL_PIN_MALFORMED');
  const now = deps.clock.now();
  const result = await deps.db.transaction().execute(async (trx) => {
    const { pin, reservation, quota } = await reservationToConfirm(
      trx,
      staffId,
      rawPin,
      body.reservation_id,
      now,
    );
    const holders = pinHolders(deps, pin);
    const oibs = holders.map((h) => h.oib).filter((o): o is string => !!o);
    // Checked at PIN generation; again now, as a blacklisting may have come in since.
    const hits = await findBlacklisted(deps, trx, oibs);
    if (hits.length) return { kind: 'blacklisted' as const, hits, pin };
    await assertWithinLimit(trx, pin.user_id, pin.match_id, pin.quantity, now);
    const match = (await findMatchOfQuota(trx, pin.match_id))!;
    const { rates, ordered } = await priceReservation(deps, trx, {
      matchId: pin.match_id,
      matchType: match.match_type,
      discountPercent: Number(quota.discount_percent),
      seats: reservation.seats,
      now,
    });
    const { order } = await writeQuotaOrder(deps, trx, {
      userId: pin.user_id,
      matchId: pin.match_id,
      matchType: match.match_type,
      seats: ordered.map((d) => ({
        inventory_id: d.inventory_id,
        match_sector_id: d.match_sector_id,
        price_category_id: d.price_category_id,
        price: d.price ?? 0,
      })),
      holders,
      discountPercent: Number(quota.discount_percent),
      rates,
      previousOrderId: null,
      now,
      channel: 'petrol',
    });
    await transferQuotaHold(trx, {
      fromOwnerId: reservation.id,
      toOwnerId: order.id,
      by: staffId,
      now,
    });
    const items = await listOrderItems(trx, order.id);
    const tickets = await sellAndIssueOrderTickets(deps, trx, order, items, now);
    // The seats are held by the reservation until kick-off: only a bug loses them.
    if (!tickets)
      throw new AppError('PETROL_RESERVATION_EXPIRED', 'The reserved seats are no longer held');
    const completed = (await transitionOrder(trx, order.id, 'PETROL_SALE_CONFIRMED', {
      completed_at: now,
    }))!;
    await announceOrderCompleted(trx, completed, tickets, now);
    await markPetrolSeatsSold(trx, quota.id, tickets, now);
    await refreshClaimStatuses(trx, { quotaId: quota.id, subquotaId: null, now });
    // The invoice (E8-F5) through invoicing's outbox, like every paid order.
    await queueInvoiceRequest(deps, trx, order.id);
    const sale = await insertSale(trx, {
      reservation_id: reservation.id,
      order_id: order.id,
      payment_method: body.payment_method,
      payment_reference: body.payment_reference,
      total_amount: completed.total_amount,
      processed_by: staffId,
      station_id: station.id,
      processed_at: now,
    });
    const done = await updateReservation(trx, reservation.id, {
      status: 'COMPLETED',
      identity_verified_at: reservation.identity_verified_at ?? now,
      completed_at: now,
    });
    await updatePin(trx, pin.id, { status: 'USED', used_at: now });
    await sendPush(deps, trx, {
      user_id: pin.user_id,
      notification_type: 'tickets_ready',
      title: 'Your tickets are ready',
      body: `${tickets.length} × ${matchName(match)}`,
      data: { deeplink: `hns://orders/${order.id}`, order_id: order.id },
      priority: 'HIGH',
    });
    await recordAudit(deps, trx, {
      domain: 'petrol',
      action: 'petrol_sale_confirmed',
      actor: { type: 'user', id: staffId },
      subject: { type: 'petrol_sale', id: sale.id },
      changes: {
        order_id: order.id,
        station_id: station.id,
        payment_method: sale.payment_method,
        total_amount: sale.total_amount,
        ticket_ids: tickets.map((t) => t.id),
      },
    });
    return { kind: 'sold' as const, sale, order: completed, tickets, reservation: done };
  });
  if (result.kind === 'blacklisted') {
    return refuseBlacklisted(deps, result.hits as BlacklistHit[], 'PURCHASE_ATTEMPT', {
      userId: result.pin.user_id,
      matchId: result.pin.match_id,
    });
  }
  return {
    sale: {
      id: result.sale.id,
      payment_method: result.sale.payment_method,
      payment_reference: result.sale.payment_reference,
      total_amount: result.sale.total_amount,
      station_id: result.sale.station_id,
      processed_by: result.sale.processed_by,
      processed_at: result.sale.processed_at.toISOString(),
    },
    order: {
      id: result.order.id,
      order_number: result.order.order_number,
      status: result.order.status,
      total_amount: result.order.total_amount,
    },
    ticket_ids: result.tickets.map((t) => t.id),
    reservation: await reservationView(deps.db, result.reservation, now),
  };
}

/**
 * The cashier's own live reservation, locked: the PIN first, then the reservation (the
 * order of lookup and confirm, so no deadlock); 404, 403 for another cashier's, 409 when
 * it is no longer open.
 */
async function lockOwnLiveReservation(trx: Executor, staffId: string, id: string) {
  const found = await findReservation(trx, id);
  if (!found) throw notFound('Reservation');
  if (found.staff_id !== staffId) throw new AppError('PETROL_RESERVATION_NOT_YOURS');
  await lockPin(trx, found.pin_id);
  const reservation = (await findReservation(trx, id, { forUpdate: true }))!;
  if (reservation.status !== 'RESERVED' && reservation.status !== 'IDENTITY_VERIFIED') {
    throw new AppError('PETROL_RESERVATION_CLOSED', `The reservation is ${reservation.status}`);
  }
  return reservation;
}

/**
 * POST /petrol-portal/reservations/{id}/verify-identity (E12-F2): the cashier checked the
 * holders' documents: RESERVED → IDENTITY_VERIFIED (`identity_verified_at`). Optional: the
 * confirmation with `identity_verified: true` records the same in one step.
 */
export async function verifyIdentity(deps: Deps, staffId: string, id: string) {
  await staffStation(deps, staffId);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const reservation = await lockOwnLiveReservation(trx, staffId, id);
    if (reservation.expires_at <= now) throw new AppError('PETROL_RESERVATION_EXPIRED');
    const verified =
      reservation.status === 'IDENTITY_VERIFIED'
        ? reservation
        : await updateReservation(trx, reservation.id, {
            status: 'IDENTITY_VERIFIED',
            identity_verified_at: now,
          });
    await recordAudit(deps, trx, {
      domain: 'petrol',
      action: 'petrol_identity_verified',
      actor: { type: 'user', id: staffId },
      subject: { type: 'petrol_reservation', id: reservation.id },
      changes: { pin_id: reservation.pin_id },
    });
    return reservationView(trx, verified, now);
  });
}

/** POST /petrol-portal/reservations/{id}/cancel (E12-F3): the seats go back at once. */
export async function cancelReservation(
  deps: Deps,
  staffId: string,
  id: string,
  body: { reason?: string | null },
) {
  await staffStation(deps, staffId);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const reservation = await lockOwnLiveReservation(trx, staffId, id);
    const closed = await releaseReservation(deps, trx, reservation, {
      status: 'CANCELLED',
      by: staffId,
      reason: body.reason ?? 'CANCELLED_BY_STAFF',
      now,
    });
    return reservationView(trx, closed, now);
  });
}

/**
 * GET /petrol-portal/reservations (E12-F3, the staff warnings): the cashier's live
 * reservations with the seconds left and the warning to show (FIVE_MINUTES at 5 minutes
 * left, ONE_MINUTE at 1). The portal polls it (every 15 s is enough for a 1-minute warning).
 */
export async function myReservations(deps: Pick<AppDeps, 'db' | 'clock'>, staffId: string) {
  await staffStation(deps, staffId);
  const now = deps.clock.now();
  const rows = await liveReservationsOfStaff(deps.db, staffId);
  return { items: await Promise.all(rows.map((r) => reservationView(deps.db, r, now))) };
}

/** GET /petrol-portal/reservations/{id}: one of the cashier's reservations. */
export async function myReservation(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  staffId: string,
  id: string,
) {
  await staffStation(deps, staffId);
  const reservation = await findReservation(deps.db, id);
  if (!reservation) throw notFound('Reservation');
  if (reservation.staff_id !== staffId) throw new AppError('PETROL_RESERVATION_NOT_YOURS');
  const view = await reservationView(deps.db, reservation, deps.clock.now());
  const sale = await saleOfReservation(deps.db, reservation.id);
  return { ...view, order_id: sale?.order_id ?? null };
}

/**
 * Releases the live reservations of a removed cashier or a deactivated station (CANCELLED,
 * `reason`), in the caller's transaction. Each is locked PIN first, then reservation (the
 * order of lookup and confirm); one completed or closed meanwhile is left alone.
 */
export async function releaseReservationsOf(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  of: { staffId: string } | { stationId: string },
  input: { by: string; reason: string; now: Date },
): Promise<number> {
  const rows =
    'staffId' in of
      ? await liveReservationsOfStaff(trx, of.staffId)
      : await liveReservationsOfStation(trx, of.stationId);
  let released = 0;
  for (const row of rows) {
    await lockPin(trx, row.pin_id);
    const live = await liveReservationOfPin(trx, row.pin_id);
    if (live?.id !== row.id) continue;
    await releaseReservation(deps, trx, live, { status: 'CANCELLED', ...input });
    released++;
  }
  return released;
}

/** Closes a petrol quota's live reservations (its cancellation, in that transaction). */
export async function closeReservationsOfQuota(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  quotaId: string,
  input: { by: string; now: Date },
) {
  for (const r of await liveReservationsOfQuota(trx, quotaId)) {
    await releaseReservation(deps, trx, r, {
      status: 'CANCELLED',
      by: input.by,
      reason: 'QUOTA_CANCELLED',
      now: input.now,
    });
  }
}

/**
 * A petrol quota past its deadline (the quotas deadline job's hook, in its transaction, the
 * quota locked): live reservations EXPIRED (`QUOTA_EXPIRED`), their seats back to the quota
 * and then, with the other unclaimed seats, to public sale (E7-F1); ACTIVE PINs EXPIRED, so
 * a lookup answers 410 `PETROL_PIN_EXPIRED` rather than "sold out".
 */
export function endPetrolQuotaAtDeadline(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  quota: { id: string; match_id: string; quota_type: string },
  now: Date,
) {
  return endPetrolSales(deps, trx, quota, now, 'QUOTA_EXPIRED');
}

/**
 * A cancelled match (E2-F7; sales' onMatchSaleClosed, in the cancelling transaction): its
 * petrol quotas' live reservations CANCELLED (`MATCH_CANCELLED`), their seats back to the
 * quota before the cancellation releases the match's holds; ACTIVE PINs EXPIRED.
 */
export async function endPetrolSalesOfCancelledMatch(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  matchId: string,
  now: Date,
) {
  for (const quota of await listQuotasOfMatch(trx, matchId)) {
    await endPetrolSales(deps, trx, quota, now, 'MATCH_CANCELLED');
  }
}

async function endPetrolSales(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  quota: { id: string; match_id: string; quota_type: string },
  now: Date,
  why: 'QUOTA_EXPIRED' | 'MATCH_CANCELLED',
) {
  if (quota.quota_type !== 'PETROL') return;
  const reservations = await liveReservationsOfQuota(trx, quota.id);
  for (const r of reservations) {
    await releaseReservation(deps, trx, r, {
      status: why === 'QUOTA_EXPIRED' ? 'EXPIRED' : 'CANCELLED',
      by: null,
      reason: why,
      now,
    });
  }
  const pins = await expireActivePinsOfQuota(trx, quota.id);
  await recordAudit(deps, trx, {
    domain: 'petrol',
    action:
      why === 'QUOTA_EXPIRED' ? 'petrol_quota_expired' : 'petrol_sales_closed_match_cancelled',
    actor: { type: 'system' },
    subject: { type: 'quota', id: quota.id },
    changes: {
      quota_id: quota.id,
      match_id: quota.match_id,
      reservations_released: reservations.length,
      pins_expired: pins,
    },
  });
}

/**
 * The `petrol.release-reservations` job (every minute, E12-F3): live reservations past
 * their 20 minutes give their seats back to the petrol quota (EXPIRED), in batches with
 * SKIP LOCKED; then PINs past their expiry become EXPIRED.
 */
export async function releaseExpiredReservations(deps: Pick<AppDeps, 'db' | 'clock'>) {
  const now = deps.clock.now();
  let total = 0;
  for (;;) {
    const n = await deps.db.transaction().execute(async (trx) => {
      const rows = await lockExpiredReservations(trx, now, 100);
      for (const r of rows) {
        await releaseReservation(deps, trx, r, {
          status: 'EXPIRED',
          by: null,
          reason: 'TIMEOUT',
          now,
        });
      }
      return rows.length;
    });
    total += n;
    if (n < 100) break;
  }
  await expireDuePins(deps.db, now);
  return total;
}
