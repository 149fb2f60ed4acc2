import { z } from 'zod';
import { PHASE_TYPES, id, instant, text } from './matches.schemas.ts';

/** Request and response schemas of sales phases (they feed OpenAPI). */

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
