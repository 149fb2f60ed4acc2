import { zagrebDate } from '../../platform/clock.ts';
import { DEFAULT_FEE_RATES, percentToBp, presalePrice, type FeeRates } from '../payments/fees.ts';
import type { FeeConfigRow } from './sales.repo.ts';

/**
 * Match-day pricing (E4-F2): before the match day the pre-sale discount of the match's fee
 * configuration (`fee_configurations.presale_discount_percent`, 0 by default) applies to
 * every price category; on the match day itself, a calendar day in Europe/Zagreb, the full
 * price does. The discount lives with the fee configuration so one row per match holds all
 * of a match's money settings and a match manager changes them in one place.
 */
export function feeRatesOf(row: FeeConfigRow | undefined): FeeRates {
  if (!row) return DEFAULT_FEE_RATES;
  return {
    feeBp: percentToBp(row.fee_percent),
    homeTicketVatBp: percentToBp(row.home_ticket_vat_percent),
    awayTicketVatBp: percentToBp(row.away_ticket_vat_percent),
    homeFeeVatBp: percentToBp(row.home_fee_vat_percent),
    awayFeeVatBp: percentToBp(row.away_fee_vat_percent),
    presaleDiscountBp: percentToBp(row.presale_discount_percent),
  };
}

/** Pre-sale pricing applies strictly before the match day (Zagreb calendar dates). */
export function isPresale(now: Date, kickOff: Date): boolean {
  return zagrebDate(now) < zagrebDate(kickOff);
}

/** The price a fan pays now for a seat of a category priced `regular` cents. */
export function unitPrice(regular: number, rates: FeeRates, presale: boolean): number {
  return presale ? presalePrice(regular, rates.presaleDiscountBp) : regular;
}
