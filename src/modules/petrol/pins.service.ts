import type { AppDeps } from '../../deps.ts';
import { getPiiCipher, maskLast4 } from '../../platform/crypto.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound, type FieldError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { findBlacklisted, refuseBlacklisted } from '../blacklist/blacklist.service.ts';
import { findUserById } from '../identity/users.repo.ts';
import { findMatchOfQuota, findQuota } from '../quotas/quotas.repo.ts';
import { matchName } from '../quotas/quota-links.ts';
import { MATCH_TICKET_LIMIT } from '../sales/allowance.ts';
import { countFanSeats, lockPurchaseLimit } from '../sales/carts.repo.ts';
import {
  resolveHolders,
  type HolderInput,
  type ResolvedHolder,
} from '../sales/checkout.service.ts';
import { holderHasTicketOfMatch } from '../tickets/transfer.repo.ts';
import { activePetrolQuotaOf, countFreePetrolSeats } from './petrol-quotas.repo.ts';
import { PIN_DRAWS, pinExpiry, randomPin, type PinSource } from './petrol.rules.ts';
import {
  activePinsOfFan,
  insertPinUnlessTaken,
  latestPinOfFan,
  updatePin,
  type PinRow,
} from './pins.repo.ts';
import { liveReservationOfPin } from './reservations.repo.ts';
import { releaseReservation } from './reservation-release.ts';

/**
 * The fan's side of petrol sales (E12-F1): a PIN for tickets bought at a petrol-station
 * counter. Everything that can refuse the sale later is checked now (allocation, holders,
 * blacklist, per-match limit), so the cashier rarely turns a fan away.
 */
type Deps = Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>;

interface StoredHolders {
  /** What the cashier sees (OIB masked). */
  holders: {
    full_name: string;
    date_of_birth: string;
    nationality: string;
    oib_masked: string | null;
    has_passport: boolean;
    is_minor: boolean;
  }[];
  /** The resolved holders (OIB, passport) sealed with the PII cipher, for the order lines. */
  sealed: string;
}

export function pinView(pin: PinRow) {
  const stored = pin.ticket_holders_json as unknown as StoredHolders;
  return {
    id: pin.id,
    pin: pin.pin,
    match_id: pin.match_id,
    quota_id: pin.quota_id,
    quantity: pin.quantity,
    status: pin.status,
    expires_at: pin.expires_at.toISOString(),
    created_at: pin.created_at.toISOString(),
    holders: stored.holders,
  };
}

/** The resolved holders of a PIN (for the order's lines). */
export function pinHolders(deps: Pick<AppDeps, 'config'>, pin: PinRow): ResolvedHolder[] {
  const stored = pin.ticket_holders_json as unknown as StoredHolders;
  return JSON.parse(getPiiCipher(deps.config).decrypt(stored.sealed)) as ResolvedHolder[];
}

/** The fan's tickets and holds for the match plus `quantity` must stay within the limit. */
export async function assertWithinLimit(
  trx: Executor,
  userId: string,
  matchId: string,
  quantity: number,
  now: Date,
) {
  await lockPurchaseLimit(trx, userId, matchId, now);
  const held = await countFanSeats(trx, userId, matchId, now);
  if (held + quantity > MATCH_TICKET_LIMIT) {
    throw new AppError(
      'PURCHASE_LIMIT_EXCEEDED',
      `At most ${MATCH_TICKET_LIMIT} tickets per match; you have ${held}`,
      { extra: { limit: MATCH_TICKET_LIMIT, remaining: Math.max(0, MATCH_TICKET_LIMIT - held) } },
    );
  }
}

