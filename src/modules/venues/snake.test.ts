import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SNAKE_CONFIG,
  ROW_STRATEGIES,
  TRAVERSAL_DIRECTIONS,
  snakeConfigSchema,
  snakeOrder,
  type SnakeConfig,
  type SnakeSeat,
} from './snake.ts';

/** Seats of a rectangular-ish block; id = "r<row>c<col>" for readable expectations. */
function grid(rows: number, cols: number, skip: (r: number, c: number) => boolean = () => false) {
  const seats: SnakeSeat[] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      if (!skip(r, c)) seats.push({ id: `r${r}c${c}`, row_index: r, col_index: c });
  return seats;
}

const ids = (seats: SnakeSeat[]) => seats.map((s) => s.id);
const config = (over: Partial<SnakeConfig>): SnakeConfig => ({ ...DEFAULT_SNAKE_CONFIG, ...over });

describe('snakeOrder examples', () => {
  it('snakes left to right from the top row by default', () => {
    expect(ids(snakeOrder(grid(3, 3), DEFAULT_SNAKE_CONFIG))).toEqual([
      'r0c0',
      'r0c1',
      'r0c2',
      'r1c2',
      'r1c1',
      'r1c0',
      'r2c0',
      'r2c1',
      'r2c2',
    ]);
  });

  it('starts at the best row, goes in the traversal direction, then the rows behind it', () => {
    const seats = grid(5, 2);
    expect(ids(snakeOrder(seats, config({ best_row_index: 2 })))).toEqual([
      'r2c0',
      'r2c1', // best row
      'r3c1',
      'r3c0',
      'r4c0',
      'r4c1',
      'r1c1',
      'r1c0', // other side, nearest first
      'r0c0',
      'r0c1',
    ]);
    expect(
      ids(snakeOrder(seats, config({ best_row_index: 2, traversal_direction: 'BOTTOM_TO_TOP' }))),
    ).toEqual(['r2c0', 'r2c1', 'r1c1', 'r1c0', 'r0c0', 'r0c1', 'r3c1', 'r3c0', 'r4c0', 'r4c1']);
  });

  it('bottom to top from the last row is the mirror of top to bottom from the first', () => {
    const seats = grid(3, 2);
    expect(
      ids(snakeOrder(seats, config({ best_row_index: 2, traversal_direction: 'BOTTOM_TO_TOP' }))),
    ).toEqual(['r2c0', 'r2c1', 'r1c1', 'r1c0', 'r0c0', 'r0c1']);
  });

  it('right to left starts each snake at the right end', () => {
    expect(ids(snakeOrder(grid(2, 3), config({ within_row_strategy: 'RIGHT_TO_LEFT' })))).toEqual([
      'r0c2',
      'r0c1',
      'r0c0',
      'r1c0',
      'r1c1',
      'r1c2',
    ]);
  });

  it('center outward fills from the axis, alternating the side filled first', () => {
    // 5 columns: axis at col 2 (odd width: the centre seat opens both halves).
    expect(ids(snakeOrder(grid(2, 5), config({ within_row_strategy: 'CENTER_OUTWARD' })))).toEqual([
      'r0c2',
      'r0c3',
      'r0c4',
      'r0c1',
      'r0c0',
      'r1c2',
      'r1c1',
      'r1c0',
      'r1c3',
      'r1c4',
    ]);
    // 4 columns: axis at 1.5 between cols 1 and 2.
    expect(ids(snakeOrder(grid(2, 4), config({ within_row_strategy: 'CENTER_OUTWARD' })))).toEqual([
      'r0c2',
      'r0c3',
      'r0c1',
      'r0c0',
      'r1c1',
      'r1c0',
      'r1c2',
      'r1c3',
    ]);
  });

  it('uses one axis for the whole sector so irregular rows stay aligned', () => {
    // Row 0 is cols 0..6 (axis 3), row 1 only cols 4..6: it lies right of the axis.
    const seats = grid(2, 7, (r, c) => r === 1 && c < 4);
    expect(ids(snakeOrder(seats, config({ within_row_strategy: 'CENTER_OUTWARD' })))).toEqual([
      'r0c3',
      'r0c4',
      'r0c5',
      'r0c6',
      'r0c2',
      'r0c1',
      'r0c0',
      'r1c4',
      'r1c5',
      'r1c6',
    ]);
  });

  it('keeps gaps out of the order and snakes across aisles', () => {
    const seats = grid(2, 5, (_r, c) => c === 2);
    expect(ids(snakeOrder(seats, DEFAULT_SNAKE_CONFIG))).toEqual([
      'r0c0',
      'r0c1',
      'r0c3',
      'r0c4',
      'r1c4',
      'r1c3',
      'r1c1',
      'r1c0',
    ]);
  });

  it('fills configured sub-sectors one after another, each snaked on its own', () => {
    const seats = grid(2, 4);
    const order = snakeOrder(
      seats,
      config({
        subsector_grouping_json: {
          groups: [
            { key: 'right', min_col: 2 },
            { key: 'left', max_col: 1 },
          ],
        },
      }),
    );
    expect(ids(order)).toEqual(['r0c2', 'r0c3', 'r1c3', 'r1c2', 'r0c0', 'r0c1', 'r1c1', 'r1c0']);
  });

  it('lets a seat key override the bounds and puts unmatched seats last', () => {
    const seats: SnakeSeat[] = [
      { id: 'a', row_index: 0, col_index: 0 },
      { id: 'b', row_index: 0, col_index: 1, subsector: 'box' },
      { id: 'c', row_index: 0, col_index: 5 },
      { id: 'd', row_index: 1, col_index: 0 },
    ];
    const order = snakeOrder(
      seats,
      config({ subsector_grouping_json: { groups: [{ key: 'low', max_row: 0, max_col: 3 }] } }),
    );
    // 'low' = a; then the seat-key group 'box' = b; then the unnamed rest (c, d) snaked.
    expect(ids(order)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('handles an empty sector and a best row with no seats', () => {
    expect(snakeOrder([], DEFAULT_SNAKE_CONFIG)).toEqual([]);
    expect(ids(snakeOrder(grid(3, 1), config({ best_row_index: 50 })))).toEqual([
      'r2c0',
      'r1c0',
      'r0c0',
    ]);
  });

  it('validates the configuration', () => {
    expect(snakeConfigSchema.safeParse(DEFAULT_SNAKE_CONFIG).success).toBe(true);
    const dup = snakeConfigSchema.safeParse(
      config({ subsector_grouping_json: { groups: [{ key: 'x' }, { key: 'x' }] } }),
    );
    expect(dup.success).toBe(false);
    expect(dup.error?.issues[0]?.path).toEqual(['subsector_grouping_json', 'groups', 1, 'key']);
    const inverted = snakeConfigSchema.safeParse(
      config({ subsector_grouping_json: { groups: [{ key: 'x', min_col: 5, max_col: 1 }] } }),
    );
    expect(inverted.success).toBe(false);
  });
});

// --- properties --------------------------------------------------------------------------

/** A random seat map: distinct cells in a bounded grid (gaps and irregular rows included). */
const seatsArb = fc
  .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 19 })), {
    maxLength: 150,
    selector: ([r, c]) => `${r}:${c}`,
  })
  .map((cells) =>
    cells.map(([r, c]) => ({ id: `r${r}c${c}`, row_index: r, col_index: c }) as SnakeSeat),
  );

