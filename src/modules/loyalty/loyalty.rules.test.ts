import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fansPerTier, loyaltyExpiry, loyaltyWindowStart, tierFor } from './loyalty.rules.ts';

describe('loyalty rules', () => {
  it('counts points for five calendar years', () => {
    expect(loyaltyWindowStart(new Date('2026-12-02T10:00:00Z')).toISOString()).toBe(
      '2021-12-02T10:00:00.000Z',
    );
    expect(loyaltyExpiry(new Date('2021-12-02T10:00:00Z')).toISOString()).toBe(
      '2026-12-02T10:00:00.000Z',
    );
    // a leap day rolls to 1 March
    expect(loyaltyWindowStart(new Date('2028-02-29T12:00:00Z')).toISOString()).toBe(
      '2023-03-01T12:00:00.000Z',
    );
  });

  it('picks the highest tier the balance reaches, and the next one up', () => {
    const tiers = [
      { min_points: 10, ticket_limit: 4 },
      { min_points: 3, ticket_limit: 1 },
      { min_points: 6, ticket_limit: 2 },
    ];
    expect(tierFor(tiers, 2)).toEqual({ tier: null, next: { min_points: 3, ticket_limit: 1 } });
    expect(tierFor(tiers, 3)).toEqual({
      tier: { min_points: 3, ticket_limit: 1 },
      next: { min_points: 6, ticket_limit: 2 },
    });
    expect(tierFor(tiers, 9).tier).toEqual({ min_points: 6, ticket_limit: 2 });
    expect(tierFor(tiers, 50)).toEqual({ tier: { min_points: 10, ticket_limit: 4 }, next: null });
    expect(tierFor([], 50)).toEqual({ tier: null, next: null });
  });

  it('never gives a tier above the balance, and always the best one reached', () => {
    const tier = fc.record({
      min_points: fc.integer({ min: 0, max: 100 }),
      ticket_limit: fc.integer({ min: 1, max: 4 }),
    });
    fc.assert(
      fc.property(fc.array(tier, { maxLength: 6 }), fc.integer({ min: 0, max: 120 }), (ts, b) => {
        const { tier: got, next } = tierFor(ts, b);
        const reached = ts.filter((t) => t.min_points <= b);
        if (reached.length === 0) expect(got).toBeNull();
        else expect(got!.min_points).toBe(Math.max(...reached.map((t) => t.min_points)));
        if (next) expect(next.min_points).toBeGreaterThan(b);
      }),
    );
  });
});

describe('fans per tier (E6-F2 planning)', () => {
  const tiers = fc.uniqueArray(
    fc.record({
      min_points: fc.integer({ min: 0, max: 40 }),
      ticket_limit: fc.integer({ min: 1, max: 4 }),
    }),
    { selector: (t) => t.min_points, maxLength: 5 },
  );
  const levels = fc.uniqueArray(
    fc.record({ points: fc.integer({ min: 1, max: 50 }), fans: fc.integer({ min: 1, max: 1000 }) }),
    { selector: (l) => l.points, maxLength: 30 },
  );

  it('counts every fan once: in the highest tier the balance reaches, or below all tiers', () => {
    fc.assert(
      fc.property(tiers, levels, (ts, ls) => {
        const { tiers: counted, below } = fansPerTier(ts, ls);
        const total = ls.reduce((n, l) => n + l.fans, 0);
        expect(counted.reduce((n, t) => n + t.fans, 0) + below).toBe(total);
        for (const t of counted) {
          const expected = ls
            .filter((l) => tierFor(ts, l.points).tier?.min_points === t.min_points)
            .reduce((n, l) => n + l.fans, 0);
          expect(t.fans).toBe(expected);
        }
        const lowest = Math.min(...ts.map((t) => t.min_points));
        expect(below).toBe(ls.filter((l) => l.points < lowest).reduce((n, l) => n + l.fans, 0));
      }),
    );
  });

  it('admits 2 fans with 3 points to the 3-point tier and 5 with 12 to the 10-point tier', () => {
    const result = fansPerTier(
      [
        { min_points: 10, ticket_limit: 4 },
        { min_points: 3, ticket_limit: 2 },
      ],
      [
        { points: 1, fans: 7 },
        { points: 3, fans: 2 },
        { points: 12, fans: 5 },
      ],
    );
    expect(result).toEqual({
      tiers: [
        { min_points: 3, ticket_limit: 2, fans: 2 },
        { min_points: 10, ticket_limit: 4, fans: 5 },
      ],
      below: 7,
    });
  });
});
