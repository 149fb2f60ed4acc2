import { z } from 'zod';
import { quotaSchema, quotaStatus } from '../quotas/quotas.schemas.ts';

export const createPetrolQuotaBody = z.object({
  match_id: z.uuid(),
  sector_ids: z
    .array(z.uuid())
    .min(1)
    .max(100)
    .refine((ids) => new Set(ids).size === ids.length, 'sector ids must be distinct')
    .describe('match sector ids, in the order seats are taken from them'),
  total_quantity: z.number().int().min(1).max(5000),
  recipient_email: z
    .email()
    .max(254)
    .default('petrol@hns.hr')
    .describe('the petrol company contact (no invitation is sent; the portal never shows it)'),
  recipient_name: z.string().trim().min(1).max(200).nullable().optional(),
  internal_note: z.string().max(2000).nullable().optional(),
  discount_percent: z.number().min(0).max(100).multipleOf(0.01).default(0),
  allocation_algorithm: z.enum(['NM', 'REDOM']).default('REDOM'),
  expiration_date: z.iso.datetime({ offset: true }).nullable().optional(),
});
export type CreatePetrolQuotaBody = z.infer<typeof createPetrolQuotaBody>;

export const CREATE_DESCRIPTION =
  "Creates the match's petrol-station allocation (E12-F4): a quota with quota_type=PETROL and the forced flags deferred_payment=true (the petrol company settles later, through a payment offer), can_create_subquotas=false, transfer_allowed=false (transfer permission NO) and auto_send_email=false. Its seats are allocated at once like any quota's. At most one ACTIVE petrol quota per match (409 PETROL_QUOTA_EXISTS, also for concurrent creations: a partial unique index decides). The match must exist and have a locked stadium configuration (422 PETROL_MATCH_INVALID).";

export const petrolFigures = z.object({
  sold: z.number().int(),
  cash_amount: z.number().int().describe('cents taken in cash'),
  card_amount: z.number().int().describe('cents taken by card'),
  deferred_payment_status: z
    .enum(['NO_SALES', 'OPEN', 'SETTLED'])
    .describe(
      "the petrol company's settlement: NO_SALES, OPEN (sales not yet in a PAID payment offer), SETTLED",
    ),
});

export const petrolQuotaSchema = quotaSchema.extend({
  deeplink_url: z.string().describe('hns://petrol-sales/{quota-id}, derived from the id'),
  qr_svg_url: z.string(),
  qr_png_url: z.string(),
  figures: petrolFigures,
});
export const petrolQuotaListItem = petrolQuotaSchema.omit({ seats: true });

export const listPetrolQuotasQuery = z.object({
  match_id: z.uuid().optional(),
  status: quotaStatus.optional(),
  deferred_payment_status: z.enum(['NO_SALES', 'OPEN', 'SETTLED']).optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('kick-off at or after'),
  to: z.iso.datetime({ offset: true }).optional().describe('kick-off before'),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const listPetrolQuotasResponse = z.object({
  items: z.array(petrolQuotaListItem),
  total: z.number().int(),
  page: z.number().int(),
  limit: z.number().int(),
});

export const petrolQuotaIdParams = z.object({ id: z.uuid() });

export const cancelPetrolQuotaBody = z.object({
  option: z
    .enum(['all_unused', 'unfulfilled_only'])
    .default('all_unused')
    .describe(
      "the quota cancellation's options (E7-F7): all_unused also closes live cashier reservations and the PINs; unfulfilled_only gives back only the free (ALLOCATED) seats",
    ),
});

export const cancelPetrolQuotaResponse = petrolQuotaSchema.extend({
  returned_seats: z.number().int(),
});
