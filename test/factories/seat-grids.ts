import fc from 'fast-check';
import type { FreeSeat } from '../../src/modules/sales/seat-runs.ts';

/**
 * Random small sectors for the adjacent run ranking: a grid of rows × columns (indexes not
 * starting at 0), a random subset of its seats free (a seat that is sold and one that does
 * not exist are the same to the ranking), a quantity of 1–4, and a snake order that is
 * either the real serpentine (rows alternate direction) or any permutation (CENTER_OUTWARD
 * and irregular maps do not follow col_index, so runs can share their first seat).
 */
export const seatGrids = fc
  .record({
    rows: fc.integer({ min: 1, max: 6 }),
    cols: fc.integer({ min: 1, max: 12 }),
    rowStart: fc.integer({ min: 0, max: 3 }),
    colStart: fc.integer({ min: 0, max: 3 }),
    serpentine: fc.boolean(),
    quantity: fc.integer({ min: 1, max: 4 }),
  })
  .chain((s) =>
    fc.record({
      shape: fc.constant(s),
      free: fc.array(fc.boolean(), { minLength: s.rows * s.cols, maxLength: s.rows * s.cols }),
      permutation: fc.shuffledSubarray(
        Array.from({ length: s.rows * s.cols }, (_, i) => i),
        { minLength: s.rows * s.cols, maxLength: s.rows * s.cols },
      ),
    }),
  )
  .map(({ shape, free, permutation }) => {
    const seats: FreeSeat[] = [];
    for (let r = 0; r < shape.rows; r++) {
      for (let c = 0; c < shape.cols; c++) {
        const i = r * shape.cols + c;
        const serpentine = r * shape.cols + (r % 2 === 0 ? c : shape.cols - 1 - c);
        if (!free[i]) continue;
        seats.push({
          id: `${r + shape.rowStart}:${c + shape.colStart}`,
          row_index: r + shape.rowStart,
          col_index: c + shape.colStart,
          snake_order: shape.serpentine ? serpentine : permutation[i]!,
        });
      }
    }
    return { seats, quantity: shape.quantity, serpentine: shape.serpentine };
  });
