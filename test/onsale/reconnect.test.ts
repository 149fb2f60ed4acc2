import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from '../../bench/onsale/fan.ts';

/** The reference client's WebSocket reconnect backoff (src/modules/queue/README.md). */
describe('queue WebSocket reconnect backoff', () => {
  it('waits between 0 and min(15 s, 1 s × 2^(n-1)) before the n-th attempt in a row', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (failures, draw) => {
          const delay = reconnectDelayMs(failures, () => draw);
          const ceiling = Math.min(15_000, 1_000 * 2 ** (failures - 1));
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
          expect(delay).toBeCloseTo(draw * ceiling, 6);
        },
      ),
    );
  });

  it("spreads a dead instance's sockets over the first second instead of one burst", () => {
    // 6,500 fans lose their socket at once (the Poljud kill): with jitter at most ~1/5 of
    // them come back in any 200 ms slice, not all of them within the first 200 ms.
    const delays = Array.from({ length: 6_500 }, () => reconnectDelayMs(1, Math.random));
    const slices = [0, 1, 2, 3, 4].map(
      (i) => delays.filter((d) => d >= i * 200 && d < (i + 1) * 200).length,
    );
    for (const n of slices) expect(n).toBeLessThan(6_500 * 0.25);
    expect(slices.reduce((a, b) => a + b, 0)).toBe(6_500);
  });
});
