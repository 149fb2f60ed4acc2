import { z } from 'zod';
import { portalSeat } from './portal.schemas.ts';

export const createSubquotaBody = z
  .object({
    recipient_email: z.email().max(254),
    recipient_name: z.string().trim().min(1).max(200).nullable().optional(),
    internal_note: z.string().max(2000).nullable().optional(),
    quota_seat_ids: z
      .array(z.uuid())
      .min(1)
      .max(1000)
      .refine((ids) => new Set(ids).size === ids.length, 'seat ids must be distinct')
      .optional()
      .describe('the parent seats to pass on (numbered quotas)'),
    quantity: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe('how many free places (the first in snake order)'),
    expires_at: z.iso
      .datetime({ offset: true })
      .nullable()
      .optional()
      .describe(
        "the sub-recipient's claiming deadline; at most the parent's; default the parent's",
      ),
  })
  .refine((b) => (b.quota_seat_ids === undefined) !== (b.quantity === undefined), {
    message: 'give exactly one of quota_seat_ids and quantity',
  });

export const subquotaSchema = z.object({
  id: z.uuid(),
  parent_quota_id: z.uuid(),
  recipient_email: z.string(),
  recipient_name: z.string().nullable(),
  internal_note: z.string().nullable(),
  quantity: z.number().int(),
  status: z.enum(['ALLOCATED', 'RESERVED', 'SOLD', 'EXPIRED', 'CANCELLED', 'RETRACTED']),
  expires_at: z.string().nullable(),
  created_at: z.string(),
  claimed_at: z.string().nullable(),
  retracted_at: z.string().nullable(),
  counts: z.object({
    allocated: z.number().int(),
    reserved: z.number().int(),
    sold: z.number().int(),
  }),
  seats: z.array(portalSeat),
});

export const subquotaList = z.object({ items: z.array(subquotaSchema) });
export const subquotaIdParams = z.object({ id: z.uuid() });
export const retractResponse = subquotaSchema.extend({
  returned_seats: z.number().int().describe('seats back in the parent quota'),
});
