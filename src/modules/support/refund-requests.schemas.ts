import { z } from 'zod';
import { refundSchema } from '../sales/refunds.schemas.ts';
import { requesterFields } from './transfer.schemas.ts';

/** Schemas of the support refund requests (E10-F3); they feed the OpenAPI document. */

export const idParams = z.object({ id: z.uuid() });

export const refundRequestBody = z
  .object({
    ...requesterFields,
    ticket_ids: z
      .array(z.uuid())
      .min(1)
      .max(100)
      .optional()
      .describe('the tickets to refund; omitted: every ticket of the order still valid'),
    reason: z
      .string()
      .trim()
      .min(3)
      .max(1000)
      .optional()
      .describe('required less than 48 h before kick-off (400 REFUND_REASON_REQUIRED)'),
  })
  .strict();

export const refundRequestResponse = z.object({
  id: z.uuid().describe('the support refund request'),
  order_id: z.uuid(),
  agent_id: z.uuid(),
  within_48h: z.boolean(),
  requires_supervisor: z
    .boolean()
    .describe('less than 48 h and above the threshold: a SUPPORT_SUPERVISOR approves'),
  refund: refundSchema,
  created_at: z.string(),
});

export const rejectBody = z.object({ reason: z.string().trim().min(3).max(1000) }).strict();
