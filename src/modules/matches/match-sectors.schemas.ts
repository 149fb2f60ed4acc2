import { z } from 'zod';
import { MATCH_SECTOR_STATUSES, SECTOR_PURPOSES, id, instant, text } from './matches.schemas.ts';

/** Request and response schemas of match sectors (they feed OpenAPI). */

export const matchSectorOut = z.object({
  id,
  match_id: id,
  sector_id: id,
  name: z.string(),
  code: z.string(),
  total_capacity: z.number().int(),
  technical_seats: z.number().int(),
  sellable_capacity: z.number().int(),
  price_category_id: id.nullable(),
  status: z.enum(MATCH_SECTOR_STATUSES),
  purpose: z.enum(SECTOR_PURPOSES),
  is_numbered: z.boolean(),
  has_seat_map: z.boolean(),
  created_at: instant,
});
export type MatchSectorOut = z.infer<typeof matchSectorOut>;

export const capacity = z.number().int().min(0).max(200_000);

const sectorChangeFields = {
  name: text(100).optional(),
  price_category_id: id.nullable().optional(),
  status: z.enum(MATCH_SECTOR_STATUSES).optional(),
  purpose: z.enum(SECTOR_PURPOSES).optional(),
  total_capacity: capacity.optional(),
  technical_seats: capacity.optional(),
  sellable_capacity: capacity.optional(),
  is_numbered: z.boolean().optional(),
};

export const updateMatchSectorBody = z.object(sectorChangeFields).strict();
export type MatchSectorChange = z.infer<typeof updateMatchSectorBody>;

export const addMatchSectorBody = z
  .object({
    sector_id: id.describe('A sector of the match venue'),
    ...sectorChangeFields,
  })
  .strict();
export type AddMatchSectorBody = z.infer<typeof addMatchSectorBody>;

export const bulkUpdateSectorsBody = z
  .object({
    sectors: z
      .array(z.object({ id, ...sectorChangeFields }).strict())
      .min(1)
      .max(500),
  })
  .strict()
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.sectors.forEach((s, i) => {
      if (seen.has(s.id))
        ctx.addIssue({ code: 'custom', message: 'duplicate id', path: ['sectors', i, 'id'] });
      seen.add(s.id);
    });
  });

export const matchSectorParams = z.object({
  matchId: id,
  sectorId: id.describe('The match sector id (match_sectors.id)'),
});
