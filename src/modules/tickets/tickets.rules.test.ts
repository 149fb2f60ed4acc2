import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TicketStatus } from '../../platform/db/types.generated.ts';
import {
  QR_VISIBLE_BEFORE_KICKOFF_MS,
  SEAT_VISIBLE_BEFORE_KICKOFF_MS,
  ticketVisibility,
  VISIBILITY_TIERS,
  visibilityTier,
} from './tickets.rules.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const kickOff = new Date('2026-12-20T19:45:00Z');
const at = (msBefore: number) => new Date(kickOff.getTime() - msBefore);

const statuses: TicketStatus[] = [
  'SOLD',
  'ATTENDED',
  'TRANSFERRED',
  'CANCELLED',
  'CANCELLED_MATCH_CANCELLED',
  'CANCELLED_BLACKLIST',
  'REFUNDED',
];

describe('ticket visibility tiers (E9-F2)', () => {
  it('opens each tier at its exact instant', () => {
    expect(visibilityTier(kickOff, at(30 * DAY))).toBe('ORDER_INFO');
    expect(visibilityTier(kickOff, at(4 * DAY + 1))).toBe('ORDER_INFO');
    expect(visibilityTier(kickOff, at(4 * DAY))).toBe('SEAT');
    expect(visibilityTier(kickOff, at(5 * HOUR + 1))).toBe('SEAT');
    expect(visibilityTier(kickOff, at(5 * HOUR))).toBe('FULL');
    expect(visibilityTier(kickOff, at(0))).toBe('FULL');
    expect(visibilityTier(kickOff, at(-3 * HOUR))).toBe('FULL');
    const v = ticketVisibility(kickOff, at(DAY), 'SOLD');
    expect(v.seat_visible_at.toISOString()).toBe('2026-12-16T19:45:00.000Z');
    expect(v.qr_opens_at.toISOString()).toBe('2026-12-20T14:45:00.000Z');
    expect(v).toMatchObject({ tier: 'SEAT', seat: true, codes: false });
  });

  it('is the tier of the interval the instant falls in, for any kick-off and instant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_700_000_000_000, max: 2_000_000_000_000 }),
        fc.integer({ min: -10 * DAY, max: 60 * DAY }),
        fc.constantFrom(...statuses),
        (k, before, status) => {
          const ko = new Date(k);
          const now = new Date(k - before);
          const v = ticketVisibility(ko, now, status);
          const expected =
            before > SEAT_VISIBLE_BEFORE_KICKOFF_MS
              ? 'ORDER_INFO'
              : before > QR_VISIBLE_BEFORE_KICKOFF_MS
                ? 'SEAT'
                : 'FULL';
          expect(v.tier).toBe(expected);
          expect(v.seat).toBe(v.tier !== 'ORDER_INFO');
          // codes only in FULL, and only for a ticket that still opens the gate
          expect(v.codes).toBe(v.tier === 'FULL' && (status === 'SOLD' || status === 'ATTENDED'));
          // the instants the fan is told are exact: the tier changes there and nowhere else
          expect(visibilityTier(ko, v.qr_opens_at)).toBe('FULL');
          expect(visibilityTier(ko, new Date(v.qr_opens_at.getTime() - 1))).toBe('SEAT');
          expect(visibilityTier(ko, v.seat_visible_at)).toBe('SEAT');
          expect(visibilityTier(ko, new Date(v.seat_visible_at.getTime() - 1))).toBe('ORDER_INFO');
        },
      ),
    );
  });

  it('never hides again what it has shown as time moves on', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10 * DAY, max: 60 * DAY }),
        fc.integer({ min: 0, max: 60 * DAY }),
        (before, later) => {
          const rank = (ms: number) => VISIBILITY_TIERS.indexOf(visibilityTier(kickOff, at(ms)));
          expect(rank(before - later)).toBeGreaterThanOrEqual(rank(before));
        },
      ),
    );
  });
});
