import { z } from 'zod';

/** Schemas of the staff refunds (E8-F3); they feed the OpenAPI document. */

const REFUND_STATUSES = [
  'PENDING',
  'PENDING_APPROVAL',
  'APPROVED',
  'PROCESSING',
  'COMPLETED',
  'FAILED',
  'REJECTED',
] as const;
const REFUND_SOURCES = ['SELF_SERVICE', 'SUPPORT', 'SYSTEM'] as const;

export const refundParams = z.object({ id: z.uuid() });

export const adminRefundBody = z
  .object({
    ticket_ids: z
      .array(z.uuid())
      .min(1)
      .max(100)
      .optional()
      .describe('the tickets to refund; omitted: every ticket of the order still valid'),
    reason: z.string().trim().min(3).max(1000),
  })
  .strict();

export const rejectRefundBody = z.object({ reason: z.string().trim().min(3).max(1000) }).strict();

export const refundSchema = z.object({
  id: z.uuid(),
  order_id: z.uuid(),
  ticket_ids: z.array(z.uuid()),
  payment_id: z.uuid(),
  stripe_refund_id: z.string().nullable(),
  refund_amount: z.number().int().describe('cents given back'),
  fee_retained: z.number().int().describe('service fee kept, cents'),
  source: z.enum(REFUND_SOURCES),
  reason: z.string(),
  status: z.enum(REFUND_STATUSES),
  attempt: z.number().int().describe('Stripe attempt; an admin retry of a FAILED refund adds one'),
  failure_reason: z.string().nullable(),
  requested_by: z.uuid().nullable(),
  approved_by: z.uuid().nullable(),
  rejected_by: z.uuid().nullable(),
  created_at: z.string(),
  decided_at: z.string().nullable(),
  completed_at: z.string().nullable(),
});

export const listRefundsQuery = z.object({
  status: z.enum(REFUND_STATUSES).optional(),
  source: z.enum(REFUND_SOURCES).optional(),
  order_id: z.uuid().optional(),
  match_id: z.uuid().optional(),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const listRefundsResponse = z.object({
  items: z.array(refundSchema.extend({ order_number: z.string(), match_id: z.uuid() })),
  total: z.number().int(),
  page: z.number().int(),
  limit: z.number().int(),
});
