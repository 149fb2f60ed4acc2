import { z } from 'zod';
import { holderInput } from '../sales/sales.schemas.ts';

export const selectSeatsBody = z
  .object({
    quota_seat_ids: z
      .array(z.uuid())
      .min(1)
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, 'seat ids must be distinct')
      .optional()
      .describe('numbered (REDOM) quotas: the seats picked from the dashboard'),
    quantity: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe(
        'how many places; the best free seats in snake order are taken (NM, or REDOM without a pick)',
      ),
    subquota_id: z
      .uuid()
      .optional()
      .describe("claiming from a sub-quota passed on to you (the path id is its parent quota's)"),
  })
  .refine((b) => (b.quota_seat_ids === undefined) !== (b.quantity === undefined), {
    message: 'give exactly one of quota_seat_ids and quantity',
  });

export const claimSeat = z.object({
  quota_seat_id: z.uuid(),
  inventory_id: z.uuid(),
  sector_code: z.string(),
  row: z.string(),
  seat_number: z.number().int(),
  status: z.enum(['ALLOCATED', 'RESERVED', 'SOLD', 'DELEGATED', 'CANCELLED']),
});

export const claimSchema = z.object({
  id: z.uuid(),
  quota_id: z.uuid(),
  subquota_id: z.uuid().nullable(),
  status: z.enum(['ACTIVE', 'EXPIRED', 'COMPLETED', 'ABANDONED']),
  payment_status: z.enum(['PENDING', 'DEFERRED', 'PAID', 'FREE']),
  expires_at: z.string().nullable(),
  seats: z.array(claimSeat),
  holders: z
    .array(
      z.object({ full_name: z.string(), is_minor: z.boolean(), oib_masked: z.string().nullable() }),
    )
    .nullable(),
  subtotal: z.number().int().describe('cents, after the quota discount'),
  service_fee: z.number().int(),
  total: z.number().int(),
  order_id: z.uuid().nullable(),
  ticket_ids: z.array(z.uuid()),
});

export const claimHoldersBody = z.object({
  claim_id: z.uuid(),
  holders: z.array(holderInput).min(1).max(100),
});

export const claimPaymentBody = z.object({ claim_id: z.uuid() });

export const claimPaymentResponse = claimSchema.extend({
  payment: z
    .object({
      payment_intent_id: z.string(),
      client_secret: z.string(),
      amount: z.number().int(),
      currency: z.string(),
    })
    .nullable()
    .describe('the Stripe PaymentIntent to confirm; null when free or deferred'),
});