const configArb: fc.Arbitrary<SnakeConfig> = fc.record({
  best_row_index: fc.integer({ min: 0, max: 16 }),
  traversal_direction: fc.constantFrom(...TRAVERSAL_DIRECTIONS),
  within_row_strategy: fc.constantFrom(...ROW_STRATEGIES),
  subsector_grouping_json: fc.constant(null),
});

/** Row blocks of the order: [row_index, seats] in order of appearance. */
function blocks(order: SnakeSeat[]): Array<[number, SnakeSeat[]]> {
  const out: Array<[number, SnakeSeat[]]> = [];
  for (const s of order) {
    const last = out.at(-1);
    if (last && last[0] === s.row_index) last[1].push(s);
    else out.push([s.row_index, [s]]);
  }
  return out;
}

describe('snakeOrder properties', () => {
  it('is a permutation of the input', () => {
    fc.assert(
      fc.property(seatsArb, configArb, (seats, cfg) => {
        const order = snakeOrder(seats, cfg);
        expect(order).toHaveLength(seats.length);
        expect(new Set(order.map((s) => s.id))).toEqual(new Set(seats.map((s) => s.id)));
      }),
    );
  });

  it('keeps every row contiguous', () => {
    fc.assert(
      fc.property(seatsArb, configArb, (seats, cfg) => {
        const rows = blocks(snakeOrder(seats, cfg)).map(([r]) => r);
        expect(new Set(rows).size).toBe(rows.length);
      }),
    );
  });

  it('starts at the best row and walks the traversal side first, then the other side', () => {
    fc.assert(
      fc.property(seatsArb, configArb, (seats, cfg) => {
        const rows = blocks(snakeOrder(seats, cfg)).map(([r]) => r);
        const b = cfg.best_row_index;
        const down = cfg.traversal_direction === 'TOP_TO_BOTTOM';
        const forward = rows.filter((r) => (down ? r >= b : r <= b));
        const back = rows.filter((r) => (down ? r < b : r > b));
        expect(rows).toEqual([...forward, ...back]);
        // each side moves steadily away from the best row
        const dist = (r: number) => Math.abs(r - b);
        for (const side of [forward, back])
          for (let i = 1; i < side.length; i++)
            expect(dist(side[i]!)).toBeGreaterThan(dist(side[i - 1]!));
      }),
    );
  });

  it('alternates direction between consecutive rows (linear strategies)', () => {
    fc.assert(
      fc.property(
        seatsArb,
        configArb.filter((c) => c.within_row_strategy !== 'CENTER_OUTWARD'),
        (seats, cfg) => {
          blocks(snakeOrder(seats, cfg)).forEach(([, row], k) => {
            const cols = row.map((s) => s.col_index);
            const ascendingFirst = cfg.within_row_strategy === 'LEFT_TO_RIGHT';
            const ascending = (k % 2 === 0) === ascendingFirst;
            const sorted = [...cols].sort((a, b) => (ascending ? a - b : b - a));
            expect(cols).toEqual(sorted);
          });
        },
      ),
    );
  });

  it('keeps side-by-side seats consecutive (all of them, or all but one pair per row for CENTER_OUTWARD)', () => {
    fc.assert(
      fc.property(seatsArb, configArb, (seats, cfg) => {
        const order = snakeOrder(seats, cfg);
        const pos = new Map(order.map((s, i) => [`${s.row_index}:${s.col_index}`, i]));
        const brokenPerRow = new Map<number, number>();
        for (const s of seats) {
          const right = pos.get(`${s.row_index}:${s.col_index + 1}`);
          if (right === undefined) continue;
          const here = pos.get(`${s.row_index}:${s.col_index}`)!;
          if (Math.abs(right - here) !== 1)
            brokenPerRow.set(s.row_index, (brokenPerRow.get(s.row_index) ?? 0) + 1);
        }
        const allowed = cfg.within_row_strategy === 'CENTER_OUTWARD' ? 1 : 0;
        for (const n of brokenPerRow.values()) expect(n).toBeLessThanOrEqual(allowed);
      }),
    );
  });

  it('CENTER_OUTWARD starts each row at the seat nearest the axis', () => {
    fc.assert(
      fc.property(
        seatsArb.filter((s) => s.length > 0),
        configArb.map((c) => ({ ...c, within_row_strategy: 'CENTER_OUTWARD' as const })),
        (seats, cfg) => {
          const cols = seats.map((s) => s.col_index);
          const axis = (Math.min(...cols) + Math.max(...cols)) / 2;
          for (const [, row] of blocks(snakeOrder(seats, cfg))) {
            const nearest = Math.min(...row.map((s) => Math.abs(s.col_index - axis)));
            expect(Math.abs(row[0]!.col_index - axis)).toBe(nearest);
          }
        },
      ),
    );
  });

  it('with sub-sectors, is a permutation and each group is one contiguous block', () => {
    fc.assert(
      fc.property(seatsArb, configArb, fc.integer({ min: 0, max: 19 }), (seats, cfg, split) => {
        const grouped: SnakeConfig = {
          ...cfg,
          subsector_grouping_json: {
            groups: [
              { key: 'left', max_col: split },
              { key: 'right', min_col: split + 1 },
            ],
          },
        };
        const order = snakeOrder(seats, grouped);
        expect(new Set(order.map((s) => s.id))).toEqual(new Set(seats.map((s) => s.id)));
        const sides = order.map((s) => (s.col_index <= split ? 'L' : 'R'));
        const firstR = sides.indexOf('R');
        if (firstR >= 0) expect(sides.slice(firstR).every((x) => x === 'R')).toBe(true);
      }),
    );
  });
});
