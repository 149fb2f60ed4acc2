import { z } from 'zod';

/** zod schemas of the match-day routes (E2-F8, E2-F9, E13-F1, E13-F2); they feed OpenAPI. */

export const matchIdParams = z.object({ id: z.uuid() });

export const exportQuery = z
  .object({
    extra_codes: z.coerce
      .number()
      .int()
      .min(0)
      .max(20_000)
      .optional()
      .describe(
        'unused extra codes to reserve and include (default ACCESS_CONTROL_EXTRA_CODES, 1000)',
      ),
  })
  .strict();

const exportLog = z.object({
  id: z.uuid(),
  file_name: z.string(),
  total_barcodes: z.number().int(),
  extra_barcodes: z.number().int(),
  exported_by: z.uuid().nullable(),
  exported_at: z.string(),
});

export const exportStatusOut = z.object({
  match_id: z.uuid(),
  match_status: z.string(),
  exports: z.array(exportLog).describe('newest first, at most 20'),
  extra_codes: z.object({
    total: z.number().int(),
    used: z.number().int(),
    unused: z.number().int(),
  }),
  unexported_tickets: z
    .array(z.object({ ticket_id: z.uuid().nullable(), issued_at: z.string() }))
    .describe('tickets issued since the last export with a barcode the gates do not know'),
  warnings: z.array(
    z.object({ code: z.enum(['NEW_EXPORT_NEEDED', 'EXTRA_CODES_EXHAUSTED']), message: z.string() }),
  ),
});

export const closeQuery = z
  .object({
    file_name: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .optional()
      .describe('name of the uploaded file, kept with the import'),
  })
  .strict();

/** The JSON body of a closure without attendance data. */
export const closeWithoutDataBody = z
  .object({ reason: z.string().trim().min(3).max(1000) })
  .strict();

const unmatched = z.object({
  row: z.number().int().describe('row of the file (1 = the header)'),
  barcode: z.string(),
  scan_timestamp: z.string().nullable(),
  reason: z.enum(['NOT_FOUND', 'ALREADY_CANCELLED', 'INVALID_FORMAT']),
});

const attendanceCounts = z.object({
  import_id: z.uuid(),
  file_name: z.string(),
  total_scanned: z.number().int(),
  matched_count: z.number().int(),
  unmatched_count: z.number().int(),
});

export const closeOut = z.object({
  match_id: z.uuid(),
  status: z.literal('CLOSED'),
  closed_at: z.string(),
  attendance_mode: z.enum(['WITH_DATA', 'WITHOUT_DATA']),
  closure_reason: z.string().nullable(),
  attended_tickets: z.number().int(),
  attendance: attendanceCounts.nullable(),
  unmatched: z.array(unmatched).describe('at most 1,000; all of them: GET …/attendance'),
  unmatched_truncated: z.boolean(),
  loyalty_award_queued: z.boolean(),
});

export const attendanceQuery = z
  .object({
    page: z.coerce.number().int().min(1).default(1),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const attendanceOut = z.object({
  match_id: z.uuid(),
  status: z.string(),
  closed_at: z.string().nullable(),
  attendance_mode: z.enum(['WITH_DATA', 'WITHOUT_DATA']).nullable(),
  closure_reason: z.string().nullable(),
  attendance: attendanceCounts
    .extend({
      attended_tickets: z.number().int(),
      imported_by: z.uuid().nullable(),
      imported_at: z.string(),
    })
    .nullable(),
  unmatched: z.array(unmatched),
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
});
