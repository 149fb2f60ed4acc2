import { z } from 'zod';
import { CONFIG_ISSUE_CODES, MATCH_STATUSES, STATUS_CHANGE_TARGETS } from './matches.rules.ts';

/** Request and response schemas of the matches module (they feed OpenAPI). */

const id = z.uuid();
const instant = z.iso.datetime({ offset: true });
const text = (max: number) => z.string().trim().min(1).max(max);
const notificationPreference = z
  .enum(['notify', 'silent'])
  .describe(
    'E2-F6: whether ticket holders are told about this change (recorded in the change log; sending is done by the notifications module)',
  );

export const MATCH_TYPES = ['HOME', 'AWAY'] as const;
export const PHASE_TYPES = ['LOYALTY', 'GENERAL_PUBLIC', 'QUOTA_ONLY'] as const;
export const MATCH_SECTOR_STATUSES = ['ACTIVE', 'CLOSED', 'MAINTENANCE'] as const;
export const SECTOR_PURPOSES = ['GENERAL', 'AWAY_FANS', 'VIP', 'PRESS', 'FREE'] as const;
export const SECTOR_TYPES = ['STANDARD', 'VIP', 'ACCESSIBILITY', 'STANDING'] as const;
export const CONFIG_STATUSES = ['DRAFT', 'VALIDATED', 'LOCKED'] as const;

export const matchIdParams = z.object({ id });
export const matchConfigParams = z.object({ matchId: id });

// Matches ------------------------------------------------------------------------------

export const matchOut = z.object({
  id,
  home_team: z.string(),
  away_team: z.string(),
  competition: z.string(),
  kick_off_time: instant,
  venue_id: id.nullable(),
  match_type: z.enum(MATCH_TYPES),
  is_numbered: z.boolean(),
  status: z.enum(MATCH_STATUSES),
  stadium_config_status: z.enum(CONFIG_STATUSES),
  config_locked_at: instant.nullable(),
  created_by: id.nullable(),
  created_at: instant,
  updated_at: instant,
  closed_at: instant.nullable(),
  cancelled_at: instant.nullable(),
  cancellation_reason: z.string().nullable(),
  deleted_at: instant.nullable(),
});
export type MatchOut = z.infer<typeof matchOut>;

const matchFields = {
  home_team: text(100),
  away_team: text(100),
  competition: text(100),
  kick_off_time: instant,
  venue_id: id
    .nullable()
    .optional()
    .describe('Stadium template; usually set by POST /admin/matches/{matchId}/stadium'),
  match_type: z.enum(MATCH_TYPES),
  is_numbered: z.boolean().optional(),
};

export const createMatchBody = z.object(matchFields).strict();
export type CreateMatchBody = z.infer<typeof createMatchBody>;

export const createMatchOut = z.object({ match_id: id, match: matchOut });

export const updateMatchBody = z
  .object({
    home_team: matchFields.home_team.optional(),
    away_team: matchFields.away_team.optional(),
    competition: matchFields.competition.optional(),
    kick_off_time: instant.optional(),
    venue_id: matchFields.venue_id,
    match_type: matchFields.match_type.optional(),
    is_numbered: z.boolean().optional(),
    status: z
      .enum(STATUS_CHANGE_TARGETS)
      .optional()
      .describe(
        'Optional status change, checked by the same status machine as POST /admin/matches/{id}/status',
      ),
    notification_preference: notificationPreference.optional(),
  })
  .strict();
export type UpdateMatchBody = z.infer<typeof updateMatchBody>;

export const statusChangeBody = z
  .object({
    status: z.enum(STATUS_CHANGE_TARGETS),
    notification_preference: notificationPreference.optional(),
  })
  .strict();

export const listMatchesQuery = z
  .object({
    page: z.coerce.number().int().min(1).default(1),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    status: z.enum(MATCH_STATUSES).optional(),
    match_type: z.enum(MATCH_TYPES).optional(),
    from: instant.optional().describe('Kick-off at or after this instant'),
    to: instant.optional().describe('Kick-off at or before this instant'),
    include_deleted: z
      .enum(['true', 'false'])
      .optional()
      .describe('Soft-deleted matches are hidden unless this is true or status=DELETED'),
  })
  .strict();

