import { z } from 'zod';
import { text } from './matches.schemas.ts';

/** Match cancellation (E2-F7): the request and the report. */

export const cancelMatchBody = z
  .object({ reason: text(1000).describe('Why the match is cancelled; fans are told it') })
  .strict();

export const reportQuery = z.object({
  format: z
    .enum(['json', 'csv'])
    .optional()
    .describe('csv: the report as text/csv (also with Accept: text/csv)'),
});

const delivery = z.object({ sent: z.number(), failed: z.number(), queued: z.number() });

export const cancellationReportOut = z.object({
  match_id: z.uuid(),
  status: z
    .enum(['RUNNING', 'DONE'])
    .describe('DONE once every order is refunded and everyone told'),
  reason: z.string(),
  previous_status: z.string(),
  cancelled_by: z.uuid().nullable(),
  cancelled_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  released_seats: z.number(),
  cancelled_orders: z.number(),
  queue_removed: z.number(),
  tickets: z.object({
    cancelled: z.number(),
    still_valid: z.number(),
    by_status: z.record(z.string(), z.number()),
  }),
  refunds: z.object({
    orders_total: z.number().nullable(),
    count: z.number(),
    amount: z.number().describe('cents'),
    fee_amount: z.number().describe('cents: the service fees included in the amount'),
    by_status: z.array(z.object({ status: z.string(), count: z.number(), amount: z.number() })),
  }),
  notifications: z.object({
    people: z.number(),
    told: z.number(),
    emails: delivery,
    pushes: delivery,
  }),
});
