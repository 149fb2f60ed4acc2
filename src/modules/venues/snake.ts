import { z } from 'zod';

/**
 * Snake ordering of a sector's seats (spec E2-F10 snake configuration, E4-F3 assignment).
 *
 * The order is computed once per seat when a match configuration is locked and stored as
 * `match_seat_inventory.snake_order`; seat assignment then takes the first claimable seats
 * in that order with one indexed query: `snake_order` = the seat's index in the array
 * `snakeOrder()` returns. Everything below is pure and deterministic. A sector without a
 * stored configuration uses DEFAULT_SNAKE_CONFIG.
 *
 * Coordinates are the seat's cell in the sector's seat map: `row_index` 0 is the top row
 * of the map (row label A), `col_index` 0 the leftmost column. "Left" and "right" mean
 * smaller and larger `col_index`.
 *
 * ## The order, precisely
 *
 * 1. **Groups.** Without sub-sector grouping the sector is one group. With grouping, each
 *    seat belongs to the group named by its own `subsector` key when it has one, otherwise
 *    to the first configured group whose row/column bounds contain it; seats matching no
 *    group form a final unnamed group. Groups come in configuration order, then groups
 *    known only from seat keys (by key), then the unnamed group. Each group is ordered
 *    independently by the steps below and the groups are concatenated, so a group (e.g. one
 *    side of a vomitory, or the straight part of a curved stand) is filled before the next.
 *
 * 2. **Rows.** Let `b = best_row_index`. With TOP_TO_BOTTOM the row sequence is first
 *    every row `r >= b` in increasing `r` (the best row, then the rows below it), then the
 *    rows `r < b` in decreasing `r` (starting next to the best row and moving away from
 *    it, upwards). BOTTOM_TO_TOP mirrors this: rows `r <= b` in decreasing `r`, then rows
 *    `r > b` in increasing `r`. So the best row is always first (when it has seats), rows
 *    stay in physical sequence on each side, and the far side of the best row is used only
 *    once the traversal side is exhausted. Rows without seats in the group are skipped.
 *
 * 3. **Within a row.** Let `k` be the row's position (0, 1, 2, …) in the group's row
 *    sequence; rows alternate like a snake so that the end of one row is next to the start
 *    of the next:
 *    - LEFT_TO_RIGHT: even `k` ascending `col_index`, odd `k` descending.
 *    - RIGHT_TO_LEFT: even `k` descending `col_index`, odd `k` ascending.
 *    - CENTER_OUTWARD: the group's axis is `a = (minCol + maxCol) / 2` over all of the
 *      group's seats (one axis for all rows, so irregular rows stay aligned as they are
 *      physically). A row splits into its axis seat (`col == a`, if any), its right side
 *      (`col > a`, ascending = from the axis outwards) and its left side (`col < a`,
 *      descending = from the axis outwards). The row is: the axis seat, then the side whose
 *      nearest seat is closer to the axis, then the other side. When both sides are equally
 *      close (the usual case in a full row) the side filled first alternates: the right
 *      side for even `k`, the left side for odd `k`. So every row starts at its seat
 *      nearest the axis, the central seats are handed out first, and the two halves of the
 *      stand are used evenly.
 *
 * Consequences the seat assignment relies on (property-tested):
 * - the result is a permutation of the input;
 * - each row of a group is one contiguous block of the order;
 * - with LEFT_TO_RIGHT and RIGHT_TO_LEFT two seats of a row with consecutive `col_index`
 *   are always consecutive in the order; with CENTER_OUTWARD that holds for every pair
 *   except at most the one pair straddling the axis in each row.
 */

export const TRAVERSAL_DIRECTIONS = ['TOP_TO_BOTTOM', 'BOTTOM_TO_TOP'] as const;
export type TraversalDirection = (typeof TRAVERSAL_DIRECTIONS)[number];

export const ROW_STRATEGIES = ['CENTER_OUTWARD', 'LEFT_TO_RIGHT', 'RIGHT_TO_LEFT'] as const;
export type RowStrategy = (typeof ROW_STRATEGIES)[number];

const bound = z.number().int().min(0).max(9999);

/**
 * One sub-sector: a named rectangle of the seat map (every bound optional and inclusive;
 * an omitted bound is open).
 */
export const subsectorGroupSchema = z
  .object({
    key: z.string().trim().min(1).max(50),
    min_row: bound.optional(),
    max_row: bound.optional(),
    min_col: bound.optional(),
    max_col: bound.optional(),
  })
  .strict()
  .refine((g) => g.min_row === undefined || g.max_row === undefined || g.min_row <= g.max_row, {
    message: 'min_row must not exceed max_row',
    path: ['max_row'],
  })
  .refine((g) => g.min_col === undefined || g.max_col === undefined || g.min_col <= g.max_col, {
    message: 'min_col must not exceed max_col',
    path: ['max_col'],
  });

