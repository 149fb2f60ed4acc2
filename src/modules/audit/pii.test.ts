import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskOib, maskPii } from './pii.ts';

describe('maskPii', () => {
  it('keeps the last 4 digits of an OIB and drops passport numbers at any depth', () => {
    const event = {
      oib: '12345678903',
      passport_number: 'C01X00T47',
      holders: [
        { name: 'Šime Čačić', holder_oib: 69435151530, passportNumber: '123456789' },
        { nested: { deeper: { newHolderOib: '94577403194', passport: { number: 'X1' } } } },
      ],
      document_number: 'AB123',
      note: 'unchanged',
    };
    const masked = maskPii(event);
    expect(masked).toEqual({
      oib: '*******8903',
      holders: [
        { name: 'Šime Čačić', holder_oib: '*******1530' },
        { nested: { deeper: { newHolderOib: '*******3194' } } },
      ],
      note: 'unchanged',
    });
    // The input is untouched.
    expect(event.oib).toBe('12345678903');
    const text = JSON.stringify(masked);
    for (const secret of ['12345678903', 'C01X00T47', '69435151530', '94577403194', 'AB123']) {
      expect(text).not.toContain(secret);
    }
  });

  it('is idempotent and leaves short or empty values safe', () => {
    expect(maskOib(maskOib('12345678903'))).toBe('*******8903');
    expect(maskOib('123')).toBe('***');
    expect(maskOib(null)).toBeNull();
    expect(maskPii({ oib: null, list: [1, 'a'], at: new Date('2026-01-01T00:00:00Z') })).toEqual({
      oib: null,
      list: [1, 'a'],
      at: '2026-01-01T00:00:00.000Z',
    });
  });

  it('never lets an 11-digit OIB under an oib key survive, whatever the surrounding shape', () => {
    const oib = fc.stringMatching(/^\d{11}$/);
    const key = fc.constantFrom('oib', 'OIB', 'holder_oib', 'newHolderOib');
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc
          .record({ k: key, v: oib, rest: fc.dictionary(fc.string(), fc.string()) })
          .map(({ k, v, rest }) => ({ ...rest, [k]: v })),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (value) => {
        const leaked: string[] = [];
        const visit = (v: unknown): void => {
          if (Array.isArray(v)) v.forEach(visit);
          else if (v && typeof v === 'object') {
            for (const [k, inner] of Object.entries(v)) {
              if (/oib/i.test(k) && typeof inner === 'string' && /^\d{11}$/.test(inner))
                leaked.push(inner);
              visit(inner);
            }
          }
        };
        visit(maskPii(value));
        expect(leaked).toEqual([]);
      }),
    );
  });
});
