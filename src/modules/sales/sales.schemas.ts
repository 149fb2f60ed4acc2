import { z } from 'zod';
import { seatSchema, visibilitySchema } from '../tickets/tickets.schemas.ts';

const cents = z.number().int().describe('euro cents');

export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

const priceCategoryPreview = z.object({
  price_category_id: z.uuid(),
  name: z.string(),
  regular_price: cents,
  presale_price: cents,
  current_price: cents,
  currency: z.string(),
});

export const matchListResponse = z.object({
  items: z.array(
    z.object({
      id: z.uuid(),
      home_team: z.string(),
      away_team: z.string(),
      competition: z.string(),
      kick_off_time: z.string(),
      match_type: z.enum(['HOME', 'AWAY']),
      venue: z.object({ name: z.string(), city: z.string().nullable() }).nullable(),
      sale_status: z.enum(['not_on_sale', 'on_sale', 'sold_out']),
      next_sale_start: z.string().nullable(),
      is_presale: z.boolean(),
      price_preview: z.object({
        presale_from: cents.nullable(),
        regular_from: cents.nullable(),
        categories: z.array(priceCategoryPreview),
      }),
    }),
  ),
  total: z.number().int(),
  page: z.number().int(),
  limit: z.number().int(),
});

export const zonesResponse = z.object({
  match_id: z.uuid(),
  on_sale: z.boolean(),
  phase_type: z
    .enum(['LOYALTY', 'GENERAL_PUBLIC'])
    .nullable()
    .describe('the sales phase open now (null: not on sale)'),
  is_presale: z.boolean(),
  fan_remaining: z
    .number()
    .int()
    .describe(
      'tickets the caller may still buy (4 without a token); in a LOYALTY phase the ' +
        "caller's tier limit, 0 without a tier",
    ),
  loyalty: z
    .object({
      tiers: z.array(z.object({ min_points: z.number().int(), ticket_limit: z.number().int() })),
      balance: z.number().int().nullable().describe("the caller's points (null without a token)"),
      tier: z
        .object({ min_points: z.number().int(), ticket_limit: z.number().int() })
        .nullable()
        .describe('the highest tier the balance reaches'),
      eligible: z.boolean().nullable(),
    })
    .nullable()
    .describe('LOYALTY phase only (E6-F2)'),
  zones: z.array(
    z.object({
      id: z.uuid().describe('match sector id: pass as match_sector_id to POST /cart/add'),
      name: z.string(),
      code: z.string(),
      price_category_id: z.uuid(),
      price_category_name: z.string(),
      regular_price: cents,
      presale_price: cents,
      price: cents.describe('what a seat costs now (pre-sale before match day)'),
      currency: z.string(),
      available: z.number().int(),
      max_quantity: z
        .number()
        .int()
        .describe('min(4, available, what the fan may still buy; the loyalty tier limit)'),
    }),
  ),
});

export const addToCartBody = z.object({
  match_id: z.uuid(),
  match_sector_id: z.uuid().describe('the zone'),
  quantity: z.number().int().min(1).max(4),
});

export const cartSchema = z.object({
  id: z.uuid(),
  match_id: z.uuid(),
  match_name: z.string(),
  expires_at: z.string(),
  remaining_seconds: z.number().int(),
  is_presale: z.boolean(),
  seats: z.array(
    z.object({
      inventory_id: z.uuid(),
      match_sector_id: z.uuid(),
      sector_code: z.string(),
      sector_name: z.string(),
      row: z.string(),
      seat_number: z.number().int(),
      price: cents,
    }),
  ),
  ticket_amount: cents,
  fee_amount: cents,
  total_amount: cents,
  currency: z.literal('EUR'),
});

export const addToCartResponse = z.object({
  cart: cartSchema,
  added: z.array(z.uuid()),
  warnings: z.array(z.string()),
});

export const cartsResponse = z.object({ carts: z.array(cartSchema) });

export const clearCartQuery = z.object({ match_id: z.uuid().optional() });
export const clearCartResponse = z.object({ released_seats: z.number().int() });

const date = z.iso.date();

