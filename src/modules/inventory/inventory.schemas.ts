import { z } from 'zod';
import { ADMIN_STATUSES, SEAT_STATUSES } from './seat-status.ts';

/** Request and response schemas of the inventory module (they feed OpenAPI). */

export const id = z.uuid();
export const instant = z.iso.datetime({ offset: true });
export const seatStatus = z.enum(SEAT_STATUSES);
export const reason = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .describe('Why the status changes (audited)');

/**
 * A multi-value status filter: `?status=SOLD&status=BLOCKED` or `?status=SOLD,BLOCKED`.
 * The union keeps the OpenAPI input type describable (no preprocess step).
 */
const statusList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) =>
    (Array.isArray(v) ? v : [v])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(seatStatus).min(1))
  .describe('One or more statuses (repeat the parameter or separate with commas)');

export const pageQuery = {
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
};

// Seat rows ----------------------------------------------------------------------------------

export const holdOut = z
  .object({
    kind: z.enum(['CART', 'QUOTA', 'PETROL', 'ORDER']),
    owner_id: id,
    held_until: instant.nullable(),
  })
  .describe('The live hold on a RESERVED seat (absent once the hold has expired)');

export const seatOut = z.object({
  id: id.describe('match_seat_inventory id'),
  match_id: id,
  seat_id: id,
  match_sector_id: id,
  sector_code: z.string(),
  sector_name: z.string(),
  row_identifier: z.string(),
  seat_number: z.number().int(),
  seat_type: z.enum(['STANDARD', 'TECHNICAL', 'ACCESSIBILITY', 'COMPANION']),
  status: seatStatus.describe('What the seat shows now: an expired hold shows AVAILABLE'),
  color: z.string().describe('Display colour of the status'),
  held: z.boolean().describe('RESERVED by a live hold (cart, quota portal, petrol, order)'),
  hold: holdOut.nullable(),
  coordinates: z
    .object({ row_index: z.number().int(), col_index: z.number().int() })
    .describe("The seat's cell in its sector's seat map"),
  snake_order: z.number().int(),
  version: z.number().int().describe('Optimistic concurrency version of the inventory row'),
  last_modified_by: id.nullable(),
  last_modified_at: instant,
});
export type SeatOut = z.infer<typeof seatOut>;

export const ticketOut = z.object({
  ticket_id: id,
  ticket_status: z.string(),
  order_id: id,
  order_number: z.string(),
  holder_full_name: z.string().nullable(),
  holder_email: z.string().nullable(),
  purchaser_email: z.string(),
});

export const seatPage = z.object({
  items: z.array(seatOut),
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
});

// E3-F2: single status change ------------------------------------------------------------------

export const seatIdParams = z.object({ id: id.describe('match_seat_inventory id') });

export const changeStatusBody = z
  .object({
    status: seatStatus.describe(
      `Target status; staff may set ${ADMIN_STATUSES.join(', ')} (see the transition matrix)`,
    ),
    reason,
    version: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Expected version (optimistic check); 409 SEAT_VERSION_CONFLICT when it moved on'),
  })
  .strict();
export type ChangeStatusBody = z.infer<typeof changeStatusBody>;

export const warningOut = z.object({
  code: z.string(),
  message: z.string(),
  hold: holdOut.optional(),
});
export type WarningOut = z.infer<typeof warningOut>;

export const changeStatusOut = z.object({
  seat: seatOut,
  from_status: seatStatus,
  to_status: seatStatus,
  warnings: z.array(warningOut),
});

// E3-F4: search ------------------------------------------------------------------------------

export const searchQuery = z
  .object({
    match_id: id.optional(),
    sector_id: id.optional().describe('Match sector id'),
    row: z.string().min(1).optional().describe('Row label (row_identifier)'),
    seat_number: z.coerce.number().int().min(1).optional(),
    email: z
      .string()
      .trim()
      .min(3)
      .max(254)
      .optional()
      .describe('Ticket holder or purchaser email: the seats of their tickets'),
    quota_id: id
      .optional()
      .describe('The seats of this quota (its quota_seats that are not CANCELLED)'),
    status: statusList.optional(),
    modified_from: instant.optional().describe('last_modified_at >= this instant'),
    modified_to: instant.optional().describe('last_modified_at < this instant'),
    ...pageQuery,
  })
  .strict();
export type SearchQuery = z.infer<typeof searchQuery>;

export const searchResultOut = seatOut.extend({
  match: z.object({
    home_team: z.string(),
    away_team: z.string(),
    kick_off_time: instant,
  }),
  quota_id: id
    .nullable()
    .describe('The quota the seat belongs to (a quota_seats row that is not CANCELLED), if any'),
  quota_seat_status: z
    .enum(['ALLOCATED', 'RESERVED', 'SOLD', 'DELEGATED', 'CANCELLED'])
    .nullable()
    .describe("The seat's status within its quota"),
  ticket: ticketOut
    .nullable()
    .describe('The valid ticket of the seat, or the ticket that matched the email'),
});

export const searchPage = z.object({
  items: z.array(searchResultOut),
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
});

// E3-F5: visualization -------------------------------------------------------------------------

export const matchParams = z.object({ matchId: id });
export const matchSectorParams = z.object({
  matchId: id,
  sectorId: id.describe('Match sector id'),
});

export const matchSeatsQuery = z
  .object({
    sector_id: id.optional().describe('Match sector id'),
    status: statusList.optional(),
    row: z.string().min(1).optional().describe('Row label (row_identifier)'),
    ...pageQuery,
  })
  .strict();
export type MatchSeatsQuery = z.infer<typeof matchSeatsQuery>;

const statusCounts = z.object(
  Object.fromEntries(SEAT_STATUSES.map((s) => [s, z.number().int()])) as Record<
    (typeof SEAT_STATUSES)[number],
    z.ZodNumber
  >,
);

export const statusSummaryOut = z.object({
  match_id: id,
  generated_at: instant,
  cached: z.boolean().describe('Served from the 30-second Redis cache'),
  colors: z.record(z.string(), z.string()).describe('Display colour per status'),
  sectors: z.array(
    z.object({
      match_sector_id: id,
      code: z.string(),
      name: z.string(),
      total_capacity: z.number().int(),
      seat_count: z.number().int().describe('Inventory rows of the sector'),
      status_counts: statusCounts,
      dominant_status: seatStatus.nullable(),
    }),
  ),
});
export type StatusSummaryOut = z.infer<typeof statusSummaryOut>;
