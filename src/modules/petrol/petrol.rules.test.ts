import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isPinShaped,
  petrolDeepLink,
  pickPetrolSeats,
  pinExpiry,
  PIN_TTL_MS,
  randomPin,
  reservationWarning,
  secondsLeft,
  type PetrolFreeSeat,
} from './petrol.rules.ts';

describe('PINs', () => {
  it('are 5 digits, drawn over the whole space', () => {
    for (let i = 0; i < 2000; i++) expect(isPinShaped(randomPin())).toBe(true);
    expect(['1234', '123456', '12a45', ' 12345', ''].some(isPinShaped)).toBe(false);
    expect(isPinShaped('00000')).toBe(true);
  });

  it('expire after 24 hours, never after kick-off', () => {
    const now = new Date('2026-12-01T10:00:00Z');
    expect(pinExpiry(now, new Date('2026-12-20T20:00:00Z')).getTime()).toBe(
      now.getTime() + PIN_TTL_MS,
    );
    expect(pinExpiry(now, new Date('2026-12-01T18:00:00Z')).toISOString()).toBe(
      '2026-12-01T18:00:00.000Z',
    );
  });

  it('the deep link is derived from the quota id', () => {
    expect(petrolDeepLink('abc')).toBe('hns://petrol-sales/abc');
  });
});

describe('reservation warnings (E12-F3)', () => {
  const expires = new Date('2026-12-01T10:20:00Z');
  const at = (minutesLeft: number) => new Date(expires.getTime() - minutesLeft * 60_000);
  it('none, then FIVE_MINUTES at 5 minutes left, ONE_MINUTE at 1, EXPIRED at 0', () => {
    expect(reservationWarning(expires, at(20))).toBeNull();
    expect(reservationWarning(expires, at(5.01))).toBeNull();
    expect(reservationWarning(expires, at(5))).toBe('FIVE_MINUTES');
    expect(reservationWarning(expires, at(1.01))).toBe('FIVE_MINUTES');
    expect(reservationWarning(expires, at(1))).toBe('ONE_MINUTE');
    expect(reservationWarning(expires, at(0))).toBe('EXPIRED');
    expect(secondsLeft(expires, at(5))).toBe(300);
    expect(secondsLeft(expires, at(-3))).toBe(0);
  });

  it('only ever gets more urgent as time passes (property)', () => {
    const rank = { null: 0, FIVE_MINUTES: 1, ONE_MINUTE: 2, EXPIRED: 3 } as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_500_000 }),
        fc.integer({ min: 0, max: 1_500_000 }),
        (a, b) => {
          const [early, late] = a <= b ? [a, b] : [b, a];
          const start = expires.getTime() - 1_200_000;
          const w1 = reservationWarning(expires, new Date(start + early));
          const w2 = reservationWarning(expires, new Date(start + late));
          return rank[String(w1) as keyof typeof rank] <= rank[String(w2) as keyof typeof rank];
        },
      ),
    );
  });
});

describe('pickPetrolSeats', () => {
  /** A sector of `rows` × `cols`, snake order row by row; `taken` seat ids are not free. */
  const sector = (id: string, rows: number, cols: number, taken: Set<string> = new Set()) => {
    const seats: PetrolFreeSeat[] = [];
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const seatId = `${id}-${r}-${c}`;
        if (!taken.has(seatId))
          seats.push({
            id: seatId,
            match_sector_id: id,
            row_index: r,
            col_index: c,
            snake_order: r * cols + c,
          });
      }
    return seats;
  };

  it('takes adjacent seats in one row when there are any', () => {
    const seats = sector('A', 2, 5, new Set(['A-0-1', 'A-0-3']));
    // row 0 is broken up: 0 | 2 | 4 → the run is in row 1
    expect(pickPetrolSeats(seats, ['A'], 3)).toEqual(['A-1-0', 'A-1-1', 'A-1-2']);
  });

  it('follows the sector order; with no run anywhere, the first free seats; too few → undefined', () => {
    const seats = [...sector('A', 1, 3, new Set(['A-0-1'])), ...sector('B', 1, 3)];
    expect(pickPetrolSeats(seats, ['A', 'B'], 2)).toEqual(['B-0-0', 'B-0-1']);
    const scattered = sector('A', 2, 3, new Set(['A-0-1', 'A-1-1']));
    expect(pickPetrolSeats(scattered, ['A'], 3)).toEqual(['A-0-0', 'A-0-2', 'A-1-0']);
    expect(pickPetrolSeats(scattered, ['A'], 5)).toBeUndefined();
  });

  it('always returns exactly the quantity of distinct free seats (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }),
        fc.integer({ min: 1, max: 4 }),
        (rows, cols, takenFlags, quantity) => {
          const taken = new Set<string>();
          takenFlags.forEach(
            (t, i) => t && taken.add(`A-${Math.floor(i / cols) % rows}-${i % cols}`),
          );
          const seats = sector('A', rows, cols, taken);
          const picked = pickPetrolSeats(seats, ['A'], quantity);
          if (seats.length < quantity) return picked === undefined;
          const free = new Set(seats.map((s) => s.id));
          return (
            picked!.length === quantity &&
            new Set(picked).size === quantity &&
            picked!.every((id) => free.has(id))
          );
        },
      ),
    );
  });
});
