import { z } from 'zod';
import type { FieldError } from '../../platform/errors.ts';

/**
 * Sector seat maps (spec E2-F10): the JSON the canvas editor draws, its validation and the
 * generation of seat records from it. Pure; the service stores the results.
 *
 * ```json
 * { "dimensions": { "rows": 50, "cols": 50 },
 *   "seats": [{ "row": 0, "col": 0, "type": "standard" }, …],
 *   "row_labels": ["A", "B", …],
 *   "numbering_direction": "LTR" }
 * ```
 *
 * A cell without an entry in `seats` is a gap (staircase, wall, aisle). Row `r` is labelled
 * `row_labels[r]` (A = index 0); only rows that hold seats need a label. Rows may have any
 * length and shape: a row's seats are whatever cells of it are listed.
 */

export const SEAT_MAP_TYPES = ['standard', 'technical', 'accessibility', 'companion'] as const;
export type SeatMapSeatType = (typeof SEAT_MAP_TYPES)[number];
/** The seat_type enum of the seats table, by map type. */
export type SeatType = 'STANDARD' | 'TECHNICAL' | 'ACCESSIBILITY' | 'COMPANION';
export const SEAT_TYPES = ['STANDARD', 'TECHNICAL', 'ACCESSIBILITY', 'COMPANION'] as const;

/** Upper bounds that keep one map to a physically plausible sector and a bounded request. */
export const SEAT_MAP_LIMITS = { rows: 200, cols: 400, seats: 20_000, labelLength: 8 } as const;

const seatMapShape = z
  .object({
    dimensions: z
      .object({
        rows: z.number().int().min(1).max(SEAT_MAP_LIMITS.rows),
        cols: z.number().int().min(1).max(SEAT_MAP_LIMITS.cols),
      })
      .strict(),
    seats: z
      .array(
        z
          .object({
            row: z.number().int().min(0),
            col: z.number().int().min(0),
            type: z.enum(SEAT_MAP_TYPES),
          })
          .strict(),
      )
      .max(SEAT_MAP_LIMITS.seats),
    row_labels: z.array(z.string().trim().min(1).max(SEAT_MAP_LIMITS.labelLength)),
    numbering_direction: z.enum(['LTR', 'RTL']),
  })
  .strict();

/**
 * `seat_map_json`, shape and consistency: every seat inside the dimensions, no cell used
 * twice, a label for every row with seats, no more labels than rows, labels unique (a
 * repeated label would give two seats the same row + number).
 */
export const seatMapSchema = seatMapShape.superRefine((map, ctx) => {
  const { rows, cols } = map.dimensions;
  const firstAt = new Map<number, number>();
  const usedRows = new Set<number>();
  map.seats.forEach((seat, i) => {
    if (seat.row >= rows) {
      ctx.addIssue({
        code: 'custom',
        path: ['seats', i, 'row'],
        message: `row ${seat.row} is outside the map (dimensions.rows = ${rows})`,
      });
      return;
    }
    if (seat.col >= cols) {
      ctx.addIssue({
        code: 'custom',
        path: ['seats', i, 'col'],
        message: `col ${seat.col} is outside the map (dimensions.cols = ${cols})`,
      });
      return;
    }
    const cell = seat.row * cols + seat.col;
    const first = firstAt.get(cell);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['seats', i],
        message: `cell (${seat.row}, ${seat.col}) is already used by seats[${first}]`,
      });
      return;
    }
    firstAt.set(cell, i);
    if (seat.row >= map.row_labels.length && !usedRows.has(seat.row)) {
      ctx.addIssue({
        code: 'custom',
        path: ['seats', i, 'row'],
        message: `row ${seat.row} has seats but no label (row_labels has ${map.row_labels.length})`,
      });
    }
    usedRows.add(seat.row);
  });
  if (map.row_labels.length > rows) {
    ctx.addIssue({
      code: 'custom',
      path: ['row_labels'],
      message: `${map.row_labels.length} labels for ${rows} rows`,
    });
  }
  const labelAt = new Map<string, number>();
  map.row_labels.forEach((label, i) => {
    const first = labelAt.get(label);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['row_labels', i],
        message: `label "${label}" is already used by row ${first}`,
      });
    }
    labelAt.set(label, i);
  });
});

export type SeatMap = z.infer<typeof seatMapSchema>;

/** The offending element's path, e.g. `seats.12.col`, prefixed as the caller wishes. */
export function seatMapErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || prefix || '(root)',
    message: issue.message,
  }));
}

export type SeatMapValidation = { ok: true; value: SeatMap } | { ok: false; errors: FieldError[] };

export function validateSeatMap(input: unknown, prefix = ''): SeatMapValidation {
  const parsed = seatMapSchema.safeParse(input);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, errors: seatMapErrors(parsed.error, prefix) };
}

export interface GeneratedSeat {
  row_identifier: string;
  seat_number: number;
  seat_type: SeatType;
  row_index: number;
  col_index: number;
}

const toSeatType = (t: SeatMapSeatType) => t.toUpperCase() as SeatType;

/**
 * The seat records of a valid map, ordered by row then column. Each row is numbered on its
 * own from 1: LTR from its leftmost seat to the right, RTL from its rightmost seat to the
 * left. Gaps consume no numbers, so a row with an aisle is still numbered 1..n.
 */
export function generateSeats(map: SeatMap): GeneratedSeat[] {
  const rows = new Map<number, SeatMap['seats']>();
  for (const seat of map.seats) {
    let row = rows.get(seat.row);
    if (!row) rows.set(seat.row, (row = []));
    row.push(seat);
  }
  const out: GeneratedSeat[] = [];
  for (const r of [...rows.keys()].sort((a, b) => a - b)) {
    const row = rows.get(r)!.sort((a, b) => a.col - b.col);
    const label = map.row_labels[r]!;
    row.forEach((seat, i) => {
      out.push({
        row_identifier: label,
        seat_number: map.numbering_direction === 'LTR' ? i + 1 : row.length - i,
        seat_type: toSeatType(seat.type),
        row_index: r,
        col_index: seat.col,
      });
    });
  }
  return out;
}
