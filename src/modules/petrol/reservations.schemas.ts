import { z } from 'zod';
import { pinSchema } from './pins.schemas.ts';

export const pinParams = z.object({
  pin: z.string().max(64).describe('the 5-digit PIN (anything else: 400 PETROL_PIN_MALFORMED)'),
});
export const reservationIdParams = z.object({ id: z.uuid() });

export const reservationSchema = z.object({
  id: z.uuid(),
  pin_id: z.uuid(),
  staff_id: z.uuid(),
  station_id: z.uuid(),
  quota_id: z.uuid(),
  status: z.enum(['RESERVED', 'IDENTITY_VERIFIED', 'COMPLETED', 'CANCELLED', 'EXPIRED']),
  reserved_at: z.string(),
  expires_at: z.string().describe('20 minutes after the lookup'),
  seconds_left: z.number().int(),
  warning: z
    .enum(['FIVE_MINUTES', 'ONE_MINUTE', 'EXPIRED'])
    .nullable()
    .describe('the staff warning to show now: FIVE_MINUTES at ≤ 5 min left, ONE_MINUTE at ≤ 1 min'),
  completed_at: z.string().nullable(),
  cancelled_at: z.string().nullable(),
  cancellation_reason: z.string().nullable(),
  seats: z.array(
    z.object({
      inventory_id: z.uuid(),
      sector_code: z.string(),
      row: z.string(),
      seat_number: z.number().int(),
    }),
  ),
});

export const lookupResponse = z.object({
  pin: pinSchema,
  customer: z.object({ user_id: z.uuid(), email: z.string().nullable() }),
  match: z.object({ id: z.uuid(), name: z.string(), kick_off_time: z.string() }),
  reservation: reservationSchema,
  amount_due: z.number().int().describe('cents to take in cash or by card'),
  currency: z.string(),
});

export const LOOKUP_DESCRIPTION =
  'Shows the customer of a PIN (holders with masked OIB and date of birth, for the identity check) and reserves adjacent seats of the petrol quota for 20 minutes (E12-F2, E12-F3). The same cashier again: the same reservation. Another cashier serving the PIN: 409 PETROL_PIN_RESERVED (two cashiers at once → one reservation). A reservation that lapsed is released and the PIN can be served again while valid. Guessing protection: 5 failed lookups per cashier and 15 per station in 10 minutes, then 429 PETROL_LOOKUP_LIMITED with retry_after_seconds; every failed lookup is logged and audited.';

export const confirmBody = z.object({
  payment_method: z.enum(['CASH', 'CARD']),
  payment_reference: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .describe("the till receipt or card terminal's transaction number"),
  reservation_id: z
    .uuid()
    .optional()
    .describe('the reservation being paid (recommended: refuses a stale screen)'),
  identity_verified: z
    .literal(true)
    .describe("the cashier checked the holders' identity documents"),
});

export const confirmResponse = z.object({
  sale: z.object({
    id: z.uuid(),
    payment_method: z.enum(['CASH', 'CARD']),
    payment_reference: z.string(),
    total_amount: z.number().int(),
    station_id: z.uuid(),
    processed_by: z.uuid(),
    processed_at: z.string(),
  }),
  order: z.object({
    id: z.uuid(),
    order_number: z.string(),
    status: z.string(),
    total_amount: z.number().int(),
  }),
  ticket_ids: z.array(z.uuid()),
  reservation: reservationSchema,
});

export const CONFIRM_DESCRIPTION =
  "After the identity check and the cash or card payment: one transaction creates the order (COMPLETED), its tickets (in the fan's app at once, with a push), the petrol_sales row, and queues the invoice; nothing goes through Stripe. A second confirmation of the PIN: 409 PETROL_PIN_USED (one order per PIN). Another cashier's reservation: 403 PETROL_RESERVATION_NOT_YOURS; a lapsed one: 409 PETROL_RESERVATION_EXPIRED.";

export const cancelReservationBody = z
  .object({ reason: z.string().trim().min(1).max(500).nullable().optional() })
  .default({});

export const myReservationsResponse = z.object({ items: z.array(reservationSchema) });
export const oneReservationResponse = reservationSchema.extend({ order_id: z.uuid().nullable() });
