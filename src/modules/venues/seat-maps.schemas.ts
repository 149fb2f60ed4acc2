import { z } from 'zod';
import { SEAT_MAP_TYPES, SEAT_TYPES } from './seat-map.ts';
import { id, instant, SEAT_MAP_STATUSES } from './venues.schemas.ts';

/** The stored map (already validated); for documentation and responses. */
export const seatMapJsonOut = z.object({
  dimensions: z.object({ rows: z.number().int(), cols: z.number().int() }),
  seats: z.array(
    z.object({ row: z.number().int(), col: z.number().int(), type: z.enum(SEAT_MAP_TYPES) }),
  ),
  row_labels: z.array(z.string()),
  numbering_direction: z.enum(['LTR', 'RTL']),
});

export const seatMapBody = z
  .object({
    seat_map_json: z
      .unknown()
      .describe(
        'The canvas editor JSON: {dimensions: {rows, cols}, seats: [{row, col, type}], ' +
          'row_labels: [...], numbering_direction: "LTR" | "RTL"} (type: standard, ' +
          'technical, accessibility, companion; gaps are cells without an entry). Checked ' +
          'by the service: 422 SEAT_MAP_INVALID lists each offending element.',
      ),
  })
  .strict();

export const seatMapOut = z.object({
  id,
  sector_id: id,
  seat_map_json: seatMapJsonOut,
  total_seats: z.number().int(),
  configuration_status: z
    .enum(SEAT_MAP_STATUSES)
    .describe('GENERATED: the sector seats match this map; DRAFT: not generated since saved'),
  seats_generated: z.number().int(),
  created_at: instant,
  updated_at: instant,
});

const flag = z
  .enum(['true', 'false'])
  .optional()
  .transform((v) => v === 'true');

export const generateSeatsQuery = z
  .object({
    preview: flag.describe('true: return the seats that would be created, save nothing'),
    force_regenerate: flag.describe(
      'true: delete the existing seats first (409 once any of them is sold or on sale)',
    ),
  })
  .strict();

export const seatOut = z.object({
  id,
  sector_id: id,
  row_identifier: z.string(),
  seat_number: z.number().int(),
  seat_type: z.enum(SEAT_TYPES),
  row_index: z.number().int(),
  col_index: z.number().int(),
});

export const generatedSeatOut = seatOut.partial({ id: true, sector_id: true });

export const generateSeatsOut = z.object({
  sector_id: id,
  preview: z.boolean(),
  total: z.number().int(),
  deleted: z.number().int().describe('Seats removed by force_regenerate'),
  seats: z.array(generatedSeatOut),
});

export const classifySeatsBody = z
  .object({
    seat_type: z.enum(SEAT_TYPES),
    seat_ids: z.array(id).min(1).max(20_000).optional(),
    row_range: z
      .object({
        from_row_index: z.number().int().min(0),
        to_row_index: z.number().int().min(0),
        from_col_index: z.number().int().min(0).optional(),
        to_col_index: z.number().int().min(0).optional(),
      })
      .strict()
      .refine((r) => r.from_row_index <= r.to_row_index, {
        message: 'from_row_index must not exceed to_row_index',
        path: ['to_row_index'],
      })
      .refine(
        (r) =>
          r.from_col_index === undefined ||
          r.to_col_index === undefined ||
          r.from_col_index <= r.to_col_index,
        { message: 'from_col_index must not exceed to_col_index', path: ['to_col_index'] },
      )
      .optional()
      .describe('Map rows (inclusive), optionally narrowed to map columns (inclusive)'),
  })
  .strict()
  .refine((b) => (b.seat_ids === undefined) !== (b.row_range === undefined), {
    message: 'Give exactly one of seat_ids and row_range',
    path: ['seat_ids'],
  });
export type ClassifySeatsBody = z.infer<typeof classifySeatsBody>;

export const classifySeatsOut = z.object({
  sector_id: id,
  seat_type: z.enum(SEAT_TYPES),
  updated: z.number().int(),
});

export const seatTypeBody = z.object({ seat_type: z.enum(SEAT_TYPES) }).strict();