/** POST /petrol-sales/{match_id}/generate-pin (E12-F1). */
export async function generatePin(
  deps: Deps,
  userId: string,
  matchId: string,
  body: { holders: HolderInput[] },
  ctx: { ip: string | null; userAgent: string | null },
  options: { drawPin?: PinSource } = {},
) {
  const now = deps.clock.now();
  const drawPin = options.drawPin ?? randomPin;
  const match = await findMatchOfQuota(deps.db, matchId);
  const quota = match ? await activePetrolQuotaOf(deps.db, matchId) : undefined;
  if (!match || !quota || match.kick_off_time <= now) {
    throw new AppError('PETROL_NOT_AVAILABLE', 'The match has no petrol-station sale now');
  }
  const quantity = body.holders.length;
  const available = await countFreePetrolSeats(deps.db, quota.id);
  if (available < quantity) {
    throw new AppError(
      'PETROL_SOLD_OUT',
      `${quantity} wanted, ${available} left at petrol stations`,
      {
        extra: { requested: quantity, available },
      },
    );
  }
  const user = await findUserById(deps.db, userId);
  const holders = await resolveHolders(deps, userId, user?.email ?? null, body.holders, {
    buyerFirst: false,
  });
  const oibs = holders.map((h) => h.oib).filter((o): o is string => !!o);
  const hits = await findBlacklisted(deps, deps.db, oibs);
  if (hits.length) {
    await refuseBlacklisted(
      deps,
      hits,
      'PURCHASE_ATTEMPT',
      { ...ctx, userId, matchId },
      {
        holder_positions: holders.flatMap((h, i) =>
          h.oib && hits.some((x) => x.oib === h.oib) ? [i + 1] : [],
        ),
      },
    );
  }
  const pii = getPiiCipher(deps.config);
  const errors: FieldError[] = [];
  for (const [i, h] of holders.entries()) {
    if (
      h.oib &&
      (await holderHasTicketOfMatch(deps.db, {
        matchId,
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
  const stored: StoredHolders = {
    holders: holders.map((h) => ({
      full_name: h.full_name,
      date_of_birth: h.date_of_birth,
      nationality: h.nationality,
      oib_masked: h.oib ? maskLast4(h.oib) : null,
      has_passport: !!h.passport_number,
      is_minor: h.is_minor,
    })),
    sealed: pii.encrypt(JSON.stringify(holders)),
  };
  return deps.db.transaction().execute(async (trx) => {
    // The (fan, match) lock orders this with the fan's cart additions and other PINs.
    await assertWithinLimit(trx, userId, matchId, quantity, now);
    // One PIN per fan and match: a new one replaces the previous, unless it is at a counter.
    for (const previous of await activePinsOfFan(trx, userId, matchId)) {
      const live = await liveReservationOfPin(trx, previous.id);
      if (live && live.expires_at > now) {
        throw new AppError('PETROL_PIN_IN_USE', 'A cashier is serving your current PIN', {
          extra: { pin_id: previous.id },
        });
      }
      // A reservation that lapsed (the job not yet run) gives its seats back first.
      if (live)
        await releaseReservation(deps, trx, live, {
          status: 'EXPIRED',
          by: null,
          reason: 'TIMEOUT',
          now,
        });
      await updatePin(trx, previous.id, { status: 'CANCELLED' });
    }
    // Unique among ACTIVE PINs: a drawn number another active PIN has is drawn again.
    let pin: PinRow | undefined;
    let draws = 0;
    while (!pin && draws < PIN_DRAWS) {
      draws++;
      pin = await insertPinUnlessTaken(trx, {
        pin: drawPin(),
        user_id: userId,
        match_id: matchId,
        quota_id: quota.id,
        quantity,
        ticket_holders_json: stored,
        expires_at: pinExpiry(now, match.kick_off_time),
        now,
      });
    }
    if (!pin) throw new AppError('SERVICE_BUSY', 'No free PIN could be drawn; retry');
    await recordAudit(deps, trx, {
      domain: 'petrol',
      action: 'petrol_pin_generated',
      actor: { type: 'user', id: userId },
      subject: { type: 'petrol_pin', id: pin.id },
      changes: { match_id: matchId, quota_id: quota.id, quantity, draws },
    });
    return pinView(pin);
  });
}

/** GET /petrol-sales/{match_id}/pin: the fan's current PIN for the match. */
export async function currentPin(deps: Pick<AppDeps, 'db'>, userId: string, matchId: string) {
  const pin = await latestPinOfFan(deps.db, userId, matchId);
  if (!pin) throw notFound('PIN');
  return pinView(pin);
}

/** GET /petrol-sales/quotas/{quota_id}: where the station's QR deep link leads the app. */
export async function petrolSaleInfo(deps: Pick<AppDeps, 'db'>, quotaId: string) {
  const quota = await findQuota(deps.db, quotaId);
  if (!quota || quota.quota_type !== 'PETROL') throw notFound('Petrol sale');
  const match = (await findMatchOfQuota(deps.db, quota.match_id))!;
  return {
    quota_id: quota.id,
    match_id: quota.match_id,
    match_name: matchName(match),
    kick_off_time: match.kick_off_time.toISOString(),
    available: quota.status === 'ACTIVE' ? await countFreePetrolSeats(deps.db, quota.id) : 0,
    status: quota.status,
  };
}
