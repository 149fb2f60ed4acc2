import { z } from 'zod';

const filters = {
  from: z.iso.datetime({ offset: true }).optional().describe('blocked_at ≥ from'),
  to: z.iso.datetime({ offset: true }).optional().describe('blocked_at < to'),
  match_id: z.uuid().optional(),
  blacklist_id: z.uuid().optional(),
  action_type: z.enum(['PURCHASE_ATTEMPT', 'TRANSFER_ATTEMPT']).optional(),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  format: z.enum(['json', 'csv']).default('json').describe('csv: a download of every match'),
};

export const violationsQuery = z.object(filters);

/** The OIB filter travels in the body, so it is in no URL and no access log. */
export const violationsSearchBody = z.object({
  ...filters,
  oib: z
    .string()
    .regex(/^\d{11}$/, '11 digits')
    .optional(),
});

export const violationSchema = z.object({
  id: z.uuid(),
  blocked_at: z.string(),
  action_type: z.enum(['PURCHASE_ATTEMPT', 'TRANSFER_ATTEMPT']),
  oib: z.string().describe('masked (last 4 digits) unless the role may see OIBs'),
  oib_masked: z.boolean(),
  blacklist_id: z.uuid().nullable(),
  person: z.string().nullable().describe("the entry's name"),
  match_id: z.uuid().nullable(),
  match_name: z.string().nullable(),
  user_id: z.uuid().nullable(),
  user_email: z.string().nullable(),
  ip_address: z.string().nullable(),
  user_agent: z.string().nullable(),
});

export const violationsResponse = z.object({
  items: z.array(violationSchema),
  total: z.number().int(),
  page: z.number().int(),
  limit: z.number().int(),
});

export const VIOLATIONS_DESCRIPTION =
  'E11-F5: the blocked purchase and transfer attempts of blacklisted people, newest first, filtered by date range (blocked_at in [from, to)), match, entry and action; paginated, or ?format=csv for all of them as a CSV file. OIBs are masked to their last 4 digits except for SUPPORT_SUPERVISOR (and SUPER_ADMIN), who see the entry’s OIB. To filter by OIB use POST /admin/blacklist/violations/search (the OIB stays out of URLs and logs).';