export const matchListOut = z.object({
  items: z.array(matchOut),
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
});

// Sales phases (E2-F2) -------------------------------------------------------------------

export const loyaltyTier = z
  .object({
    min_points: z.number().int().min(0).max(100_000_000),
    ticket_limit: z.number().int().min(1).max(20),
  })
  .strict();

/**
 * `eligibility_rules_json`: loyalty tiers, each a points threshold and the number of
 * tickets a fan with at least that many points may buy for this match. The highest
 * threshold a fan reaches applies.
 */
export const eligibilityRules = z
  .object({ loyalty_tiers: z.array(loyaltyTier).max(50).optional() })
  .strict()
  .superRefine((rules, ctx) => {
    const seen = new Set<number>();
    rules.loyalty_tiers?.forEach((tier, i) => {
      if (seen.has(tier.min_points)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate min_points ${tier.min_points}`,
          path: ['loyalty_tiers', i, 'min_points'],
        });
      }
      seen.add(tier.min_points);
    });
  });

const phaseFields = {
  phase_type: z.enum(PHASE_TYPES),
  name: text(100),
  start_at: instant,
  end_at: instant,
  eligibility_rules_json: eligibilityRules,
  ticket_limit: z.number().int().min(1).max(20),
  is_active: z.boolean(),
};

export const createPhaseBody = z
  .object({
    ...phaseFields,
    eligibility_rules_json: eligibilityRules.default({}),
    ticket_limit: phaseFields.ticket_limit.default(4),
    is_active: z.boolean().default(true),
  })
  .strict();
export type CreatePhaseBody = z.infer<typeof createPhaseBody>;

export const updatePhaseBody = z
  .object({
    phase_type: phaseFields.phase_type.optional(),
    name: phaseFields.name.optional(),
    start_at: instant.optional(),
    end_at: instant.optional(),
    eligibility_rules_json: eligibilityRules.optional(),
    ticket_limit: phaseFields.ticket_limit.optional(),
    is_active: z.boolean().optional(),
  })
  .strict();
export type UpdatePhaseBody = z.infer<typeof updatePhaseBody>;

export const phaseParams = z.object({ id, phase_id: id });

export const phaseOut = z.object({
  id,
  match_id: id,
  phase_type: z.enum(PHASE_TYPES),
  name: z.string(),
  start_at: instant,
  end_at: instant,
  eligibility_rules_json: z.object({ loyalty_tiers: z.array(loyaltyTier).optional() }),
  ticket_limit: z.number().int(),
  is_active: z.boolean(),
  created_at: instant,
});
export type PhaseOut = z.infer<typeof phaseOut>;

// Price categories (E2-F4) -------------------------------------------------------------

const priceFields = {
  name: text(100),
  price: z.number().int().min(0).max(100_000_000).describe('Euro cents'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .describe('ISO 4217 code'),
  color: z
    .string()
    .regex(/^#[0-9A-Fa-f]{6}$/)
    .nullable()
    .describe('#RRGGBB shown on seat maps'),
};

export const createPriceCategoryBody = z
  .object({
    ...priceFields,
    currency: priceFields.currency.default('EUR'),
    color: priceFields.color.optional(),
  })
  .strict();
export type CreatePriceCategoryBody = z.infer<typeof createPriceCategoryBody>;

export const updatePriceCategoryBody = z
  .object({
    name: priceFields.name.optional(),
    price: priceFields.price.optional(),
    currency: priceFields.currency.optional(),
    color: priceFields.color.optional(),
  })
  .strict();
export type UpdatePriceCategoryBody = z.infer<typeof updatePriceCategoryBody>;

export const priceCategoryParams = z.object({ matchId: id, categoryId: id });

export const priceCategoryOut = z.object({
  id,
  match_id: id,
  name: z.string(),
  price: z.number().int(),
  currency: z.string(),
  color: z.string().nullable(),
  created_at: instant,
});

// Match sectors (E2-F4) ----------------------------------------------------------------

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

const capacity = z.number().int().min(0).max(200_000);

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

// Stadium configuration (E2-F4, E2-F5) ---------------------------------------------------

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
