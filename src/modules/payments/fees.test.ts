import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FEE_RATES,
  allocate,
  percentToBp,
  presalePrice,
  priceOrder,
  roundHalfUp,
  vatIncluded,
} from './fees.ts';

const price = fc.integer({ min: 0, max: 100_000_00 });
const prices = fc.array(price, { minLength: 1, maxLength: 12 });
const bp = fc.integer({ min: 0, max: 5_000 });
const rates = fc.record({
  feeBp: bp,
  homeTicketVatBp: bp,
  awayTicketVatBp: bp,
  homeFeeVatBp: bp,
  awayFeeVatBp: bp,
  presaleDiscountBp: bp,
});
const matchType = fc.constantFrom('HOME' as const, 'AWAY' as const);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('fees and VAT (E8-F2)', () => {
  it('applies the spec defaults: 6 % fee, HOME 5 %/25 % VAT, AWAY 0 %', () => {
    const home = priceOrder([2000, 2000], 'HOME', DEFAULT_FEE_RATES);
    expect(home).toMatchObject({
      ticketAmount: 4000,
      feeAmount: 240,
      ticketVatAmount: 190, // 4000 × 5/105 = 190.476… → 190
      feeVatAmount: 48, // 240 × 25/125 = 48
      totalAmount: 4240,
    });
    expect(home.lines.map((l) => l.fee)).toEqual([120, 120]);
    const away = priceOrder([2000, 2000], 'AWAY', DEFAULT_FEE_RATES);
    expect(away).toMatchObject({ ticketVatAmount: 0, feeVatAmount: 0, totalAmount: 4240 });
  });

  it('rounds half up exactly once per order amount', () => {
    expect(roundHalfUp(5n, 2n)).toBe(3n);
    expect(roundHalfUp(4n, 2n)).toBe(2n);
    // 25 cents × 6 % = 1.5 cents → 2; three such lines: one rounding of 4.5 → 5, not 3 × 2.
    expect(priceOrder([25], 'AWAY', DEFAULT_FEE_RATES).feeAmount).toBe(2);
    const three = priceOrder([25, 25, 25], 'AWAY', DEFAULT_FEE_RATES);
    expect(three.feeAmount).toBe(5);
    expect(three.lines.map((l) => l.fee)).toEqual([2, 2, 1]);
    expect(vatIncluded(105, 500)).toBe(5);
    expect(percentToBp('6.00')).toBe(600);
    expect(percentToBp('12.5')).toBe(1250);
    expect(presalePrice(3000, 1000)).toBe(2700);
  });

  it('property: lines add up exactly to every order amount', () => {
    fc.assert(
      fc.property(prices, matchType, rates, (unitPrices, type, r) => {
        const order = priceOrder(unitPrices, type, r);
        expect(sum(order.lines.map((l) => l.unitPrice))).toBe(order.ticketAmount);
        expect(sum(order.lines.map((l) => l.fee))).toBe(order.feeAmount);
        expect(sum(order.lines.map((l) => l.ticketVat))).toBe(order.ticketVatAmount);
        expect(sum(order.lines.map((l) => l.feeVat))).toBe(order.feeVatAmount);
        expect(sum(order.lines.map((l) => l.total))).toBe(order.totalAmount);
        expect(order.totalAmount).toBe(order.ticketAmount + order.feeAmount);
        for (const line of order.lines) {
          expect(Number.isInteger(line.fee) && line.fee >= 0).toBe(true);
          expect(line.ticketVat).toBeLessThanOrEqual(line.unitPrice);
          expect(line.feeVat).toBeLessThanOrEqual(line.fee);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('property: the order fee is the half-up rounding of ticket amount × fee %', () => {
    fc.assert(
      fc.property(prices, rates, (unitPrices, r) => {
        const order = priceOrder(unitPrices, 'HOME', r);
        const exact = (order.ticketAmount * r.feeBp) / 10_000;
        expect(Math.abs(order.feeAmount - exact)).toBeLessThanOrEqual(0.5);
      }),
    );
  });

  it('property: allocation keeps each line within one cent of its exact share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 20 }),
        (total, weights) => {
          const parts = allocate(total, weights);
          expect(sum(parts)).toBe(total);
          const weightSum = sum(weights);
          parts.forEach((p, i) => {
            const exact =
              weightSum === 0 ? total / weights.length : (total * weights[i]!) / weightSum;
            expect(Math.abs(p - exact)).toBeLessThan(1);
          });
        },
      ),
    );
  });
});
