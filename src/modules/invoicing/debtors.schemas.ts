import { z } from 'zod';

const oib = z
  .string()
  .regex(/^\d{11}$/, '11 digits')
  .describe('OIB, checksum-validated (ISO 7064 MOD 11,10)');

export const debtorSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  oib: z.string(),
  address: z.string().nullable(),
  email: z.string().nullable(),
  payment_terms_days: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const createDebtorBody = z.object({
  name: z.string().trim().min(1).max(200),
  oib,
  address: z.string().trim().max(500).nullable().optional(),
  email: z.email().max(320).nullable().optional(),
  payment_terms_days: z.number().int().min(0).max(365).default(30),
});

export const updateDebtorBody = createDebtorBody
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });

export const listDebtorsQuery = z.object({
  q: z.string().trim().max(200).optional().describe('name or OIB contains'),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const listDebtorsResponse = z.object({
  items: z.array(debtorSchema),
  total: z.number().int(),
  page: z.number().int(),
  limit: z.number().int(),
});

export type CreateDebtor = z.infer<typeof createDebtorBody>;
export type UpdateDebtor = z.infer<typeof updateDebtorBody>;
