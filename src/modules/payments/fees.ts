/**
 * Money rules of an order (E8-F2), written once. Every amount is an integer number of euro
 * cents; percentages are integer basis points (6 % = 600) so no float ever touches money.
 *
 * THE rounding rule:
 * 1. Prices are gross: a price category's price already includes ticket VAT, and the
 *    service fee is charged on top of the gross ticket amount and itself includes fee VAT.
 * 2. Each order-level amount is computed ONCE from exact integers and rounded half-up
 *    to the cent:
 *      ticket_amount     = Σ unit prices                              (exact)
 *      fee_amount        = round(ticket_amount × fee%)
 *      ticket_vat_amount = round(ticket_amount × r / (100 + r))      r = ticket VAT %
 *      fee_vat_amount    = round(fee_amount × f / (100 + f))         f = fee VAT %
 *      total_amount      = ticket_amount + fee_amount                 (exact)
 * 3. Per-ticket lines receive those order amounts split by the largest-remainder method
 *    (each line gets the floor of its exact proportional share, the leftover cents go to
 *    the lines with the largest remainders, ties to the earlier line). So every line is
 *    within one cent of its exact share and the lines add up EXACTLY to the order amounts.
 */

export type MatchType = 'HOME' | 'AWAY';

/** Rates of one fee configuration, in basis points. */
export interface FeeRates {
  feeBp: number;
  homeTicketVatBp: number;
  awayTicketVatBp: number;
  homeFeeVatBp: number;
  awayFeeVatBp: number;
  presaleDiscountBp: number;
}

/** The defaults of the spec: 6 % fee; HOME 5 % ticket VAT and 25 % fee VAT; AWAY 0 %. */
export const DEFAULT_FEE_RATES: FeeRates = {
  feeBp: 600,
  homeTicketVatBp: 500,
  awayTicketVatBp: 0,
  homeFeeVatBp: 2500,
  awayFeeVatBp: 0,
  presaleDiscountBp: 0,
};

const BP = 10_000n;

/** round(numerator / denominator) with halves rounded up; both non-negative. */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (numerator < 0n || denominator <= 0n) throw new RangeError('non-negative ratio expected');
  return (2n * numerator + denominator) / (2n * denominator);
}

const cents = (value: bigint): number => Number(value);

function assertCents(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative integer number of cents`);
  }
}

function assertBp(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 100_000) {
    throw new RangeError(`${what} must be basis points between 0 and 100000`);
  }
}

/** "6.00" (numeric percent as PostgreSQL returns it) → 600 basis points. */
export function percentToBp(percent: string | number): number {
  const text = typeof percent === 'number' ? percent.toFixed(2) : percent.trim();
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) throw new RangeError(`not a percentage with at most 2 decimals: ${text}`);
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/** VAT contained in a gross amount at `rateBp`: round(gross × r / (100 % + r)). */
export function vatIncluded(grossCents: number, rateBp: number): number {
  assertCents(grossCents, 'gross');
  assertBp(rateBp, 'VAT rate');
  return cents(roundHalfUp(BigInt(grossCents) * BigInt(rateBp), BP + BigInt(rateBp)));
}

/** round(amount × rate). */
export function percentOf(amountCents: number, rateBp: number): number {
  assertCents(amountCents, 'amount');
  assertBp(rateBp, 'rate');
  return cents(roundHalfUp(BigInt(amountCents) * BigInt(rateBp), BP));
}

/** Pre-sale price of a category: the regular price less the discount, rounded half-up. */
export function presalePrice(priceCents: number, discountBp: number): number {
  return priceCents - percentOf(priceCents, discountBp);
}

/**
 * Splits `total` over lines in proportion to `weights` (largest remainder). With all weights
 * zero the total is split evenly. The result always sums to `total`.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  assertCents(total, 'total');
  if (weights.length === 0) {
    if (total !== 0) throw new RangeError('cannot allocate a non-zero amount over no lines');
    return [];
  }
  weights.forEach((w) => assertCents(w, 'weight'));
  const sum = weights.reduce((a, b) => a + b, 0);
  const effective = sum === 0 ? weights.map(() => 1) : weights;
  const weightSum = BigInt(sum === 0 ? weights.length : sum);
  const t = BigInt(total);
  const shares = effective.map((w, index) => {
    const exact = t * BigInt(w);
    return { index, floor: exact / weightSum, remainder: exact % weightSum };
  });
  let leftover = t - shares.reduce((a, s) => a + s.floor, 0n);
  const order = [...shares].sort((a, b) =>
    a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1,
  );
  const result = shares.map((s) => s.floor);
  for (const s of order) {
    if (leftover === 0n) break;
    result[s.index]! += 1n;
    leftover -= 1n;
  }
  return result.map(cents);
}

export interface OrderLine {
  unitPrice: number;
  ticketVat: number;
  fee: number;
  feeVat: number;
  /** unitPrice + fee */
  total: number;
}

export interface OrderAmounts {
  ticketAmount: number;
  ticketVatAmount: number;
  feeAmount: number;
  feeVatAmount: number;
  totalAmount: number;
  /** Rates applied, basis points (stored on the order for the invoice). */
  ticketVatBp: number;
  feeVatBp: number;
  feeBp: number;
  lines: OrderLine[];
}

export function vatRatesFor(matchType: MatchType, rates: FeeRates) {
  return matchType === 'HOME'
    ? { ticketVatBp: rates.homeTicketVatBp, feeVatBp: rates.homeFeeVatBp }
    : { ticketVatBp: rates.awayTicketVatBp, feeVatBp: rates.awayFeeVatBp };
}

/** Amounts of an order of tickets at these (gross) unit prices. */
export function priceOrder(
  unitPrices: readonly number[],
  matchType: MatchType,
  rates: FeeRates,
): OrderAmounts {
  unitPrices.forEach((p) => assertCents(p, 'unit price'));
  assertBp(rates.feeBp, 'fee');
  const { ticketVatBp, feeVatBp } = vatRatesFor(matchType, rates);
  const ticketAmount = unitPrices.reduce((a, b) => a + b, 0);
  const feeAmount = percentOf(ticketAmount, rates.feeBp);
  const ticketVatAmount = vatIncluded(ticketAmount, ticketVatBp);
  const feeVatAmount = vatIncluded(feeAmount, feeVatBp);
  const fees = allocate(feeAmount, unitPrices);
  const ticketVats = allocate(ticketVatAmount, unitPrices);
  const feeVats = allocate(feeVatAmount, fees);
  return {
    ticketAmount,
    ticketVatAmount,
    feeAmount,
    feeVatAmount,
    totalAmount: ticketAmount + feeAmount,
    ticketVatBp,
    feeVatBp,
    feeBp: rates.feeBp,
    lines: unitPrices.map((unitPrice, i) => ({
      unitPrice,
      ticketVat: ticketVats[i]!,
      fee: fees[i]!,
      feeVat: feeVats[i]!,
      total: unitPrice + fees[i]!,
    })),
  };
}
