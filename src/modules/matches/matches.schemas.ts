import { z } from 'zod';
import { MATCH_STATUSES, STATUS_CHANGE_TARGETS } from './matches.rules.ts';

/**
 * Request and response schemas of match CRUD and status (they feed OpenAPI), and the pieces
 * every matches sub-domain's schemas share (ids, instants, texts, enums, path parameters).
 */

export const id = z.uuid();
export const instant = z.iso.datetime({ offset: true });
export const text = (max: number) => z.string().trim().min(1).max(max);
const notificationPreference = z
  .enum(['notify', 'silent'])
  .describe(
    'E2-F6: `notify` tells every holder of a valid ticket and its buyer (email in Croatian or English, and a push) about a change of kick-off, venue or status, once per person, from a background job; `silent` (or absent) tells nobody. Every change is logged with before/after either way.',
  );

export const MATCH_TYPES = ['HOME', 'AWAY'] as const;
export const PHASE_TYPES = ['LOYALTY', 'GENERAL_PUBLIC', 'QUOTA_ONLY'] as const;
export const MATCH_SECTOR_STATUSES = ['ACTIVE', 'CLOSED', 'MAINTENANCE'] as const;
export const SECTOR_PURPOSES = ['GENERAL', 'AWAY_FANS', 'VIP', 'PRESS', 'FREE'] as const;
export const SECTOR_TYPES = ['STANDARD', 'VIP', 'ACCESSIBILITY', 'STANDING'] as const;
export const CONFIG_STATUSES = ['DRAFT', 'VALIDATED', 'LOCKED'] as const;

export const matchIdParams = z.object({ id });
export const matchConfigParams = z.object({ matchId: id });

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
