import { z } from 'zod';
import { TICKET_TYPES } from './reports.rules.ts';

const cents = z.number().int().describe('euro cents');
const dateOrInstant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .describe('A calendar day in Croatia (YYYY-MM-DD, the whole day) or an ISO 8601 instant');

/** The filters of the sales report and its exports (E14-F1). */
export const salesFilters = z.object({
  match_id: z.uuid().optional(),
  date_from: dateOrInstant.optional().describe('Sold at or after (orders.completed_at)'),
  date_to: dateOrInstant.optional().describe('Sold at or before; a day includes all of it'),
  ticket_type: z
    .enum(TICKET_TYPES)
    .optional()
    .describe(
      'public (general sale), loyalty (LOYALTY phase), quota (quota claims and QUOTA_ONLY ' +
        'phases), petrol (petrol stations: none until those sales exist)',
    ),
  sector: z.string().min(1).max(40).optional().describe('A match sector code, e.g. "A1"'),
});
export type SalesFiltersIn = z.infer<typeof salesFilters>;

const group = z.object({
  key: z.string(),
  label: z.string(),
  tickets: z.number().int(),
  gross_amount: cents,
});

export const salesLine = z.object({
  order_number: z.string(),
  order_id: z.uuid(),
  completed_at: z.string(),
  match_id: z.uuid(),
  match_name: z.string(),
  ticket_type: z.enum(TICKET_TYPES),
  phase_name: z.string().nullable(),
  sector_code: z.string(),
  sector_name: z.string(),
  row_identifier: z.string(),
  seat_number: z.number().int(),
  ticket_id: z.uuid().nullable(),
  ticket_status: z.string().nullable(),
  holder_name: z.string(),
  unit_price: cents,
  fee_amount: cents,
  vat_amount: cents,
  line_total: cents,
  order_status: z.string(),
  order_refunded_amount: cents,
});

export const salesReport = z.object({
  filters: salesFilters,
  currency: z.literal('EUR'),
  totals: z.object({
    orders: z.number().int(),
    tickets: z.number().int(),
    ticket_amount: cents,
    fee_amount: cents,
    gross_amount: cents.describe('ticket_amount + fee_amount: what the buyers paid'),
    vat_amount: cents.describe('VAT included in gross_amount'),
    refunded_amount: cents,
    net_revenue: cents.describe('gross_amount − refunded_amount'),
  }),
  by_ticket_type: z.array(group),
  by_sector: z.array(group),
  preview: z.array(salesLine).describe('The first 50 lines, in the order they were sold'),
  preview_limit: z.number().int(),
  total_rows: z.number().int().describe('Lines in scope (the full export has them all)'),
});
export type SalesReport = z.infer<typeof salesReport>;
