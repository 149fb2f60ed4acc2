import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SEAT_STATUSES,
  SEAT_STATUS_COLORS,
  TRANSITION_FLOWS,
  adminSourcesOf,
  canTransition,
  dominantStatus,
  effectiveStatus,
  isHeld,
  transitionFlows,
  type SeatStatus,
  type TransitionFlow,
} from './seat-status.ts';

// The matrix as documented in README.md, written out independently of the implementation.
// Rows: from; columns: to, in the order below. A = ADMIN, H = HOLD, S = SALE,
// R = REFUND, Q = QUOTA, . = never.
const COLUMNS =
  'AVAILABLE RESERVED SOLD ALLOCATED BLOCKED TECHNICAL OFFICIAL MAINTENANCE QUARANTINED INACTIVE';
const MATRIX = `
AVAILABLE    .  H  .  Q  A  A  A  A  A  A
RESERVED     AH .  S  H  A  A  A  A  A  A
SOLD         R  .  .  R  .  .  .  .  .  .
ALLOCATED    Q  H  .  .  .  .  .  .  .  .
BLOCKED      A  .  .  .  .  A  A  A  A  A
TECHNICAL    A  .  .  .  A  .  A  A  A  A
OFFICIAL     A  .  .  .  A  A  .  A  A  A
MAINTENANCE  A  .  .  .  A  A  A  .  A  A
QUARANTINED  A  .  .  .  A  A  A  A  .  A
INACTIVE     A  .  .  .  A  A  A  A  A  .
`;
const LETTER: Record<string, TransitionFlow> = {
  A: 'ADMIN',
  H: 'HOLD',
  S: 'SALE',
  R: 'REFUND',
  Q: 'QUOTA',
};

function expectedTable(): Map<string, TransitionFlow[]> {
  const cols = COLUMNS.split(' ') as SeatStatus[];
  const table = new Map<string, TransitionFlow[]>();
  for (const line of MATRIX.trim().split('\n')) {
    const [from, ...cells] = line.trim().split(/\s+/);
    cells.forEach((cell, i) => {
      const flows = cell === '.' ? [] : [...cell].map((c) => LETTER[c]!);
      table.set(`${from}>${cols[i]}`, flows);
    });
  }
  return table;
}

describe('seat statuses and colours', () => {
  it('has the ten statuses of the spec, each with a distinct hex colour', () => {
    expect([...SEAT_STATUSES].sort()).toEqual(
      [
        'AVAILABLE',
        'RESERVED',
        'SOLD',
        'ALLOCATED',
        'BLOCKED',
        'TECHNICAL',
        'OFFICIAL',
        'MAINTENANCE',
        'QUARANTINED',
        'INACTIVE',
      ].sort(),
    );
    const colours = SEAT_STATUSES.map((s) => SEAT_STATUS_COLORS[s]);
    for (const c of colours) expect(c).toMatch(/^#[0-9A-F]{6}$/);
    expect(new Set(colours).size).toBe(10);
  });
});

describe('canTransition: every pair of statuses through every flow', () => {
  const table = expectedTable();
  it('the documented matrix covers all 100 pairs', () => {
    expect(table.size).toBe(100);
  });

  for (const from of SEAT_STATUSES) {
    for (const to of SEAT_STATUSES) {
      const expected = table.get(`${from}>${to}`)!;
      it(`${from} → ${to}: ${expected.length ? expected.join(', ') : 'never'}`, () => {
        for (const flow of TRANSITION_FLOWS) {
          expect(canTransition(from, to, flow), flow).toBe(expected.includes(flow));
        }
        // The default flow is the staff status change.
        expect(canTransition(from, to)).toBe(expected.includes('ADMIN'));
        expect(transitionFlows(from, to)).toEqual(
          TRANSITION_FLOWS.filter((f) => expected.includes(f)),
        );
      });
    }
  }

  it('staff can never create or end a sale, a hold or a quota allocation', () => {
    for (const s of SEAT_STATUSES) {
      expect(canTransition(s, 'SOLD')).toBe(false);
      expect(canTransition(s, 'RESERVED')).toBe(false);
      expect(canTransition(s, 'ALLOCATED')).toBe(false);
      expect(canTransition('SOLD', s)).toBe(false);
      expect(canTransition('ALLOCATED', s)).toBe(false);
    }
  });

  it('adminSourcesOf lists the statuses a staff change may start from', () => {
    expect(adminSourcesOf('BLOCKED').sort()).toEqual(
      [
        'AVAILABLE',
        'RESERVED',
        'TECHNICAL',
        'OFFICIAL',
        'MAINTENANCE',
        'QUARANTINED',
        'INACTIVE',
      ].sort(),
    );
    expect(adminSourcesOf('SOLD')).toEqual([]);
  });
});

describe('holds and effective status', () => {
  const now = new Date('2026-06-01T10:00:00Z');
  it('an expired hold shows as AVAILABLE and is not held; a live one is RESERVED and held', () => {
    const past = new Date(now.getTime() - 1);
    const future = new Date(now.getTime() + 60_000);
    expect(effectiveStatus('RESERVED', past, now)).toBe('AVAILABLE');
    // held_until is the last instant of the hold (as the sales claims read it)
    expect(effectiveStatus('RESERVED', now, now)).toBe('RESERVED');
    expect(isHeld('RESERVED', past, now)).toBe(false);
    expect(effectiveStatus('RESERVED', future, now)).toBe('RESERVED');
    expect(isHeld('RESERVED', future, now)).toBe(true);
    // A hold without expiry stays held until its owner releases it.
    expect(isHeld('RESERVED', null, now)).toBe(true);
    expect(effectiveStatus('SOLD', past, now)).toBe('SOLD');
    expect(isHeld('BLOCKED', future, now)).toBe(false);
  });
});

describe('dominantStatus', () => {
  const zero = () =>
    Object.fromEntries(SEAT_STATUSES.map((s) => [s, 0])) as Record<SeatStatus, number>;
  it('is null for an empty sector, the most common status otherwise, ties by status order', () => {
    expect(dominantStatus(zero())).toBeNull();
    expect(dominantStatus({ ...zero(), SOLD: 3, AVAILABLE: 2 })).toBe('SOLD');
    expect(dominantStatus({ ...zero(), SOLD: 2, AVAILABLE: 2 })).toBe('AVAILABLE');
  });
  it('always returns a status with the maximum count (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(50), { minLength: 10, maxLength: 10 }), (values) => {
        const counts = Object.fromEntries(SEAT_STATUSES.map((s, i) => [s, values[i]!])) as Record<
          SeatStatus,
          number
        >;
        const d = dominantStatus(counts);
        const max = Math.max(...values);
        if (max === 0) return d === null;
        return d !== null && counts[d] === max && SEAT_STATUSES.indexOf(d) === values.indexOf(max);
      }),
    );
  });
});
