import { z } from 'zod';

export const createStationBody = z.object({
  code: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _'),
  name: z.string().trim().min(1).max(200),
  address: z.string().trim().max(500).nullable().optional(),
});

export const stationSchema = z.object({
  id: z.uuid(),
  code: z.string(),
  name: z.string(),
  address: z.string().nullable(),
  is_active: z.boolean(),
  created_at: z.string(),
  staff_count: z.number().int(),
});

export const listStationsResponse = z.object({ items: z.array(stationSchema) });

export const stationIdParams = z.object({ id: z.uuid() });

export const deactivatedStationSchema = stationSchema.extend({
  reservations_released: z.number().int().describe('live reservations given back to the quota'),
});

export const staffRemovalSchema = z.object({
  user_id: z.uuid(),
  station_id: z.uuid(),
  reservations_released: z.number().int().describe('live reservations given back to the quota'),
});

export const stationStaffParams = z.object({ id: z.uuid(), user_id: z.uuid() });

export const staffAssignmentSchema = z.object({
  user_id: z.uuid(),
  station_id: z.uuid(),
  roles: z.array(z.string()).describe("the cashier's granted roles (PETROL_STAFF included)"),
});

export const salesTotalsQuery = z.object({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  match_id: z.uuid().optional(),
  station_id: z.uuid().optional(),
});

const methodTotals = z.object({
  cash_amount: z.number().int().describe('cents'),
  card_amount: z.number().int().describe('cents'),
  sales: z.number().int(),
  tickets: z.number().int(),
});

export const salesTotalsResponse = z.object({
  from: z.string(),
  to: z.string(),
  stations: z.array(
    methodTotals.extend({
      station_id: z.uuid(),
      station_code: z.string(),
      station_name: z.string(),
      staff: z.array(methodTotals.extend({ staff_id: z.uuid(), staff_email: z.string() })),
    }),
  ),
  totals: methodTotals,
});
