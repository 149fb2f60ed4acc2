import { randomInt } from 'node:crypto';
import { rankAdjacentRuns, type FreeSeat } from '../sales/seat-runs.ts';

/** Pure rules of petrol-station sales (E12): PINs, reservation clock, seat choice. No I/O. */

/** A PIN is 5 decimal digits (E12-F1). */
export const PIN_PATTERN = /^[0-9]{5}$/;
export const isPinShaped = (value: string) => PIN_PATTERN.test(value);

/** A source of PINs; tests inject one to force collisions. */
export type PinSource = () => string;
export const randomPin: PinSource = () => String(randomInt(0, 100_000)).padStart(5, '0');

/** How many PIN draws before giving up (each collision costs one draw). */
export const PIN_DRAWS = 20;

/**
 * A PIN is valid for 24 hours (our choice: time to drive to a station), never past kick-off:
 * the fan asks for a new one after.
 */
export const PIN_TTL_MS = 24 * 3_600_000;
export const pinExpiry = (now: Date, kickOff: Date) =>
  new Date(Math.min(now.getTime() + PIN_TTL_MS, kickOff.getTime()));

/** A cashier's reservation holds the seats for 20 minutes (E12-F3). */
export const RESERVATION_TTL_MS = 20 * 60_000;
/** The staff warnings (E12-F3): at 5 and at 1 minute left. */
export const WARNING_FIVE_MS = 5 * 60_000;
export const WARNING_ONE_MS = 60_000;

export type ReservationWarning = 'FIVE_MINUTES' | 'ONE_MINUTE' | 'EXPIRED';

/** The warning the portal shows for a live reservation now (null: none yet). */
export function reservationWarning(expiresAt: Date, now: Date): ReservationWarning | null {
  const left = expiresAt.getTime() - now.getTime();
  if (left <= 0) return 'EXPIRED';
  if (left <= WARNING_ONE_MS) return 'ONE_MINUTE';
  if (left <= WARNING_FIVE_MS) return 'FIVE_MINUTES';
  return null;
}

export const secondsLeft = (expiresAt: Date, now: Date) =>
  Math.max(0, Math.ceil((expiresAt.getTime() - now.getTime()) / 1000));

/**
 * Failed PIN lookups allowed per window, per cashier and per station (E12-F2, against
 * guessing 5-digit PINs): a cashier mistyping a few times is fine, a loop is stopped after
 * 5 misses; a station with several tills gets 15. With ≤ 4,000 live PINs of 100,000 values,
 * a guesser finds one in ~25 tries on average: 5 per 10 minutes per cashier makes that ~50
 * minutes of a cashier account, every miss audited.
 */
export const LOOKUP_WINDOW_MS = 10 * 60_000;
export const LOOKUP_FAILURES_PER_STAFF = 5;
export const LOOKUP_FAILURES_PER_STATION = 15;

/** The app deep link of a petrol quota (E12-F4): derived from its id, never stored. */
export const petrolDeepLink = (quotaId: string) => `hns://petrol-sales/${quotaId}`;

export interface PetrolFreeSeat extends FreeSeat {
  match_sector_id: string;
}

/**
 * The seats a reservation takes: the best run of `quantity` adjacent seats (sales'
 * seat-run ranking: same row, consecutive columns, no orphan where avoidable, front of the
 * snake first), sector by sector in the quota's order; with no such run anywhere, the
 * first free seats in snake order (a group is better seated apart than not sold).
 * `seats` are in sector order, then snake order. Undefined: fewer free seats than wanted.
 */
export function pickPetrolSeats(
  seats: readonly PetrolFreeSeat[],
  sectorOrder: readonly string[],
  quantity: number,
): string[] | undefined {
  if (seats.length < quantity) return undefined;
  for (const sector of sectorOrder) {
    const inSector = seats.filter((s) => s.match_sector_id === sector);
    const best = rankAdjacentRuns(inSector, quantity, 1).best[0];
    if (best) return best.ids;
  }
  return seats.slice(0, quantity).map((s) => s.id);
}
