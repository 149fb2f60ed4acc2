import { z } from 'zod';

export const IMPORT_COLUMNS = [
  'recipient_email',
  'recipient_name',
  'sector_codes',
  'quantity',
  'discount_percent',
  'allocation_algorithm',
  'expiration_date',
  'can_create_subquotas',
  'transfer_allowed',
  'deferred_payment',
  'auto_send_email',
  'internal_note',
] as const;
export const REQUIRED_COLUMNS = ['recipient_email', 'sector_codes', 'quantity'] as const;

export const IMPORT_DESCRIPTION = `A CSV file (UTF-8, comma-separated, header row, at most BODY_LIMIT_BYTES) sent either as the request body with Content-Type text/csv, or as the one file of a multipart/form-data form (a browser's file input, curl -F file=@partners.csv); in a form, match_ids and file_name may be text fields instead of query parameters (match_ids comma-separated; the query wins when both are given; match_ids is required one way or the other). A multipart file whose type is not CSV or text (image/png, application/pdf, JSON…) is refused as not CSV. Columns: ${IMPORT_COLUMNS.join(', ')}; required: ${REQUIRED_COLUMNS.join(', ')}. sector_codes lists match sector codes separated by "|" (taken in that order); booleans are true/false; expiration_date is ISO 8601. Each row creates one quota per match of match_ids (E7-F3), all linked by the batch_id. A file-level problem (not UTF-8, no or wrong header, unreadable CSV, no rows) refuses the whole file with 400 QUOTA_IMPORT_FILE_INVALID. Row problems (bad email, unknown sector, quantity over what is free, a duplicate of an earlier row…) are reported with their line numbers (the header is line 1) while the valid rows are created. The same file for the same matches again returns the first import's report and creates nothing (duplicate: true).`;

const idList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) =>
    (Array.isArray(v) ? v : [v])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.uuid()).min(1).max(20))
  .describe(
    'one or more match ids (repeat the parameter or separate with commas); may instead be a text field of the multipart form',
  );

const fileName = z.string().trim().min(1).max(255);

/** Query or form fields: `match_ids` and `file_name` may come either way (the query wins). */
export const importQuery = z.object({
  match_ids: idList.optional(),
  file_name: fileName
    .optional()
    .describe("the file's name in the report (default: the form file's name, else quotas.csv)"),
});

/** The same two values as text fields of a multipart form. */
export const importFormFields = z.object({
  match_ids: idList.optional(),
  file_name: fileName.optional(),
});

export const rowError = z.object({
  line: z.number().int(),
  match_id: z.uuid().nullable().describe('set when the row failed for one match only'),
  field: z.string().nullable(),
  message: z.string(),
});

export const importResponse = z.object({
  batch_id: z.uuid(),
  file_name: z.string(),
  match_ids: z.array(z.uuid()),
  total_rows: z.number().int(),
  successful_rows: z.number().int().describe('rows whose quotas were created for every match'),
  failed_rows: z.number().int(),
  errors: z.array(rowError),
  quotas: z.array(
    z.object({
      quota_id: z.uuid(),
      match_id: z.uuid(),
      line: z
        .number()
        .int()
        .nullable()
        .describe("the CSV line (null in a duplicate upload's report)"),
    }),
  ),
  duplicate: z.boolean().describe('the same file was imported for these matches before'),
});
