/**
 * OIB (osobni identifikacijski broj), the Croatian personal identification number: 11
 * digits, the last a check digit by ISO 7064 MOD 11,10 (see README.md in this folder).
 * `isValidOib` is the one validator every module uses.
 */

const OIB = /^\d{11}$/;

/** The ISO 7064 MOD 11,10 check digit of the first 10 digits. */
export function oibCheckDigit(first10: string): number {
  let product = 10;
  for (let i = 0; i < 10; i++) {
    let sum = (first10.charCodeAt(i) - 48 + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = 11 - product;
  return check === 10 ? 0 : check;
}

/** True for exactly 11 ASCII digits whose last digit is the MOD 11,10 check digit. */
export function isValidOib(value: string): boolean {
  if (typeof value !== 'string' || !OIB.test(value)) return false;
  return oibCheckDigit(value.slice(0, 10)) === Number(value[10]);
}

/** A valid OIB from any 10 digits (tests and seed data; `random` defaults to Math.random). */
export function generateOib(random: () => number = Math.random): string {
  let first10 = '';
  for (let i = 0; i < 10; i++) first10 += Math.floor(random() * 10).toString();
  return first10 + oibCheckDigit(first10).toString();
}

/** Completes 10 digits into a valid OIB. */
export function oibFromDigits(first10: string): string {
  if (!/^\d{10}$/.test(first10)) throw new Error('need exactly 10 digits');
  return first10 + oibCheckDigit(first10).toString();
}
