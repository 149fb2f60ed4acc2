import { z } from 'zod';
import { id, instant, reason, seatStatus } from './inventory.schemas.ts';

/** Bulk status schemas (E3-F3); they feed OpenAPI. */

export const bulkStatusBody = z
  .object({
    match_id: id,
    seat_ids: z
      .array(id)
      .min(1)
      .max(10_000)
      .optional()
      .describe('Select these seats (match_seat_inventory ids of the match)'),
    sector_id: id.optional().describe('Select the seats of this match sector'),
    from_row: z
      .string()
      .min(1)
      .optional()
      .describe('Row range start (row label, e.g. "A"); needs sector_id and to_row'),
    to_row: z.string().min(1).optional().describe('Row range end (row label), inclusive'),
    status_filter: z
      .array(seatStatus)
      .min(1)
      .optional()
      .describe('Only change seats currently in one of these statuses'),
    status: seatStatus.describe('Target status'),
    reason,
  })
  .strict();
export type BulkStatusBody = z.infer<typeof bulkStatusBody>;

export const bulkOperationParams = z.object({ operationId: id });

export const bulkSkipOut = z.object({
  id: id.describe('match_seat_inventory id'),
  reason: z.enum(['HELD', 'INVALID_TRANSITION']),
  status: seatStatus,
  held_until: instant.nullable(),
  sector_code: z.string(),
  row_identifier: z.string(),
  seat_number: z.number().int(),
});

export const bulkOperationOut = z.object({
  operation_id: id,
  match_id: id,
  status: z.enum(['PENDING', 'RUNNING', 'COMPLETED', 'FAILED']),
  to_status: seatStatus,
  status_filter: z.array(seatStatus).nullable(),
  reason: z.string(),
  selection: z.object({
    seat_ids: z.array(id).nullable(),
    sector_id: id.nullable(),
    from_row_index: z.number().int().nullable(),
    to_row_index: z.number().int().nullable(),
  }),
  batch_size: z.number().int(),
  progress: z.object({
    total: z.number().int(),
    processed: z.number().int(),
    percent: z.number(),
    batches_done: z.number().int(),
  }),
  counts: z.object({
    updated: z.number().int(),
    unchanged: z.number().int().describe('Already in the target status'),
    filtered: z.number().int().describe('Current status not in status_filter'),
    skipped: z.number().int().describe('Held seats and seats the transition does not allow'),
  }),
  skipped_seats: z
    .array(bulkSkipOut)
    .describe('The skipped seats (first 1000, by sector, row and seat)'),
  requested_by: id.nullable(),
  error: z.string().nullable(),
  created_at: instant,
  started_at: instant.nullable(),
  finished_at: instant.nullable(),
});
export type BulkOperationOut = z.infer<typeof bulkOperationOut>;
