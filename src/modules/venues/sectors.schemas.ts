import { z } from 'zod';
import { id, instant, text, SECTOR_TYPES, SEAT_MAP_STATUSES } from './venues.schemas.ts';

import { stadiumOut } from './stadiums.schemas.ts';
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
