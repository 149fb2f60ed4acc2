import type { TicketStatus } from '../../platform/db/types.generated.ts';

/**
 * What a ticket shows and when (E9-F2), pure. Counted back from kick-off:
 * - ORDER_INFO: more than 4 days before — the order only (no seat, no barcode, no QR);
 * - SEAT: from 4 days before until 5 hours before — the seat, still no barcode or QR;
 * - FULL: from 5 hours before (and after kick-off) — everything, the QR included.
 * Each tier opens at its instant: `now` equal to kick-off − 4 days is SEAT, equal to
 * kick-off − 5 hours is FULL, so the `opens_at` a fan is told is exact. A late QR keeps a
 * screenshot of the code from being resold for days before the match.
 */

export const SEAT_VISIBLE_BEFORE_KICKOFF_MS = 4 * 24 * 3_600_000;
export const QR_VISIBLE_BEFORE_KICKOFF_MS = 5 * 3_600_000;

export const VISIBILITY_TIERS = ['ORDER_INFO', 'SEAT', 'FULL'] as const;
export type VisibilityTier = (typeof VISIBILITY_TIERS)[number];

/**
 * Statuses whose barcode and QR open the gate. A cancelled, refunded or transferred-away
 * ticket never shows its code, whatever the time.
 */
export const CODE_TICKET_STATUSES: readonly TicketStatus[] = ['SOLD', 'ATTENDED'];
const CODE_STATUSES: ReadonlySet<TicketStatus> = new Set(CODE_TICKET_STATUSES);

export interface TicketVisibility {
  tier: VisibilityTier;
  seat_visible_at: Date;
  qr_opens_at: Date;
  /** The seat is shown (SEAT and FULL). */
  seat: boolean;
  /** The barcode and QR payload are shown: FULL and a valid ticket. */
  codes: boolean;
}

export function seatVisibleAt(kickOff: Date): Date {
  return new Date(kickOff.getTime() - SEAT_VISIBLE_BEFORE_KICKOFF_MS);
}

export function qrOpensAt(kickOff: Date): Date {
  return new Date(kickOff.getTime() - QR_VISIBLE_BEFORE_KICKOFF_MS);
}

export function visibilityTier(kickOff: Date, now: Date): VisibilityTier {
  const t = now.getTime();
  if (t >= qrOpensAt(kickOff).getTime()) return 'FULL';
  if (t >= seatVisibleAt(kickOff).getTime()) return 'SEAT';
  return 'ORDER_INFO';
}

export function ticketVisibility(kickOff: Date, now: Date, status: TicketStatus): TicketVisibility {
  const tier = visibilityTier(kickOff, now);
  return {
    tier,
    seat_visible_at: seatVisibleAt(kickOff),
    qr_opens_at: qrOpensAt(kickOff),
    seat: tier !== 'ORDER_INFO',
    codes: tier === 'FULL' && CODE_STATUSES.has(status),
  };
}