export const holderInput = z.discriminatedUnion('source', [
  z.object({ source: z.literal('DEFAULT_PROFILE') }).loose(),
  z.object({ source: z.literal('SAVED_PROFILE'), profile_id: z.string() }),
  z.object({
    source: z.literal('MANUAL_ENTRY'),
    full_name: z.string().trim().min(2).max(200),
    date_of_birth: date,
    nationality: z.string().regex(/^[A-Za-z]{2}$/, 'ISO 3166-1 alpha-2'),
    oib: z
      .string()
      .regex(/^\d{11}$/, '11 digits')
      .nullable()
      .optional(),
    passport_number: z.string().trim().min(5).max(20).nullable().optional(),
    email: z.email().nullable().optional(),
    phone: z.string().max(30).nullable().optional(),
  }),
]);

export const ticketHoldersBody = z.object({
  cart_id: z.uuid(),
  holders: z.array(holderInput).min(1).max(4),
});

/** An order's money, in integer cents (E8-F2), as every order view shows it. */
const orderAmounts = {
  ticket_amount: cents,
  ticket_vat_amount: cents,
  fee_amount: cents,
  fee_vat_amount: cents,
  total_amount: cents,
  currency: z.string(),
};

export const orderSchema = z.object({
  id: z.uuid(),
  order_number: z.string(),
  status: z.string(),
  match_id: z.uuid(),
  is_presale: z.boolean(),
  ...orderAmounts,
  items: z.array(
    z.object({
      position: z.number().int(),
      inventory_id: z.uuid(),
      unit_price: cents,
      fee_amount: cents,
      holder: z.object({
        full_name: z.string(),
        is_minor: z.boolean(),
        source: z.string(),
        email: z.string().nullable(),
        oib_masked: z.string().nullable(),
      }),
    }),
  ),
});

const orderSummary = z.object({
  id: z.uuid(),
  order_number: z.string(),
  status: z.enum([
    'PENDING',
    'PAYMENT_PENDING',
    'PAYMENT_FAILED',
    'DEFERRED',
    'COMPLETED',
    'CANCELLED',
    'REFUNDED',
  ]),
  match: z.object({
    id: z.uuid(),
    home_team: z.string(),
    away_team: z.string(),
    competition: z.string(),
    kick_off_time: z.string(),
    match_type: z.enum(['HOME', 'AWAY']),
  }),
  seat_count: z.number().int(),
  is_presale: z.boolean(),
  ...orderAmounts,
  ticket_ids: z
    .array(z.uuid())
    .describe('tickets issued for the order (GET /users/me/tickets/{id})'),
  created_at: z.string(),
  completed_at: z.string().nullable(),
  cancelled_at: z.string().nullable(),
  cancellation_reason: z.string().nullable(),
});

export const ordersResponse = z.object({
  items: z.array(orderSummary),
  total: z.number().int(),
  page: z.number().int(),
  limit: z.number().int(),
});

export const orderDetailResponse = orderSummary.extend({
  items: orderSchema.shape.items,
  tickets: z
    .array(
      z.object({
        id: z.uuid(),
        status: z.string(),
        seat: seatSchema,
        holder_name: z.string().nullable(),
        price_amount: cents,
        fee_amount: cents,
        owned_by_buyer: z.boolean().describe('false once the ticket was transferred away'),
        visibility: visibilitySchema,
      }),
    )
    .describe(
      "the order's tickets with status; barcode and QR only on GET /tickets/{id}, to the owner",
    ),
  refund_status: z
    .enum(['NONE', 'PARTIAL', 'FULL'])
    .describe('what has been given back: NONE, PARTIAL or FULL (E8-F3, E9-F8)'),
  refunded_amount: cents.describe('refunded so far, in cents'),
  invoice_url: z
    .string()
    .nullable()
    .describe('the invoice PDF at e-računi; null until the invoice is issued (invoicing)'),
  payment: z
    .object({
      status: z.enum(['PENDING', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
      amount: cents,
      completed_at: z.string().nullable(),
      refunded_at: z.string().nullable(),
    })
    .nullable(),
});

export const orderIdParams = z.object({ id: z.uuid() });

export const payBody = z.object({ order_id: z.uuid() });
/** Cart additions and payments: a retry with the same key repeats nothing. */
export const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(8).max(255).optional(),
});
export const payResponse = z.object({
  order_id: z.uuid(),
  order_number: z.string(),
  payment_intent_id: z.string(),
  client_secret: z.string(),
  amount: cents,
  currency: z.string(),
  hold_expires_at: z.string(),
});
