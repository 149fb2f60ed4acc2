import { z } from 'zod';

/** Schemas of the ticket lookup (E10-F1); they feed the OpenAPI document. */

const TICKET_STATUSES = [
  'SOLD',
  'ATTENDED',
  'CANCELLED',
  'CANCELLED_BLACKLIST',
  'CANCELLED_MATCH_CANCELLED',
  'REFUNDED',
  'TRANSFERRED',
] as const;

/**
 * All criteria in the body, none in the URL: OIB, email and phone are personal data, and
 * the access log writes every request's URL (query string included).
 */
export const searchBody = z
  .object({
    oib: z
      .string()
      .regex(/^\d{11}$/, '11 digits')
      .optional()
      .describe('the holder’s or the buyer’s OIB (found through its blind index)'),
    order_number: z.string().trim().min(1).max(40).optional(),
    email: z.email().max(254).optional().describe('the buyer’s account, profile or a holder'),
    phone: z
      .string()
      .trim()
      .regex(/^[+\d][\d\s()/-]{5,24}$/, 'a phone number')
      .optional()
      .describe('the buyer’s profile or a holder; spaces and a national 0 prefix are fine'),
    match_id: z.uuid().optional(),
    barcode: z
      .string()
      .regex(/^\d{6,32}$/, 'digits')
      .optional(),
    page: z.number().int().min(1).max(10_000).default(1),
    limit: z.number().int().min(1).max(100).default(20),
  })
  .strict();

const transferEntry = z.object({
  id: z.uuid(),
  transfer_type: z.enum(['SELF_SERVICE', 'SUPPORT']),
  from_holder_name: z.string(),
  to_holder_name: z.string(),
  initiated_by: z.uuid().nullable(),
  reason: z.string().nullable(),
  transferred_at: z.string(),
});

const printEntry = z.object({
  id: z.uuid(),
  print_number: z.number().int(),
  agent_id: z.uuid(),
  reason: z.string(),
  layout: z.string(),
  print_location: z.string(),
  verification_document_type: z.string(),
  printed_at: z.string(),
});

const refundEntry = z.object({
  id: z.uuid(),
  status: z.string(),
  source: z.string(),
  refund_amount: z.number().int().describe('cents, the whole refund (it may cover more tickets)'),
  ticket_amount: z.number().int().describe('cents of this ticket'),
  reason: z.string(),
  created_at: z.string(),
  completed_at: z.string().nullable(),
});

export const searchResult = z.object({
  ticket: z.object({
    id: z.uuid(),
    status: z.enum(TICKET_STATUSES),
    barcode: z.string().describe('the current barcode; earlier ones no longer admit'),
    price_amount: z.number().int(),
    fee_amount: z.number().int(),
    created_at: z.string(),
  }),
  order: z.object({
    id: z.uuid(),
    order_number: z.string(),
    status: z.string(),
    refund_status: z.string(),
    total_amount: z.number().int(),
    created_at: z.string(),
    buyer: z.object({
      user_id: z.uuid(),
      email: z.string(),
      full_name: z.string().nullable(),
      phone: z.string().nullable(),
    }),
  }),
  owner_user_id: z.uuid().describe('the account the ticket is in now (a transfer moves it)'),
  match: z.object({
    id: z.uuid(),
    home_team: z.string(),
    away_team: z.string(),
    kick_off_time: z.string(),
  }),
  seat: z.object({
    sector_code: z.string(),
    sector_name: z.string(),
    row: z.string(),
    seat_number: z.number().int(),
  }),
  holder: z
    .object({
      full_name: z.string(),
      oib_masked: z.string().nullable(),
      email: z.string().nullable(),
      phone: z.string().nullable(),
      is_minor: z.boolean(),
    })
    .nullable(),
  history: z.object({
    transfers: z.array(transferEntry),
    prints: z.array(printEntry),
    refunds: z.array(refundEntry),
  }),
});

export const searchResponse = z.object({
  items: z.array(searchResult),
  total: z.number().int(),
  page: z.number().int(),
  limit: z.number().int(),
});
