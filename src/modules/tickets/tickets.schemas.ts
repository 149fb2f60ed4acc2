import { z } from 'zod';
import { VISIBILITY_TIERS } from './tickets.rules.ts';

/** The fan's view of a ticket (E9-F1, E9-F2); the order details reuse seat and visibility. */

/** A ticket's seat; null while the ticket is in its ORDER_INFO tier (E9-F2). */
export const seatSchema = z
  .object({
    sector_code: z.string(),
    sector_name: z.string(),
    row: z.string(),
    seat_number: z.number().int(),
  })
  .nullable()
  .describe('null until 4 days before kick-off (visibility.seat_visible_at)');

/** When a ticket's hidden fields appear (E9-F2). */
export const visibilitySchema = z
  .object({
    tier: z
      .enum(VISIBILITY_TIERS)
      .describe(
        'ORDER_INFO: more than 4 days before kick-off (no seat, no codes); SEAT: from 4 days ' +
          'to 5 hours before (the seat); FULL: from 5 hours before (seat, barcode and QR)',
      ),
    seat_visible_at: z.string().describe('kick-off − 4 days: the seat is shown from then'),
    qr_opens_at: z.string().describe('kick-off − 5 hours: barcode and QR are shown from then'),
  })
  .describe('what the ticket shows now, and from when the rest (E9-F2)');

export const ticketSchema = z.object({
  id: z.uuid(),
  order_id: z.uuid(),
  order_number: z.string(),
  match: z.object({
    id: z.uuid(),
    home_team: z.string(),
    away_team: z.string(),
    competition: z.string(),
    kick_off_time: z.string(),
  }),
  seat: seatSchema,
  status: z.string(),
  barcode: z
    .string()
    .nullable()
    .describe('null until 5 hours before kick-off, and for a ticket that no longer admits'),
  qr_code_data: z
    .string()
    .nullable()
    .describe('signed payload encoded in the QR code; null whenever barcode is'),
  visibility: visibilitySchema,
  external_ticket_required: z
    .boolean()
    .describe("admitted by the host federation's PDF (away match, E9-F6): no barcode or QR here"),
  external_pdf_url: z.string().nullable().describe('where the owner downloads the host PDF'),
  price_amount: z.number().int(),
  fee_amount: z.number().int(),
  transfer_allowed: z.boolean(),
  holder: z
    .object({ full_name: z.string(), is_minor: z.boolean(), oib_masked: z.string().nullable() })
    .nullable(),
  created_at: z.string(),
});
