import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loyaltyExpiry, loyaltyWindowStart, tierFor } from './loyalty.rules.ts';

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