/** `subsector_grouping_json`: the groups in the order they are filled. */
export const subsectorGroupingSchema = z
  .object({ groups: z.array(subsectorGroupSchema).min(1).max(100) })
  .strict()
  .superRefine((value, ctx) => {
    const seen = new Set<string>();
    value.groups.forEach((g, i) => {
      if (seen.has(g.key)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate group key "${g.key}"`,
          path: ['groups', i, 'key'],
        });
      }
      seen.add(g.key);
    });
  });

export type SubsectorGroup = z.infer<typeof subsectorGroupSchema>;
export type SubsectorGrouping = z.infer<typeof subsectorGroupingSchema>;

export const snakeConfigSchema = z.object({
  best_row_index: z.number().int().min(0).max(9999),
  traversal_direction: z.enum(TRAVERSAL_DIRECTIONS),
  within_row_strategy: z.enum(ROW_STRATEGIES),
  subsector_grouping_json: subsectorGroupingSchema.nullable(),
});
export type SnakeConfig = z.infer<typeof snakeConfigSchema>;

/**
 * The order used for a sector that has no stored configuration: from the top row down,
 * left to right, as a printed seat plan reads.
 */
export const DEFAULT_SNAKE_CONFIG: SnakeConfig = Object.freeze({
  best_row_index: 0,
  traversal_direction: 'TOP_TO_BOTTOM',
  within_row_strategy: 'LEFT_TO_RIGHT',
  subsector_grouping_json: null,
});

export interface SnakeSeat {
  id: string;
  row_index: number;
  col_index: number;
  /** Explicit sub-sector of the seat; takes precedence over the configured bounds. */
  subsector?: string | null;
}

const inBounds = (g: SubsectorGroup, s: SnakeSeat) =>
  (g.min_row === undefined || s.row_index >= g.min_row) &&
  (g.max_row === undefined || s.row_index <= g.max_row) &&
  (g.min_col === undefined || s.col_index >= g.min_col) &&
  (g.max_col === undefined || s.col_index <= g.max_col);

/** Splits seats into their groups, in fill order (see step 1 above). */
function groupSeats<T extends SnakeSeat>(
  seats: readonly T[],
  grouping: SubsectorGrouping | null,
): T[][] {
  if (!grouping && seats.every((s) => s.subsector == null)) return [seats.slice()];
  const configured = grouping?.groups ?? [];
  const byKey = new Map<string, T[]>(configured.map((g) => [g.key, []]));
  const unnamed: T[] = [];
  for (const seat of seats) {
    const key = seat.subsector ?? configured.find((g) => inBounds(g, seat))?.key;
    if (key === undefined) {
      unnamed.push(seat);
      continue;
    }
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(seat);
  }
  const configuredKeys = new Set(configured.map((g) => g.key));
  const extraKeys = [...byKey.keys()].filter((k) => !configuredKeys.has(k)).sort();
  return [...configured.map((g) => g.key), ...extraKeys]
    .map((k) => byKey.get(k)!)
    .concat([unnamed])
    .filter((g) => g.length > 0);
}

/** The group's rows in traversal sequence (step 2). */
function rowSequence(rows: number[], best: number, direction: TraversalDirection): number[] {
  const asc = [...rows].sort((a, b) => a - b);
  if (direction === 'TOP_TO_BOTTOM') {
    return [...asc.filter((r) => r >= best), ...asc.filter((r) => r < best).reverse()];
  }
  return [...asc.filter((r) => r <= best).reverse(), ...asc.filter((r) => r > best)];
}

/** Orders one row (seats sorted by ascending col) for its position k (step 3). */
function orderRow<T extends SnakeSeat>(
  ascending: T[],
  k: number,
  strategy: RowStrategy,
  axis: number,
): T[] {
  const even = k % 2 === 0;
  switch (strategy) {
    case 'LEFT_TO_RIGHT':
      return even ? ascending : ascending.slice().reverse();
    case 'RIGHT_TO_LEFT':
      return even ? ascending.slice().reverse() : ascending;
    case 'CENTER_OUTWARD': {
      const centre = ascending.filter((s) => s.col_index === axis);
      const right = ascending.filter((s) => s.col_index > axis);
      const left = ascending.filter((s) => s.col_index < axis).reverse();
      const dRight = right.length ? right[0]!.col_index - axis : Infinity;
      const dLeft = left.length ? axis - left[0]!.col_index : Infinity;
      const rightFirst = dRight < dLeft || (dRight === dLeft && even);
      return rightFirst ? [...centre, ...right, ...left] : [...centre, ...left, ...right];
    }
  }
}

function orderGroup<T extends SnakeSeat>(group: T[], config: SnakeConfig): T[] {
  const rows = new Map<number, T[]>();
  let minCol = Infinity;
  let maxCol = -Infinity;
  for (const seat of group) {
    let row = rows.get(seat.row_index);
    if (!row) rows.set(seat.row_index, (row = []));
    row.push(seat);
    if (seat.col_index < minCol) minCol = seat.col_index;
    if (seat.col_index > maxCol) maxCol = seat.col_index;
  }
  const axis = (minCol + maxCol) / 2;
  const sequence = rowSequence([...rows.keys()], config.best_row_index, config.traversal_direction);
  const out: T[] = [];
  sequence.forEach((r, k) => {
    // Ties on col (invalid maps) are broken by id so the order stays deterministic.
    const ascending = rows
      .get(r)!
      .sort((a, b) => a.col_index - b.col_index || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const seat of orderRow(ascending, k, config.within_row_strategy, axis)) out.push(seat);
  });
  return out;
}

/**
 * The seats of one sector in snake order (see the module comment for the exact rules).
 * Returns a new array of the same seat objects; the input is not modified.
 */
export function snakeOrder<T extends SnakeSeat>(seats: readonly T[], config: SnakeConfig): T[] {
  return groupSeats(seats, config.subsector_grouping_json).flatMap((g) => orderGroup(g, config));
}
