import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  admissionBudget,
  estimateWaitSeconds,
  measuredRate,
  milestoneReached,
  saleState,
  shuffle,
} from './queue.rules.ts';

const at = (iso: string) => new Date(iso);

describe('queue rules', () => {
  it('shuffle is a permutation', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (items) => {
        const out = shuffle(items);
        expect([...out].sort((a, b) => a - b)).toEqual([...items].sort((a, b) => a - b));
      }),
    );
  });

  it('estimates the wait from the fans ahead and the rate, plus time to the opening', () => {
    expect(estimateWaitSeconds(1, 100)).toBe(0);
    expect(estimateWaitSeconds(101, 100)).toBe(60);
    expect(estimateWaitSeconds(101, 100, 30_000)).toBe(90);
    expect(estimateWaitSeconds(0, 100)).toBe(0);
  });

  it('admits within rate, cap and line size, carrying fractional credit without bursts', () => {
    expect(
      admissionBudget({
        credit: 0,
        elapsedMs: 2_000,
        ratePerMinute: 90,
        active: 0,
        maxActive: 10,
        waiting: 100,
      }),
    ).toEqual({ admit: 3, credit: 0 });
    const r = admissionBudget({
      credit: 0,
      elapsedMs: 2_000,
      ratePerMinute: 45,
      active: 0,
      maxActive: 10,
      waiting: 100,
    });
    expect(r.admit).toBe(1);
    expect(r.credit).toBeCloseTo(0.5);
    // An hour of idle time gives at most 10 s worth of credit.
    expect(
      admissionBudget({
        credit: 0,
        elapsedMs: 3_600_000,
        ratePerMinute: 60,
        active: 0,
        maxActive: 100,
        waiting: 100,
      }).admit,
    ).toBe(10);
    expect(
      admissionBudget({
        credit: 5,
        elapsedMs: 2_000,
        ratePerMinute: 600,
        active: 8,
        maxActive: 10,
        waiting: 100,
      }).admit,
    ).toBe(2);
    expect(
      admissionBudget({
        credit: 5,
        elapsedMs: 2_000,
        ratePerMinute: 600,
        active: 0,
        maxActive: 10,
        waiting: 1,
      }).admit,
    ).toBe(1);
  });

  it('measures the admission rate over the sliding window', () => {
    const now = 10 * 60_000;
    expect(measuredRate([], now, 2_000)).toBeNull();
    const rounds = Array.from({ length: 30 }, (_, i) => ({ at: now - i * 2_000, count: 2 }));
    expect(measuredRate(rounds, now, 2_000)).toBeCloseTo(60);
  });

  it('announces each milestone once, only the best one reached', () => {
    expect(milestoneReached(1500, null)).toBeNull();
    expect(milestoneReached(999, null)).toBe(1000);
    expect(milestoneReached(600, 1000)).toBeNull();
    expect(milestoneReached(240, 1000)).toBe(250);
    expect(milestoneReached(40, 250)).toBe(50);
    expect(milestoneReached(10, 50)).toBeNull();
  });

  it('opens the line during a phase or within the pre-queue window', () => {
    const phases = [{ start_at: at('2026-06-01T10:00:00Z'), end_at: at('2026-06-01T12:00:00Z') }];
    const pre = 30 * 60_000;
    expect(saleState('PUBLISHED', phases, at('2026-06-01T09:29:00Z'), pre)).toMatchObject({
      open: false,
    });
    expect(saleState('PUBLISHED', phases, at('2026-06-01T09:31:00Z'), pre)).toMatchObject({
      open: true,
      phaseOpen: false,
      opensAt: phases[0]!.start_at,
    });
    expect(saleState('ACTIVE', phases, at('2026-06-01T11:00:00Z'), pre)).toMatchObject({
      open: true,
      phaseOpen: true,
    });
    expect(saleState('DRAFT', phases, at('2026-06-01T11:00:00Z'), pre)).toMatchObject({
      open: false,
    });
    expect(saleState('ACTIVE', phases, at('2026-06-01T12:00:00Z'), pre)).toMatchObject({
      open: false,
    });
    // A second phase back to back keeps the opening of the first.
    const two = [
      ...phases,
      { start_at: at('2026-06-01T12:00:00Z'), end_at: at('2026-06-01T14:00:00Z') },
    ];
    expect(saleState('ACTIVE', two, at('2026-06-01T13:00:00Z'), pre)).toMatchObject({
      opensAt: phases[0]!.start_at,
    });
  });
});
