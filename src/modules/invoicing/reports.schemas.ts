import { z } from 'zod';

export const financialReportQuery = z
  .object({
    match_id: z.uuid().optional(),
    from: z.iso.datetime({ offset: true }).describe('paid from (inclusive)'),
    to: z.iso.datetime({ offset: true }).describe('paid before (exclusive)'),
  })
  .refine((q) => new Date(q.from) < new Date(q.to), {
    message: 'from must be before to',
    path: ['to'],
  });

const money = z.number().int().describe('cents');

export const financialReport = z.object({
  match_id: z.uuid().nullable(),
  from: z.string(),
  to: z.string(),
  by_payment_method: z.array(
    z.object({
      method: z
        .enum(['CARD', 'PETROL_CASH', 'PETROL_CARD', 'FREE', 'OTHER'])
        .describe('CARD: Stripe; PETROL_CASH / PETROL_CARD: taken at a petrol station (E12)'),
      orders: z.number().int(),
      amount: money,
      ticket_amount: money,
      fee_amount: money,
      ticket_vat_amount: money,
      fee_vat_amount: money,
    }),
  ),
  totals: z.object({
    orders: z.number().int(),
    amount: money,
    fee_amount: money,
    vat_amount: money,
    refunds: z.number().int(),
    refunded_amount: money,
    net_amount: money.describe('amount − refunded_amount'),
  }),
  deferred_offers: z.array(
    z.object({ status: z.string(), offers: z.number().int(), amount: money }),
  ),
  invoices: z.array(
    z.object({
      order_id: z.uuid(),
      order_number: z.string(),
      total_amount: money,
      e_racuni_status: z.string(),
      e_racuni_number: z.string().nullable(),
      invoice_total: money.nullable(),
    }),
  ),
});
