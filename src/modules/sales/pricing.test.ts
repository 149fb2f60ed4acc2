import { describe, expect, it } from 'vitest';
import { DEFAULT_FEE_RATES } from '../payments/fees.ts';
import { ageOn } from './checkout.service.ts';
import { isPresale, unitPrice } from './pricing.ts';

describe('match-day pricing in Europe/Zagreb dates (E4-F2)', () => {
  const kickOff = new Date('2026-06-10T18:45:00Z'); // 20:45 in Zagreb (CEST)

  it('applies the pre-sale price strictly before the Zagreb match day', () => {
    expect(isPresale(new Date('2026-06-09T21:59:00Z'), kickOff)).toBe(true); // 23:59 on the 9th
    expect(isPresale(new Date('2026-06-09T22:00:00Z'), kickOff)).toBe(false); // 00:00 on the 10th
    expect(isPresale(new Date('2026-06-10T18:00:00Z'), kickOff)).toBe(false);
    const winter = new Date('2026-12-01T19:00:00Z'); // 20:00 CET
    expect(isPresale(new Date('2026-11-30T22:59:00Z'), winter)).toBe(true);
    expect(isPresale(new Date('2026-11-30T23:00:00Z'), winter)).toBe(false);
  });

  it('discounts by the configured pre-sale percentage, rounding half up', () => {
    const rates = { ...DEFAULT_FEE_RATES, presaleDiscountBp: 1250 };
    expect(unitPrice(2500, rates, true)).toBe(2187); // 2500 - 312.5→313
    expect(unitPrice(2500, rates, false)).toBe(2500);
    expect(unitPrice(2500, DEFAULT_FEE_RATES, true)).toBe(2500);
  });

  it('computes ages in whole years for the minor rule (E4-F5)', () => {
    expect(ageOn('2008-06-10', '2026-06-09')).toBe(17);
    expect(ageOn('2008-06-10', '2026-06-10')).toBe(18);
    expect(ageOn('2008-02-29', '2026-02-28')).toBe(17);
  });
});
