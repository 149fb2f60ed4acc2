import { z } from 'zod';
import { affectedSchema } from './auto-cancel.schemas.ts';

const date = z.iso.date();

export const entrySchema = z.object({
  id: z.uuid(),
  oib_masked: z.string().describe('only the last 4 digits'),
  first_name: z.string(),
  last_name: z.string(),
  date_of_birth: date.nullable(),
  status: z.enum(['ACTIVE', 'REMOVED']),
  source: z.string(),
  notes: z.string().nullable(),
  created_at: z.string(),
  removed_at: z.string().nullable(),
  removal_reason: z.string().nullable(),
});

export const createdEntrySchema = entrySchema.extend({ affected: affectedSchema });

export const createEntryBody = z.object({
  oib: z.string().regex(/^\d{11}$/, '11 digits'),
  first_name: z.string().trim().min(1).max(100),
  last_name: z.string().trim().min(1).max(100),
  date_of_birth: date.nullable().optional(),
  notes: z.string().max(2000).nullable().optional(),
});

export const removeEntryBody = z.object({ reason: z.string().trim().min(3).max(2000) });

export const listQuery = z.object({
  status: z.enum(['ACTIVE', 'REMOVED']).optional(),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const listResponse = z.object({
  items: z.array(entrySchema),
  total: z.number().int(),
  page: z.number().int(),
  limit: z.number().int(),
});

export const checkQuery = z.object({ oib: z.string().regex(/^\d{11}$/, '11 digits') });

export const checkResponse = z.object({
  is_blacklisted: z.boolean(),
  message: z.object({ hr: z.string(), en: z.string() }).nullable(),
});
