import { z } from 'zod';
import { CONFIG_ISSUE_CODES } from './matches.rules.ts';
import { capacity, matchSectorOut } from './match-sectors.schemas.ts';
import {
  CONFIG_STATUSES,
  MATCH_TYPES,
  SECTOR_TYPES,
  id,
  instant,
  text,
} from './matches.schemas.ts';
import { priceCategoryOut } from './price-categories.schemas.ts';

/** Request and response schemas of the match stadium configuration (they feed OpenAPI). */

export const newAwayStadium = z
  .object({
    name: text(150),
    city: text(100),
    country: text(100),
    address: z.string().trim().max(300).nullable().optional(),
    is_numbered: z.boolean().default(false),
    sectors: z
      .array(
        z
          .object({
            name: text(100),
            code: text(20),
            capacity: capacity.refine((n) => n > 0, 'must be positive'),
            sector_type: z.enum(SECTOR_TYPES).default('STANDARD'),
          })
          .strict(),
      )
      .min(1)
      .max(200),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.sectors.forEach((sector, i) => {
      if (seen.has(sector.code))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate sector code ${sector.code}`,
          path: ['sectors', i, 'code'],
        });
      seen.add(sector.code);
    });
  });

export const configureStadiumBody = z
  .object({
    stadium_template_id: id.optional().describe('Copy the sectors of this stadium template'),
    import_from_match_id: id
      .optional()
      .describe("Copy another match's stadium, sectors, price categories and sector statuses"),
    create_new: newAwayStadium
      .optional()
      .describe('Create an AWAY stadium with its sectors inline and use it'),
  })
  .strict()
  .superRefine((body, ctx) => {
    const given = [body.stadium_template_id, body.import_from_match_id, body.create_new].filter(
      (v) => v !== undefined,
    ).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'exactly one of stadium_template_id, import_from_match_id, create_new is required',
        path: [],
      });
    }
  });
export type ConfigureStadiumBody = z.infer<typeof configureStadiumBody>;

export const stadiumOut = z.object({
  id,
  name: z.string(),
  city: z.string(),
  country: z.string(),
  address: z.string().nullable(),
  type: z.enum(MATCH_TYPES),
  base_capacity: z.number().int(),
  is_numbered: z.boolean(),
});

export const stadiumConfigOut = z.object({
  match_id: id,
  stadium_config_status: z.enum(CONFIG_STATUSES),
  config_locked_at: instant.nullable(),
  stadium: stadiumOut.nullable(),
  sectors: z.array(matchSectorOut),
  price_categories: z.array(priceCategoryOut),
  inventory_seats: z.number().int().describe('Seat inventory rows of the match'),
});

export const configIssue = z.object({
  code: z.enum(CONFIG_ISSUE_CODES),
  match_sector_id: id.nullable(),
  sector_code: z.string().nullable(),
  message: z.string(),
});

export const validationOut = z.object({
  valid: z.boolean(),
  issues: z.array(configIssue),
  stadium_config_status: z.enum(CONFIG_STATUSES),
  inventory_seats: z
    .number()
    .int()
    .describe('Inventory rows of the match after the call (created when it locked)'),
});
