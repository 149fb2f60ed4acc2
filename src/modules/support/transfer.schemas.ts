import { z } from 'zod';

/** Schemas of the support transfer (E10-F2); they feed the OpenAPI document. */

export const ticketParams = z.object({ id: z.uuid() });

/** Who called the desk: checked against the ticket's owner and holder. */
export const requesterFields = {
  requested_by_name: z.string().trim().min(2).max(200),
  requested_by_contact: z
    .string()
    .trim()
    .min(5)
    .max(254)
    .describe('the requester’s email or phone, as the owner or holder gave it when buying'),
};

export const supportTransferBody = z
  .object({
    ...requesterFields,
    new_holder_name: z.string().trim().min(2).max(200),
    new_holder_oib: z.string().regex(/^\d{11}$/, '11 digits'),
    new_holder_email: z.email().max(254).describe('must be an account: the ticket moves there'),
    new_holder_date_of_birth: z.iso.date(),
    new_holder_nationality: z.string().regex(/^[A-Za-z]{2}$/, 'ISO 3166-1 alpha-2'),
    reason: z.string().trim().min(3).max(1000),
  })
  .strict();

export const supportTransferResponse = z.object({
  id: z.uuid().describe('the support_transfer_requests row'),
  status: z.enum(['PENDING', 'APPROVED', 'REJECTED', 'COMPLETED']),
  ticket_id: z.uuid(),
  transfer_id: z.uuid().describe('the transfer_logs row'),
  agent_id: z.uuid(),
  reason: z.string(),
  new_holder: z.object({
    full_name: z.string(),
    oib_masked: z.string(),
    email: z.string(),
    is_minor: z.boolean(),
  }),
  created_at: z.string(),
  completed_at: z.string(),
});
