import { z } from 'zod';
import { affectedSchema } from './auto-cancel.schemas.ts';

export const IMPORT_COLUMNS = ['oib', 'first_name', 'last_name', 'date_of_birth', 'notes'] as const;
export const REQUIRED_COLUMNS = ['oib', 'first_name', 'last_name'] as const;
/** A MUP list of a few hundred thousand people still fits (about 60 bytes a line). */
export const IMPORT_MAX_BYTES = 32 * 1024 * 1024;
export const IMPORT_MAX_ROWS = 200_000;

export const IMPORT_DESCRIPTION = `The MUP list as a CSV file (UTF-8, header row, comma- or semicolon-separated), sent as the body with Content-Type text/csv or as the one file of a multipart/form-data form; at most ${IMPORT_MAX_ROWS} rows. Columns: ${IMPORT_COLUMNS.join(', ')}; required: ${REQUIRED_COLUMNS.join(', ')}; date_of_birth is YYYY-MM-DD. Each row's OIB must pass its checksum. A row whose OIB is already on the list (ACTIVE, or REMOVED: restore it by hand) or earlier in the file is skipped and counted as a duplicate; an invalid row is reported with its line (the header is line 1) and the valid rows are inserted in one statement. A file-level problem (not UTF-8, wrong header, unreadable CSV, no rows, too many rows) refuses the file with 400 BLACKLIST_IMPORT_FILE_INVALID. The same file again answers its first import's summary (replayed: true) and changes nothing. The answer lists the existing tickets of the newly listed people (E11-F4): confirm their cancellation with POST /admin/blacklist/imports/{batch_id}/cancel-tickets.`;

export const importQuery = z.object({
  file_name: z.string().trim().min(1).max(255).optional(),
});

export const lineError = z.object({
  line: z.number().int().describe('the CSV line; the header is line 1'),
  field: z.string().nullable(),
  code: z.enum([
    'OIB_INVALID',
    'VALUE_INVALID',
    'COLUMN_COUNT',
    'DUPLICATE_IN_FILE',
    'ALREADY_LISTED',
    'LISTED_REMOVED',
  ]),
  message: z.string().describe('never the OIB: at most its last 4 digits'),
});

export const importResponse = z.object({
  batch_id: z.uuid(),
  file_name: z.string().nullable(),
  replayed: z.boolean().describe('the same file was imported before: nothing changed'),
  total_rows: z.number().int(),
  imported: z.number().int().describe('successful_rows: entries created'),
  duplicates: z.number().int().describe('duplicate_rows: skipped, in the file or on the list'),
  failed: z.number().int().describe('failed_rows: invalid rows'),
  errors: z.array(lineError).describe('failed and skipped lines, in line order'),
  imported_at: z.string(),
  affected: affectedSchema,
});
