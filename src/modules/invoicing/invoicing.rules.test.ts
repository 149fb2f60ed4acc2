import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FEE_RATES, priceOrder } from '../payments/fees.ts';
import {
  creditNoteLines,
  dueDate,
  invoiceLines,
  isOverdue,
  linesTotal,
  pollDelayMs,
  requestRetryMs,
} from './invoicing.rules.ts';

describe('invoicing rules', () => {
  it('an invoice adds up exactly to its order, at the order VAT rates (E8-F2)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('HOME' as const, 'AWAY' as const),
        (prices, type) => {
          const o = priceOrder(prices, type, DEFAULT_FEE_RATES);
          const lines = invoiceLines({
            order_number: 'HNS-1',
            ticket_count: prices.length,
            ticket_amount: o.ticketAmount,
            fee_amount: o.feeAmount,
            ticket_vat_bp: o.ticketVatBp,
            fee_vat_bp: o.feeVatBp,
            match_name: 'A – B',
          });
          expect(linesTotal(lines)).toBe(o.totalAmount);
          expect(lines[0]!.vatBp).toBe(type === 'HOME' ? 500 : 0);
          if (lines[1]) expect(lines[1].vatBp).toBe(type === 'HOME' ? 2_500 : 0);
        },
      ),
    );
  });

  it('a credit note adds up exactly to its refund', () => {
    fc.assert(
      fc.property(fc.nat(100_000), fc.nat(10_000), (ticket, fee) => {
        const lines = creditNoteLines(
          { ticket_amount: ticket, fee_amount: fee, ticket_count: 1, order_number: 'HNS-1' },
          { ticket_vat_bp: 500, fee_vat_bp: 2_500 },
        );
        expect(linesTotal(lines)).toBe(ticket + fee);
        expect(lines.every((l) => l.unitGross > 0)).toBe(true);
      }),
    );
  });

  it('due dates count calendar days in Zagreb; overdue from the day after', () => {
    expect(dueDate(new Date('2026-12-31T23:30:00Z'), 1)).toBe('2027-01-02'); // already Jan 1 in Zagreb
    expect(dueDate(new Date('2026-06-01T10:00:00Z'), 30)).toBe('2026-07-01');
    expect(isOverdue('2026-07-01', new Date('2026-07-01T21:00:00Z'))).toBe(false);
    expect(isOverdue('2026-07-01', new Date('2026-07-01T22:30:00Z'))).toBe(true);
  });

  it('retries and polls back off, capped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), (n) => {
        expect(requestRetryMs(n + 1)).toBeGreaterThanOrEqual(requestRetryMs(n));
        expect(requestRetryMs(n)).toBeLessThanOrEqual(3_600_000);
        expect(pollDelayMs(n)).toBeLessThanOrEqual(600_000);
      }),
    );
  });
});
