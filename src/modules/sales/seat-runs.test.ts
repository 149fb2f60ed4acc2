import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seatGrids } from '../../../test/factories/seat-grids.ts';
import { rankAdjacentRuns, type FreeSeat } from './seat-runs.ts';

/** Every run by definition, position by position, ranked by the key tuple. */
function bruteForce(seats: FreeSeat[], quantity: number) {
  const at = new Map(seats.map((s) => [`${s.row_index}:${s.col_index}`, s]));
  const seat = (r: number, c: number) => at.get(`${r}:${c}`);
  const runs = [];
  for (const s of seats) {
    const members = Array.from({ length: quantity }, (_, k) => seat(s.row_index, s.col_index + k));
    if (members.some((m) => m === undefined)) continue;
    let lo = s.col_index;
    while (seat(s.row_index, lo - 1)) lo--;
    let hi = s.col_index + quantity - 1;
    while (seat(s.row_index, hi + 1)) hi++;
    const inSnake = (members as FreeSeat[]).sort((a, b) => a.snake_order - b.snake_order);
    const orphan = s.col_index - lo === 1 || hi - (s.col_index + quantity - 1) === 1;
    runs.push({
      key: [orphan ? 1 : 0, ...inSnake.map((m) => m.snake_order), s.row_index, s.col_index],
      row_index: s.row_index,
      start_col: s.col_index,
      orphan,
      ids: inSnake.map((m) => m.id),
    });
  }
  const compare = (a: number[], b: number[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return 0;
  };
  return runs.sort((a, b) => compare(a.key, b.key)).map(({ key: _key, ...run }) => run);
}

describe('adjacent run ranking (E4-F3)', () => {
  it('ranks exactly like the brute-force definition, and keeps the best `limit`', () => {
    fc.assert(
      fc.property(seatGrids, fc.integer({ min: 0, max: 30 }), ({ seats, quantity }, limit) => {
        const expected = bruteForce(seats, quantity);
        const all = rankAdjacentRuns(seats, quantity, Number.POSITIVE_INFINITY);
        expect(all.free).toBe(seats.length);
        expect(all.runs).toBe(expected.length);
        expect(
          all.best.map(({ row_index, start_col, orphan, ids }) => ({
            row_index,
            start_col,
            orphan,
            ids,
          })),
        ).toEqual(expected);
        const top = rankAdjacentRuns([...seats].reverse(), quantity, limit);
        expect(top.runs).toBe(expected.length);
        expect(top.best).toEqual(all.best.slice(0, limit));
      }),
      { numRuns: 2_000 },
    );
  });

  it('puts runs that leave one seat alone last, then follows the snake', () => {
    // One row, columns 0..6 free, snake left to right; a second row 1 with columns 0..1.
    const seats: FreeSeat[] = [
      ...Array.from({ length: 7 }, (_, c) => ({
        id: `a${c}`,
        row_index: 0,
        col_index: c,
        snake_order: c,
      })),
      { id: 'b0', row_index: 1, col_index: 0, snake_order: 8 },
      { id: 'b1', row_index: 1, col_index: 1, snake_order: 7 },
    ];
    const ranked = rankAdjacentRuns(seats, 2, 10);
    expect(ranked).toMatchObject({ free: 9, runs: 7 });
    expect(ranked.best.map((r) => r.ids)).toEqual([
      ['a0', 'a1'], // leaves a2..a6 together
      ['a2', 'a3'], // leaves a0..a1 and a4..a6
      ['a3', 'a4'], // leaves a0..a2 and a5..a6
      ['a5', 'a6'], // leaves a0..a4
      ['b1', 'b0'], // a whole row of two, ids in snake order
      ['a1', 'a2'], // a0 alone
      ['a4', 'a5'], // a6 alone
    ]);
    expect(ranked.best.map((r) => r.orphan)).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
      true,
    ]);
  });
});
