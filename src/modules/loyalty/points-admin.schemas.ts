import { z } from 'zod';

/** zod schemas of the points administration (E6-F1 import, E6-F2 distribution). */

export const distributionQuery = z
  .object({
    match_id: z
      .uuid()
      .optional()
      .describe("the match whose LOYALTY phases' tiers to count (default: open or upcoming ones)"),
  })
  .strict();

export const distributionOut = z.object({
  window_start: z.string(),
  total_fans: z.number().int().describe('fans with at least one point in the window'),
  total_points: z.number().int(),
  levels: z.array(
    z.object({
      points: z.number().int(),
      fans: z.number().int().describe('fans with exactly this balance'),
      fans_at_least: z.number().int().describe('fans with this balance or more'),
    }),
  ),
  phases: z.array(
    z.object({
      phase_id: z.uuid(),
      phase_name: z.string(),
      match_id: z.uuid(),
      match_name: z.string(),
      start_at: z.string(),
      ticket_limit: z.number().int(),
      tiers: z.array(
        z.object({
          min_points: z.number().int(),
          ticket_limit: z.number().int(),
          fans: z.number().int().describe('fans whose highest reached tier this is'),
          max_tickets: z.number().int(),
        }),
      ),
      fans_below_lowest_tier: z.number().int(),
    }),
  ),
});

export const importOut = z.object({
  lines: z.number().int(),
  imported: z.number().int().describe('point rows written by this import'),
  points_imported: z.number().int(),
  already_imported: z.number().int().describe('lines whose fan and reference were imported before'),
  unknown_oib: z
    .array(z.object({ line: z.number().int(), oib_masked: z.string() }))
    .describe('lines whose OIB has no fan account yet (at most 1,000 listed)'),
  unknown_oib_count: z.number().int(),
});
