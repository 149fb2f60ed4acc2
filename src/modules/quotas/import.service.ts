import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { AppError } from '../../platform/errors.ts';
import { readCsvTable } from '../../platform/files/csv-table.ts';
import type { Upload } from '../../platform/http/uploads.ts';
import { IMPORT_COLUMNS, importFormFields, REQUIRED_COLUMNS } from './import.schemas.ts';
import {
  findImportBatch,
  finishImportBatch,
  insertImportBatch,
  listQuotasOfBatch,
  lockMatchForQuota,
  numberedSectorsByCode,
} from './quotas.repo.ts';
import { createQuotaBody, type CreateQuotaBody } from './quotas.schemas.ts';
import { checkQuotaMatch, placeQuotas } from './quotas.service.ts';

/**
 * CSV bulk import (E7-F2) for one or several matches (E7-F3). One request, one
 * transaction: the file is checked as a whole first (any file-level problem refuses it
 * whole), then each row is validated, and each match's valid rows are allocated and written
 * together, as row-by-row single creations would be but with a handful of statements
 * (quotas.service placeQuotas). A row that fails — for a match or for all —
 * creates nothing for that match and is reported with its line number; the valid rows are
 * created (decision: a partner list with one typo should not block the other partners;
 * re-importing the fixed rows is safe, see below). All the quotas share the batch's id.
 * Re-uploading the same file (SHA-256 of its bytes) for the same matches returns the first
 * report and creates nothing, also when two uploads race (the batch's unique key).
 */
type Deps = Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>;

interface RowError {
  line: number;
  match_id: string | null;
  field: string | null;
  message: string;
}

const fileInvalid = (detail: string) => new AppError('QUOTA_IMPORT_FILE_INVALID', detail);

const bool = z
  .enum(['true', 'false', 'TRUE', 'FALSE', '1', '0', 'yes', 'no'])
  .transform((v) => ['true', 'TRUE', '1', 'yes'].includes(v));

/** One CSV row, as strings, to a creation body (without match and sectors). */
const rowSchema = z.object({
  recipient_email: z.email().max(254),
  recipient_name: z.string().trim().max(200).optional(),
  sector_codes: z
    .string()
    .trim()
    .min(1)
    .transform((v) =>
      v
        .split('|')
        .map((c) => c.trim().toUpperCase())
        .filter(Boolean),
    ),
  quantity: z.coerce.number().int().min(1).max(5000),
  discount_percent: z.coerce.number().min(0).max(100).optional(),
  allocation_algorithm: z.enum(['NM', 'REDOM']).optional(),
  expiration_date: z.iso.datetime({ offset: true }).optional(),
  can_create_subquotas: bool.optional(),
  transfer_allowed: bool.optional(),
  deferred_payment: bool.optional(),
  auto_send_email: bool.optional(),
  internal_note: z.string().max(2000).optional(),
});

/**
 * The file as rows of strings keyed by column (empty cells left out, so optional columns
 * take their defaults), with their line numbers; throws 400 on the file. A row of another
 * width than the header is marked `__width` for its line error.
 */
function readFile(bytes: Buffer): { line: number; values: Record<string, string> }[] {
  const { columns, rows } = readCsvTable(bytes, {
    columns: IMPORT_COLUMNS,
    required: REQUIRED_COLUMNS,
    invalid: fileInvalid,
  });
  return rows.map((r) =>
    r.width !== columns.length
      ? { line: r.line, values: { __width: `${r.width}` } }
      : {
          line: r.line,
          values: Object.fromEntries(Object.entries(r.values).filter(([, v]) => v !== '')),
        },
  );
}

/** Media types a CSV file may carry in a form (spreadsheet programs and browsers differ). */
const CSV_TYPES = new Set([
  '',
  'text/csv',
  'text/plain',
  'application/csv',
  'application/vnd.ms-excel',
  'application/octet-stream',
]);

/**
 * What the import route received: the file (raw text/csv body, or the one file of a
 * multipart form) and `match_ids` / `file_name` from the query or, failing that, from the
 * form's text fields. A form file of another type (an image, a PDF, JSON) is not a CSV file.
 */
export function importInput(
  query: { match_ids?: string[]; file_name?: string },
  upload: Upload | null,
): { bytes: Buffer; fileName: string; matchIds: string[] } {
  const form = importFormFields.safeParse(upload?.fields ?? {});
  if (!form.success) {
    throw new AppError('VALIDATION_FAILED', 'A form field is invalid', {
      errors: form.error.issues.map((i) => ({
        field: ['form', ...i.path.map(String)].join('.'),
        message: i.message,
      })),
    });
  }
  const matchIds = query.match_ids ?? form.data.match_ids;
  if (!matchIds) {
    throw new AppError('VALIDATION_FAILED', 'match_ids is missing', {
      errors: [{ field: 'querystring.match_ids', message: 'required (query or form field)' }],
    });
  }
  if (upload && upload.filename !== null && !CSV_TYPES.has(upload.contentType)) {
    throw fileInvalid(`The file is not CSV (${upload.contentType})`);
  }
  return {
    bytes: upload?.bytes ?? Buffer.alloc(0),
    fileName: query.file_name ?? form.data.file_name ?? upload?.filename ?? 'quotas.csv',
    matchIds,
  };
}

