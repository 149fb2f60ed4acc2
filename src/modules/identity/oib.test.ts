import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateOib, isValidOib, oibCheckDigit, oibFromDigits } from './oib.ts';

const digits10 = fc.stringMatching(/^\d{10}$/);

describe('isValidOib (ISO 7064 MOD 11,10)', () => {
  it.each(['69435151530', '12345678903', '94577403194', '33392005961', '00000000001'])(
    'accepts the valid OIB %s',
    (oib) => expect(isValidOib(oib)).toBe(true),
  );

  it.each([
    ['wrong check digit', '69435151531'],
    ['wrong check digit', '12345678901'],
    ['10 digits', '6943515153'],
    ['12 digits', '694351515300'],
    ['a letter', '6943515153a'],
    ['spaces', ' 69435151530'],
    ['a sign', '+9435151530'],
    ['non-ASCII digits', '٦٩٤٣٥١٥١٥٣٠'],
    ['empty', ''],
  ])('rejects %s: "%s"', (_why, oib) => expect(isValidOib(oib)).toBe(false));

  it('computes the check digit by the standard example (6943515153 → 0)', () => {
    expect(oibCheckDigit('6943515153')).toBe(0);
  });

  it('accepts every generated OIB', () => {
    fc.assert(fc.property(digits10, (d) => isValidOib(oibFromDigits(d))));
    for (let i = 0; i < 100; i++) expect(isValidOib(generateOib())).toBe(true);
  });

  it('rejects any single-digit change of a valid OIB', () => {
    fc.assert(
      fc.property(
        digits10,
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 9 }),
        (d, position, delta) => {
          const valid = oibFromDigits(d);
          const changed = (Number(valid[position]) + delta) % 10;
          const mutated = valid.slice(0, position) + String(changed) + valid.slice(position + 1);
          return !isValidOib(mutated);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('rejects any 11-character string that is not all digits', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 11, maxLength: 11 }).filter((s) => !/^\d{11}$/.test(s)),
        (s) => !isValidOib(s),
      ),
    );
  });
});
