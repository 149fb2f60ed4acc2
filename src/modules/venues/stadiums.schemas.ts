import { z } from 'zod';
import { id, instant, text, STADIUM_TYPES } from './venues.schemas.ts';

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
  latitude: z.number().nullable().describe('WGS 84; wallet passes show the match near it'),
  longitude: z.number().nullable(),
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
    latitude: z
      .number()
      .min(-90)
      .max(90)
      .nullable()
      .optional()
      .describe(
        'WGS 84 degrees, with longitude: the location a wallet pass uses to show the ticket on the lock screen near the stadium (E9-F4)',
      ),
    longitude: z.number().min(-180).max(180).nullable().optional(),
  })
  .strict()
  .refine((b) => (b.latitude == null) === (b.longitude == null), {
    message: 'latitude and longitude go together',
    path: ['longitude'],
  });
export type CreateStadiumBody = z.infer<typeof createStadiumBody>;
