import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zagrebDate } from '../../platform/clock.ts';
import {
  TICKET_TYPES,
  reportRange,
  sameFigures,
  successRate,
  ticketTypeOf,
  zagrebDayStart,
} from './reports.rules.ts';

const day = fc
  .date({
    min: new Date('2020-01-01T00:00:00Z'),
    max: new Date('2035-12-31T00:00:00Z'),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString().slice(0, 10));

describe('report rules (E14-F1, E14-F2)', () => {
  it('a day starts at the first instant that is that day in Croatia (CET and CEST)', () => {
    fc.assert(
      fc.property(day, (d) => {
        const start = zagrebDayStart(d);
        expect(zagrebDate(start)).toBe(d);
        expect(zagrebDate(new Date(start.getTime() - 1))).not.toBe(d);
      }),
    );
    expect(zagrebDayStart('2026-07-01').toISOString()).toBe('2026-06-30T22:00:00.000Z');
    expect(zagrebDayStart('2026-12-04').toISOString()).toBe('2026-12-03T23:00:00.000Z');
    // The 23-hour and 25-hour days.
    expect(zagrebDayStart('2026-03-29').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(zagrebDayStart('2026-10-25').toISOString()).toBe('2026-10-24T22:00:00.000Z');
  });

  it('a period of days covers exactly the instants whose Croatian day is inside it', () => {
    fc.assert(
      fc.property(
        day,
        day,
        fc.date({
          min: new Date('2019-12-01T00:00:00Z'),
          max: new Date('2036-01-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        (a, b, at) => {
          const [from, to] = a <= b ? [a, b] : [b, a];
          const range = reportRange(from, to)!;
          const inside = at >= range.from! && at < range.until!;
          const d = zagrebDate(at);
          expect(inside).toBe(d >= from && d <= to);
        },
      ),
    );
  });

  it('an empty period is refused; instants include date_to itself; open ends stay open', () => {
    expect(reportRange('2026-12-05', '2026-12-04')).toBeNull();
    expect(reportRange('2026-12-04', '2026-12-04')).not.toBeNull();
    const at = '2026-12-04T10:00:00.000Z';
    const r = reportRange(at, at)!;
    expect(r.from!.toISOString()).toBe(at);
    expect(r.until!.getTime() - r.from!.getTime()).toBe(1);
    expect(reportRange(undefined, undefined)).toEqual({ from: null, until: null });
    expect(reportRange('2026-12-04T10:00:00Z', '2026-12-04T09:59:59Z')).toBeNull();
  });

  it('derives the ticket type from the phase, a quota claim winning', () => {
    expect(ticketTypeOf('GENERAL_PUBLIC', false)).toBe('public');
    expect(ticketTypeOf(null, false)).toBe('public');
    expect(ticketTypeOf('LOYALTY', false)).toBe('loyalty');
    expect(ticketTypeOf('QUOTA_ONLY', false)).toBe('quota');
    fc.assert(
      fc.property(
        fc.constantFrom('GENERAL_PUBLIC', 'LOYALTY', 'QUOTA_ONLY', null),
        fc.boolean(),
        (phase, quota) => {
          const type = ticketTypeOf(phase as never, quota);
          expect(TICKET_TYPES).toContain(type);
          if (quota) expect(type).toBe('quota');
        },
      ),
    );
  });

  it('rates are shares of decided payments, null before any', () => {
    expect(successRate(0, 0)).toBeNull();
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000), (ok, failed) => {
        const rate = successRate(ok, failed);
        if (ok + failed === 0) return expect(rate).toBeNull();
        expect(rate).toBeGreaterThanOrEqual(0);
        expect(rate).toBeLessThanOrEqual(1);
        expect(Math.abs(rate! - ok / (ok + failed))).toBeLessThanOrEqual(0.00005);
      }),
    );
  });

  it('two snapshots have the same figures whatever their computation time', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.integer()),
        fc.date({ noInvalidDate: true }),
        fc.date({ noInvalidDate: true }),
        (figures, a, b) => {
          const x = { ...figures, computed_at: a.toISOString() };
          const y = { ...figures, computed_at: b.toISOString() };
          expect(sameFigures(x, y)).toBe(true);
          expect(sameFigures(null, y)).toBe(false);
          expect(sameFigures(x, { ...y, sold_extra: 1 } as typeof y)).toBe(false);
        },
      ),
    );
  });
});