async function report(
  deps: Pick<AppDeps, 'db'>,
  batch: Awaited<ReturnType<typeof insertImportBatch>>,
  duplicate: boolean,
  lines: Map<string, number> = new Map(),
) {
  const quotas = await listQuotasOfBatch(deps.db, batch.id);
  return {
    batch_id: batch.id,
    file_name: batch.file_name,
    match_ids: batch.match_ids,
    total_rows: batch.total_rows,
    successful_rows: batch.successful_rows,
    failed_rows: batch.failed_rows,
    errors: batch.error_report_json as unknown as RowError[],
    quotas: quotas.map((q) => ({
      quota_id: q.id,
      match_id: q.match_id,
      line: lines.get(q.id) ?? null,
    })),
    duplicate,
  };
}

const isUniqueViolation = (err: unknown, constraint: string) =>
  (err as { code?: string }).code === '23505' &&
  (err as { constraint?: string }).constraint === constraint;

/** POST /admin/quotas/import (E7-F2, E7-F3). */
export async function importQuotas(
  deps: Deps,
  actorId: string,
  input: { bytes: Buffer; fileName: string; matchIds: string[] },
) {
  const rows = readFile(input.bytes);
  const matchIds = [...new Set(input.matchIds)].sort();
  const sha256 = createHash('sha256').update(input.bytes).digest('hex');
  const existing = await findImportBatch(deps.db, sha256, matchIds);
  if (existing) return { status: 200 as const, body: await report(deps, existing, true) };
  const now = deps.clock.now();
  const lines = new Map<string, number>();
  try {
    const batch = await deps.db.transaction().execute(async (trx) => {
      const matches = [];
      for (const id of matchIds) {
        const match = checkQuotaMatch(await lockMatchForQuota(trx, id), now);
        matches.push({ match, sectors: await numberedSectorsByCode(trx, id) });
      }
      const batchId = randomUUID();
      await insertImportBatch(trx, {
        id: batchId,
        match_ids: matchIds,
        file_name: input.fileName,
        file_sha256: sha256,
        total_rows: rows.length,
        successful_rows: 0,
        failed_rows: 0,
        error_report_json: [],
        imported_by: actorId,
        imported_at: now,
      });
      const errors: RowError[] = [];
      const failedLines = new Set<number>();
      const seen = new Map<string, number>();
      const fail = (
        line: number,
        matchId: string | null,
        field: string | null,
        message: string,
      ) => {
        errors.push({ line, match_id: matchId, field, message });
        failedLines.add(line);
      };
      // Each valid row × match becomes a creation body; the seats are then allocated per
      // match in one go (placeQuotas), in file order, as row-by-row creations would.
      const bodies = matches.map(() => [] as { line: number; body: CreateQuotaBody }[]);
      for (const { line, values } of rows) {
        if ('__width' in values) {
          fail(line, null, null, `has ${values.__width} fields, the header has a different number`);
          continue;
        }
        const parsed = rowSchema.safeParse(values);
        if (!parsed.success) {
          for (const issue of parsed.error.issues) {
            fail(line, null, String(issue.path[0] ?? ''), issue.message);
          }
          continue;
        }
        const row = parsed.data;
        const key = `${row.recipient_email.toLowerCase()} ${[...row.sector_codes].sort().join('|')}`;
        const first = seen.get(key);
        if (first !== undefined) {
          fail(line, null, null, `duplicate of line ${first} (same recipient and sectors)`);
          continue;
        }
        seen.set(key, line);
        matches.forEach(({ match, sectors }, m) => {
          const unknown = row.sector_codes.filter((c) => !sectors.has(c));
          if (unknown.length) {
            fail(
              line,
              match.id,
              'sector_codes',
              `unknown sector ${unknown.join(', ')} for this match`,
            );
            return;
          }
          if (row.expiration_date) {
            const at = new Date(row.expiration_date);
            if (at <= now || at > match.kick_off_time) {
              fail(line, match.id, 'expiration_date', 'must be in the future and before kick-off');
              return;
            }
          }
          const body = createQuotaBody.parse({
            match_id: match.id,
            recipient_email: row.recipient_email,
            recipient_name: row.recipient_name ?? null,
            internal_note: row.internal_note ?? null,
            total_quantity: row.quantity,
            sector_ids: [...new Set(row.sector_codes)].map((c) => sectors.get(c)!),
            discount_percent: row.discount_percent ?? 0,
            allocation_algorithm: row.allocation_algorithm,
            expiration_date: row.expiration_date ?? null,
            can_create_subquotas: row.can_create_subquotas,
            transfer_allowed: row.transfer_allowed,
            deferred_payment: row.deferred_payment,
            auto_send_email: row.auto_send_email,
          });
          bodies[m]!.push({ line, body });
        });
      }
      for (const [m, { match }] of matches.entries()) {
        const items = bodies[m]!;
        const placed = await placeQuotas(deps, trx, {
          bodies: items.map((i) => i.body),
          match,
          actorId,
          batchId,
          now,
        });
        placed.forEach((result, i) => {
          const { line, body } = items[i]!;
          if ('available' in result) {
            fail(
              line,
              match.id,
              'quantity',
              `${body.total_quantity} requested, ${result.available} free in the sectors`,
            );
          } else {
            lines.set(result.quota.id, line);
          }
        });
      }
      errors.sort((a, b) => a.line - b.line);
      return finishImportBatch(trx, batchId, {
        successful_rows: rows.length - failedLines.size,
        failed_rows: failedLines.size,
        error_report_json: errors,
      });
    });
    return { status: 201 as const, body: await report(deps, batch, false, lines) };
  } catch (err) {
    // The same file raced itself: the first upload's report.
    if (isUniqueViolation(err, 'quota_import_batches_file_key')) {
      const first = await findImportBatch(deps.db, sha256, matchIds);
      if (first) return { status: 200 as const, body: await report(deps, first, true) };
    }
    throw err;
  }
}
