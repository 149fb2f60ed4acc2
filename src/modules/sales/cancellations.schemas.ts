import { z } from 'zod';

/** Schemas of the buyer's self-service cancellation (E9-F8). */

export const cancelTicketsParams = z.object({ id: z.uuid() });

export const cancelTicketsBody = z
  .object({
    ticket_ids: z.array(z.uuid()).min(1).max(10),
    reason: z.string().trim().max(1000).optional(),
  })
  .strict();

export const cancellationSchema = z.object({
  cancellation_request_id: z.uuid(),
  refund_id: z.uuid(),
  order_id: z.uuid(),
  ticket_ids: z.array(z.uuid()),
  refund_amount: z.number().int().describe('cents: the tickets’ price and service fee'),
  status: z.enum(['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED']),
  created_at: z.string(),
});
