import { z } from 'zod';

/** Request and response schemas of the waiting room (they feed OpenAPI). */

const instant = z.iso.datetime({ offset: true });

export const QUEUE_STATUSES = ['WAITING', 'ACTIVE', 'EXPIRED', 'COMPLETED', 'LEFT'] as const;

export const matchIdParams = z.object({ match_id: z.uuid() });
export const adminMatchParams = z.object({ id: z.uuid() });

export const queueView = z.object({
  match_id: z.uuid(),
  status: z
    .enum(QUEUE_STATUSES)
    .describe('WAITING in line, ACTIVE = admitted (purchase window open), or how it ended'),
  position: z
    .number()
    .int()
    .positive()
    .nullable()
    .describe('1 = next to be admitted (rank in the line + 1); null when not waiting'),
  estimated_wait_time: z
    .number()
    .int()
    .min(0)
    .describe(
      'Seconds until admission, from the admission rate measured over the last 5 minutes (the configured rate before any admission), plus the time until the opening',
    ),
  total_queue_size: z.number().int().min(0).describe('Fans waiting in the line'),
  queue_opens_at: instant
    .nullable()
    .describe('When the line opens (fans who joined before it are shuffled then)'),
  position_provisional: z
    .boolean()
    .describe('True before the opening: the fair-start shuffle will redraw the order'),
  window_started_at: instant.nullable(),
  window_expires_at: instant.nullable().describe('End of the 20-minute purchase window'),
  admission_token: z
    .string()
    .nullable()
    .describe('Proof of admission for the purchase endpoints (header X-Queue-Admission)'),
  purchase_url: z.string().nullable().describe('Deep link to the purchase screen (ACTIVE)'),
});

export const queueSettings = z.object({
  enabled: z.boolean().describe('Whether the match sells through the waiting room'),
  admission_rate_per_minute: z.number().int().positive(),
  max_active_buyers: z
    .number()
    .int()
    .positive()
    .describe('Cap of fans in their purchase window at the same time'),
  paused: z.boolean().describe('Admissions stop while paused; the line keeps its order'),
});

export const queueAdminView = z.object({
  match_id: z.uuid(),
  settings: queueSettings,
  open: z.boolean().describe('Whether fans can join now'),
  queue_opens_at: instant.nullable(),
  shuffled: z.boolean().describe('Whether the fair-start shuffle has run'),
  counts: z.object({
    waiting: z.number().int(),
    active: z.number().int(),
    completed: z.number().int(),
    expired: z.number().int(),
    left: z.number().int(),
  }),
  admitted_per_minute: z
    .number()
    .nullable()
    .describe('Admissions per minute measured over the last 5 minutes'),
  total_admitted: z.number().int(),
});

export const updateSettingsBody = queueSettings
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'at least one setting is required' });
