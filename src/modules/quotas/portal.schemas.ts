import { z } from 'zod';

export const seatCounts = z.object({
  allocated: z.number().int().describe('free in the quota, not delegated'),
  reserved: z.number().int().describe('in a claim in progress'),
  sold: z.number().int().describe('claimed: a ticket exists'),
  delegated: z.number().int().describe('passed on to sub-quotas'),
});

export const portalSeat = z.object({
  quota_seat_id: z.uuid(),
  status: z.enum(['ALLOCATED', 'RESERVED', 'SOLD', 'DELEGATED', 'CANCELLED']),
  sector_code: z.string(),
  row: z.string(),
  seat_number: z.number().int(),
  subquota_id: z.uuid().nullable(),
});

const portalMatch = z.object({ id: z.uuid(), name: z.string(), kick_off_time: z.string() });

export const portalQuota = z.object({
  id: z.uuid(),
  match: portalMatch,
  status: z.enum(['PENDING', 'ACTIVE', 'PAST_DEADLINE', 'CANCELLED', 'FULLY_CLAIMED']),
  allocation_algorithm: z.enum(['NM', 'REDOM']),
  total_quantity: z.number().int(),
  discount_percent: z.number(),
  expiration_date: z.string().nullable(),
  can_create_subquotas: z.boolean(),
  transfer_allowed: z.boolean(),
  deferred_payment: z.boolean(),
  counts: seatCounts,
  seats: z
    .array(portalSeat)
    .nullable()
    .describe('the seat numbers of a numbered (REDOM) allocation; null for NM (a count of places)'),
});

export const portalSubquota = z.object({
  id: z.uuid(),
  parent_quota_id: z.uuid(),
  match: portalMatch,
  status: z.enum(['ALLOCATED', 'RESERVED', 'SOLD', 'EXPIRED', 'CANCELLED', 'RETRACTED']),
  quantity: z.number().int(),
  expires_at: z.string().nullable(),
  counts: seatCounts.omit({ delegated: true }),
  seats: z.array(portalSeat).nullable(),
});

export const dashboardResponse = z.object({
  quotas: z.array(portalQuota),
  subquotas: z.array(portalSubquota).describe('sub-quotas other holders passed on to you'),
});
