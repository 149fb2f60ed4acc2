import { z } from 'zod';

export const OFFER_STATUSES = ['DRAFT', 'SENT', 'PAID', 'OVERDUE', 'CANCELLED'] as const;

export const offerSchema = z.object({
  id: z.uuid(),
  debtor_id: z.uuid(),
  status: z.enum(OFFER_STATUSES),
  orders: z.array(z.uuid()),
  total_amount: z.number().int().describe('cents'),
  currency: z.string(),
  due_date: z.string().describe('YYYY-MM-DD: the debtor’s payment terms from today (Zagreb)'),
  e_racuni_id: z.string().nullable(),
  e_racuni_reference: z.string().nullable().describe('the offer’s number at e-računi'),
  created_by: z.uuid().nullable(),
  created_at: z.string(),
  sent_at: z.string().nullable(),
  paid_at: z.string().nullable(),
  cancelled_at: z.string().nullable(),
  overdue_at: z.string().nullable(),
  send_error: z
    .string()
    .nullable()
    .optional()
    .describe('why e-računi has not got it yet (DRAFT): POST …/send retries'),
});

export const createOfferBody = z.object({
  debtor_id: z.uuid(),
  order_ids: z
    .array(z.uuid())
    .min(1)
    .max(500)
    .refine((ids) => new Set(ids).size === ids.length, { message: 'order ids must be distinct' }),
});

export const listOffersQuery = z.object({
  status: z.enum(OFFER_STATUSES).optional(),
  debtor_id: z.uuid().optional(),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const listOffersResponse = z.object({
  items: z.array(offerSchema),
  total: z.number().int(),
  page: z.number().int(),
  limit: z.number().int(),
});
