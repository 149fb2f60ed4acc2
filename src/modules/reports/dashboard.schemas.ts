import { z } from 'zod';
import { SEAT_STATUSES } from '../inventory/seat-status.ts';

const cents = z.number().int().describe('euro cents');
const count = z.number().int();
const rate = z.number().min(0).max(1).nullable().describe('0…1; null before any payment decided');

export const dashboardParams = z.object({ id: z.uuid() });

const reserved = z.object({
  carts: count.describe('Seats held in carts'),
  orders: count.describe('Seats held by orders in payment'),
  quota: count.describe('Seats held in a quota portal, or allocated to a quota'),
  petrol: count.describe('Seats held at a petrol station'),
  total: count,
});

const statusCounts = z.object(
  Object.fromEntries(SEAT_STATUSES.map((s) => [s, count])) as Record<
    (typeof SEAT_STATUSES)[number],
    typeof count
  >,
);

export const dashboardSnapshot = z.object({
  match_id: z.uuid(),
  computed_at: z.string(),
  match: z.object({
    home_team: z.string(),
    away_team: z.string(),
    kick_off_time: z.string(),
    status: z.string(),
  }),
  totals: z.object({
    seats: count,
    sold: count.describe('Seats with a ticket (inventory SOLD)'),
    available: count.describe('Seats a buyer can take now (expired holds included)'),
    reserved,
    other: count.describe('Blocked, technical, official, maintenance, quarantined, inactive'),
    revenue: cents.describe('Paid minus refunded, orders that completed'),
    refunded: cents,
    orders_completed: count,
  }),
  by_status: statusCounts,
  sectors: z.array(
    z.object({
      match_sector_id: z.uuid(),
      code: z.string(),
      name: z.string(),
      seats: count,
      counts: statusCounts,
      reserved,
    }),
  ),
  pace: z.object({
    orders_per_minute: z.number().describe('Completed orders per minute, last 5 minutes'),
    last_hour: z.array(z.object({ minute: z.string(), orders: count, tickets: count })),
  }),
  payments: z.object({
    succeeded: count,
    failed: count,
    success_rate: rate,
    failure_rate: rate,
    last_15_minutes: z.object({ succeeded: count, failed: count, success_rate: rate }),
  }),
  queue: z.object({
    enabled: z.boolean(),
    open: z.boolean(),
    waiting: count.describe('Fans in the waiting room'),
    active: count.describe('Admitted fans with an open purchase window'),
    admitted_per_minute: z.number().nullable().describe('Measured over the last 5 minutes'),
    total_admitted: count,
  }),
});
export type DashboardSnapshot = z.infer<typeof dashboardSnapshot>;
