import { z } from 'zod';

/**
 * Allocation algorithms (the spec names them without defining them; our reading, from
 * E7-F4's "seat numbers for numbered matches"):
 * - REDOM: numbered seats allocated in order — the sectors in the order given, each in its
 *   snake order (venues/snake.ts), so the block fills row by row with side-by-side seats
 *   consecutive. The holder sees and picks the seat numbers.
 * - NM: an unnumbered allocation — a count of places in the sectors. The same number of
 *   seats is set aside at once (so public sale can never oversell them), but the holder
 *   sees only the count; the seats are fixed when a claim takes places from the quota.
 */
export const ALLOCATION_DESCRIPTION =
  'REDOM: numbered seats allocated in order — the sectors in the order of sector_ids, each in its snake order, so the block fills row by row with side-by-side seats consecutive; the holder sees and picks the seat numbers. NM: an unnumbered allocation — a count of places in the sectors; as many seats are set aside at once (public sale can never oversell them) but the holder sees only the count, and the seats are fixed when a claim takes places. Either way the seats become ALLOCATED in the inventory and leave public sale; too few free seats → 409 QUOTA_SEATS_INSUFFICIENT with how many are free, and nothing is allocated.';

export const createQuotaBody = z.object({
  match_id: z.uuid(),
  recipient_email: z.email().max(254),
  recipient_name: z.string().trim().min(1).max(200).nullable().optional(),
  internal_note: z.string().max(2000).nullable().optional(),
  total_quantity: z.number().int().min(1).max(5000),
  sector_ids: z
    .array(z.uuid())
    .min(1)
    .max(100)
    .refine((ids) => new Set(ids).size === ids.length, 'sector ids must be distinct')
    .describe('match sector ids, in the order seats are taken from them'),
  discount_percent: z.number().min(0).max(100).multipleOf(0.01).default(0),
  allocation_algorithm: z.enum(['NM', 'REDOM']).default('REDOM').describe(ALLOCATION_DESCRIPTION),
  expiration_date: z.iso.datetime({ offset: true }).nullable().optional(),
  can_create_subquotas: z.boolean().default(false),
  transfer_allowed: z.boolean().default(true),
  deferred_payment: z.boolean().default(false),
  auto_send_email: z.boolean().default(true),
  quota_type: z
    .enum(['STANDARD', 'PETROL'])
    .optional()
    .describe('STANDARD only: PETROL quotas are created with POST /admin/petrol/quotas (E12-F4)'),
});
export type CreateQuotaBody = z.infer<typeof createQuotaBody>;

export const quotaSeatSchema = z.object({
  quota_seat_id: z.uuid(),
  inventory_id: z.uuid(),
  status: z.enum(['ALLOCATED', 'RESERVED', 'SOLD', 'DELEGATED', 'CANCELLED']),
  sector_code: z.string(),
  row: z.string(),
  seat_number: z.number().int(),
});

export const quotaStatus = z.enum([
  'PENDING',
  'ACTIVE',
  'PAST_DEADLINE',
  'CANCELLED',
  'FULLY_CLAIMED',
]);

export const quotaSchema = z.object({
  id: z.uuid(),
  match_id: z.uuid(),
  recipient_email: z.string(),
  recipient_name: z.string().nullable(),
  internal_note: z.string().nullable(),
  total_quantity: z.number().int(),
  sector_ids: z.array(z.uuid()),
  discount_percent: z.number(),
  allocation_algorithm: z.enum(['NM', 'REDOM']),
  expiration_date: z.string().nullable(),
  can_create_subquotas: z.boolean(),
  transfer_allowed: z.boolean(),
  deferred_payment: z.boolean(),
  auto_send_email: z.boolean(),
  status: quotaStatus,
  quota_type: z
    .enum(['STANDARD', 'PETROL'])
    .describe('PETROL: sold at petrol stations, managed under /admin/petrol/quotas (E12-F4)'),
  batch_id: z.uuid().nullable(),
  created_at: z.string(),
  cancelled_at: z.string().nullable(),
  cancellation_type: z.enum(['ALL_UNUSED', 'UNFULFILLED_ONLY']).nullable(),
  seats: z.array(quotaSeatSchema),
});

export const quotaIdParams = z.object({ id: z.uuid() });

export const cancelQuotaQuery = z.object({
  option: z
    .enum(['all_unused', 'unfulfilled_only'])
    .describe(
      'all_unused: every seat not sold (ALLOCATED, RESERVED in a claim, DELEGATED to a sub-quota) goes back to sale; unfulfilled_only: only ALLOCATED seats (claims in progress and sub-quotas stay)',
    ),
});

export const cancelQuotaResponse = quotaSchema.extend({
  returned_seats: z.number().int().describe('seats given back to public sale (AVAILABLE)'),
});

export const listQuotasQuery = z.object({ match_id: z.uuid() });
export const listQuotasResponse = z.object({ items: z.array(quotaSchema.omit({ seats: true })) });
