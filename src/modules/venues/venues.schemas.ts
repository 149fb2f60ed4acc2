import { z } from 'zod';
import { SEAT_MAP_TYPES, SEAT_TYPES } from './seat-map.ts';
import { ROW_STRATEGIES, TRAVERSAL_DIRECTIONS, subsectorGroupingSchema } from './snake.ts';

/** Request and response schemas of the venues module (they feed OpenAPI). */

const id = z.uuid();
const instant = z.iso.datetime({ offset: true });
const text = (max: number) => z.string().trim().min(1).max(max);

export const STADIUM_TYPES = ['HOME', 'AWAY'] as const;
export const SECTOR_TYPES = ['STANDARD', 'VIP', 'ACCESSIBILITY', 'STANDING'] as const;
export const SEAT_MAP_STATUSES = ['DRAFT', 'GENERATED'] as const;

export const stadiumParams = z.object({ stadiumId: id });
export const stadiumSectorParams = z.object({ stadiumId: id, sectorId: id });
export const sectorParams = z.object({ sectorId: id });
export const seatParams = z.object({ seatId: id });

// Stadiums -----------------------------------------------------------------------------

export const stadiumOut = z.object({
  id,
  name: z.string(),
  city: z.string(),
  country: z.string(),
  address: z.string().nullable(),
  type: z.enum(STADIUM_TYPES),
  base_capacity: z
    .number()
    .int()
    .describe('Sum of the sector capacities once the stadium has sectors; as given before'),
  is_numbered: z.boolean(),
  sector_count: z.number().int(),
  created_at: instant,
  updated_at: instant,
});

export const listStadiumsQuery = z
  .object({
    page: z.coerce.number().int().min(1).default(1),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    type: z.enum(STADIUM_TYPES).optional(),
  })
  .strict();

export const stadiumListOut = z.object({
  items: z.array(stadiumOut),
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
});

export const createStadiumBody = z
  .object({
    name: text(120),
    city: text(100),
    country: text(100).default('Croatia'),
    address: text(200).nullable().optional(),
    type: z
      .enum(STADIUM_TYPES)
      .default('HOME')
      .describe('AWAY for a stadium abroad used by away matches (E2-F5)'),
    is_numbered: z
      .boolean()
      .default(true)
      .describe('false: tickets carry no seat (free seating / standing)'),
    base_capacity: z
      .number()
      .int()
      .min(0)
      .max(200_000)
      .default(0)
      .describe('Capacity before sectors are defined; then the sum of sector capacities'),
  })
  .strict();
export type CreateStadiumBody = z.infer<typeof createStadiumBody>;

// Sectors ------------------------------------------------------------------------------

export const seatMapInfo = z.object({
  id,
  total_seats: z.number().int(),
  configuration_status: z.enum(SEAT_MAP_STATUSES),
  updated_at: instant,
});

export const sectorOut = z.object({
  id,
  stadium_id: id,
  name: z.string(),
  code: z.string(),
  capacity: z.number().int(),
  sector_type: z.enum(SECTOR_TYPES),
  has_seat_map: z.boolean(),
  seat_count: z.number().int().describe('Seats generated for the sector'),
  created_at: instant,
});
export type SectorOut = z.infer<typeof sectorOut>;

export const sectorDetailOut = sectorOut.extend({
  seat_map: seatMapInfo.nullable(),
});

export const stadiumDetailOut = stadiumOut.extend({ sectors: z.array(sectorOut) });

const sectorCode = z
  .string()
  .trim()
  .min(1)
  .max(20)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, "-" and "_"')
  .transform((c) => c.toUpperCase())
  .describe('Unique within the stadium (case-insensitive: stored upper-case)');

export const createSectorBody = z
  .object({
    name: text(100),
    code: sectorCode,
    capacity: z.number().int().min(0).max(100_000),
    sector_type: z.enum(SECTOR_TYPES).default('STANDARD'),
  })
  .strict();
export type CreateSectorBody = z.infer<typeof createSectorBody>;

export const updateSectorBody = z
  .object({
    name: text(100).optional(),
    code: sectorCode.optional(),
    capacity: z.number().int().min(0).max(100_000).optional(),
    sector_type: z.enum(SECTOR_TYPES).optional(),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'Nothing to update');
export type UpdateSectorBody = z.infer<typeof updateSectorBody>;

export const sectorListOut = z.object({ items: z.array(sectorOut) });

// Seat maps ----------------------------------------------------------------------------

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

// Snake configuration ------------------------------------------------------------------

export const snakeConfigBody = z
  .object({
    best_row_index: z.number().int().min(0).max(9999),
    traversal_direction: z.enum(TRAVERSAL_DIRECTIONS),
    within_row_strategy: z.enum(ROW_STRATEGIES),
    subsector_grouping_json: subsectorGroupingSchema.nullable().default(null),
  })
  .strict();

export const snakeConfigOut = z.object({
  sector_id: id,
  best_row_index: z.number().int(),
  traversal_direction: z.enum(TRAVERSAL_DIRECTIONS),
  within_row_strategy: z.enum(ROW_STRATEGIES),
  subsector_grouping_json: subsectorGroupingSchema.nullable(),
  is_default: z.boolean().describe('true: nothing stored yet, these are the defaults in use'),
  updated_at: instant.nullable(),
});
