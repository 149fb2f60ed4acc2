import { z } from 'zod';

/** Sector-to-sector transfer (E3-F6) schemas; they feed OpenAPI. */

export const sectorTransferBody = z
  .object({
    match_id: z.uuid(),
    source_seat_ids: z
      .array(z.uuid())
      .min(1)
      .max(50_000)
      .optional()
      .describe('match_seat_inventory ids whose tickets move (or give source_match_sector_id)'),
    source_match_sector_id: z
      .uuid()
      .optional()
      .describe('move every valid ticket of this match sector (or give source_seat_ids)'),
    destination_match_sector_id: z.uuid(),
    reason: z.string().trim().min(1).max(500).describe('Why the tickets move (audited)'),
    dry_run: z
      .boolean()
      .default(false)
      .describe('true: answer the plan (which ticket gets which seat) and move nothing'),
  })
  .strict()
  .refine((b) => (b.source_seat_ids === undefined) !== (b.source_match_sector_id === undefined), {
    message: 'give exactly one of source_seat_ids and source_match_sector_id',
    path: ['source_seat_ids'],
  });
export type SectorTransferBody = z.infer<typeof sectorTransferBody>;

const seatLabel = z.object({
  inventory_id: z.uuid(),
  sector_code: z.string(),
  row: z.string(),
  seat_number: z.number().int(),
});

export const sectorTransferOut = z.object({
  dry_run: z.boolean(),
  sector_transfer_id: z.uuid().nullable().describe('null for a dry run'),
  match_id: z.uuid(),
  destination_match_sector_id: z.uuid(),
  tickets: z.number().int(),
  orders: z.number().int(),
  orders_split: z
    .number()
    .int()
    .describe('orders whose tickets could not all sit together in the destination'),
  moves: z.array(
    z.object({
      ticket_id: z.uuid(),
      order_id: z.uuid(),
      from: seatLabel,
      to: seatLabel,
    }),
  ),
});
export type SectorTransferOut = z.infer<typeof sectorTransferOut>;
