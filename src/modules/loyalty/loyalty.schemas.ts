import { z } from 'zod';

const tier = z.object({
  min_points: z.number().int(),
  ticket_limit: z.number().int(),
});

export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const userIdParams = z.object({ id: z.uuid() });

const historyItem = z.object({
  match_id: z.uuid().nullable().describe('null for historic points imported by OIB'),
  match_name: z.string().describe("the match, or an imported entry's reference"),
  competition: z.string().nullable(),
  match_type: z.enum(['HOME', 'AWAY']).nullable(),
  kick_off_time: z.string().nullable(),
  source: z.enum(['MATCH', 'IMPORT']),
  points: z.number().int(),
  earned_at: z.string(),
  expires_at: z.string().describe('when these points leave the 5-year window'),
  counts: z.boolean().describe('earned inside the rolling window, so part of the balance'),
});

export const loyaltySummary = z.object({
  user_id: z.uuid(),
  balance: z.number().int().describe('points earned after window_start'),
  window_years: z.number().int(),
  window_start: z.string(),
  loyalty_phases: z
    .array(
      z.object({
        phase_id: z.uuid(),
        phase_name: z.string(),
        match_id: z.uuid(),
        match_name: z.string(),
        kick_off_time: z.string(),
        start_at: z.string(),
        end_at: z.string(),
        open: z.boolean().describe('the phase is open now'),
        tiers: z.array(tier),
        eligible: z.boolean(),
        tier: tier.nullable().describe('the highest tier the balance reaches'),
        ticket_limit: z
          .number()
          .int()
          .describe('tickets the tier allows in this phase (0: not eligible)'),
        next_tier: tier.nullable(),
        points_to_next_tier: z.number().int().nullable(),
      }),
    )
    .describe('LOYALTY sales phases open now or later, with the caller’s tier in each'),
});

export const loyaltyHistory = z.object({
  items: z.array(historyItem),
  total: z.number().int(),
  page: z.number().int(),
  limit: z.number().int(),
});

export const adminLoyalty = loyaltySummary.extend({
  email: z.string(),
  history: z.array(historyItem),
});
