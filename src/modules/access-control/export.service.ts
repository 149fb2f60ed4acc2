import { PassThrough, type Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { AppDeps } from '../../deps.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { generateBarcode } from '../tickets/ticket-codes.ts';
import { exportFileName } from './access-control.rules.ts';
import {
  countUnusedExtraCodes,
  extraCodeCounts,
  insertExtraCodes,
  listOpenFallbacks,
  resolveFallbacks,
} from './extra-codes.repo.ts';
import {
  countValidTickets,
  extraCodePage,
  findMatchStatus,
  insertExportLog,
  listExportLogs,
  lockMatchExports,
  ticketBarcodePage,
} from './export.repo.ts';

/**
 * The turnstile export (E2-F8, E13-F1): every valid ticket's barcode and the match's
 * unused extra codes, one column of an .xlsx and nothing else (no personal data), streamed.
 */

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'logger'>;

export interface Actor {
  userId: string | null;
  context?: Record<string, unknown>;
}

/** Matches whose tickets may be at the gates: on sale, or sold and about to be played. */
const EXPORTABLE = new Set(['PUBLISHED', 'ACTIVE']);
/** Rows read per keyset page while streaming (bounded memory whatever the stadium). */
const PAGE = 5_000;

export interface AccessControlExport {
  fileName: string;
  exportId: string;
  ticketBarcodes: number;
  extraBarcodes: number;
  /** The .xlsx bytes, produced while they are read. */
  stream: Readable;
}

/**
 * GET /admin/matches/{id}/access-control-export. First, in one transaction serialised per
 * match: the extra codes are topped up to `extraCodes` unused ones (unique across every
 * ticket and extra code), the export is logged (barcode_export_logs) and audited, and
 * earlier fallbacks are marked as handed over. From that commit on every ticket issued
 * takes an extra code (extra-codes.service.ts). Then the workbook is streamed from one
 * REPEATABLE READ snapshot taken after that commit, in keyset pages, so each barcode
 * appears once: a ticket that took an extra code since is listed by its ticket or as the
 * unused code, never both. The log's totals are those counted at the export's start.
 */
export async function exportAccessControl(
  deps: Deps,
  actor: Actor,
  matchId: string,
  options: { extraCodes?: number } = {},
): Promise<AccessControlExport> {
  const now = deps.clock.now();
  const wanted = options.extraCodes ?? deps.config.ACCESS_CONTROL_EXTRA_CODES;
  const prepared = await deps.db.transaction().execute(async (trx) => {
    await lockMatchExports(trx, matchId);
    const match = await findMatchStatus(trx, matchId);
    if (!match) throw notFound('Match');
    if (!EXPORTABLE.has(match.status)) {
      throw new AppError(
        'MATCH_NOT_EXPORTABLE',
        `A ${match.status} match has no barcodes for the gates`,
        { extra: { match_status: match.status } },
      );
    }
    let unused = await countUnusedExtraCodes(trx, matchId);
    // A collision with an existing code (1 in ~10^17 per pair) only costs another draw.
    while (unused < wanted) {
      const draws = Array.from({ length: wanted - unused }, generateBarcode);
      unused += await insertExtraCodes(trx, matchId, draws, now);
    }
    const tickets = await countValidTickets(trx, matchId);
    const fileName = exportFileName(matchId, now);
    const exportId = await insertExportLog(trx, {
      match_id: matchId,
      file_name: fileName,
      total_barcodes: tickets + unused,
      extra_barcodes: unused,
      exported_by: actor.userId,
      exported_at: now,
    });
    await resolveFallbacks(trx, matchId, exportId);
    await recordAudit(deps, trx, {
      domain: 'access_control',
      action: 'barcodes_exported',
      actor: actor.userId ? { type: 'user', id: actor.userId } : { type: 'system' },
      subject: { type: 'match', id: matchId },
      changes: { export_id: exportId, file_name: fileName, tickets, extra_codes: unused },
      context: actor.context,
    });
    return { fileName, exportId, ticketBarcodes: tickets, extraBarcodes: unused };
  });

  const stream = new PassThrough();
  writeWorkbook(deps, matchId, stream).catch((err: unknown) => {
    deps.logger.warn({ err, match_id: matchId }, 'turnstile export ended before its last row');
    stream.destroy(err as Error);
  });
  return { ...prepared, stream };
}

/**
 * Waits until the reader took what was written; throws when it went away (the response
 * closed), which ends the export's snapshot transaction instead of leaving it waiting.
 */
async function drained(out: PassThrough): Promise<void> {
  if (out.writableNeedDrain && !out.destroyed) {
    await new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done);
        out.off('close', done);
        resolve();
      };
      out.on('drain', done);
      out.on('close', done);
    });
  }
  if (out.destroyed) throw new Error('the client closed the export before its end');
}

/** Writes the one-column workbook into `out`, page by page, waiting for the reader. */
async function writeWorkbook(deps: Pick<AppDeps, 'db'>, matchId: string, out: PassThrough) {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet('Barcodes');
  // Text cells: 18 digits are more than a spreadsheet number keeps.
  sheet.columns = [{ header: 'barcode', key: 'barcode', width: 22, style: { numFmt: '@' } }];
  await deps.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      for (const page of [ticketBarcodePage, extraCodePage]) {
        for (let after = ''; ;) {
          const barcodes = await page(trx, matchId, after, PAGE);
          for (const barcode of barcodes) sheet.addRow([barcode]).commit();
          await drained(out);
          if (barcodes.length < PAGE) break;
          after = barcodes.at(-1)!;
        }
      }
    });
  sheet.commit();
  await workbook.commit();
}

/**
 * GET /admin/matches/{id}/access-control-export/status: the exports so far, the extra
 * codes (reserved, used, unused) and the warnings an admin acts on before the gates open.
 */
export async function accessControlStatus(deps: Pick<AppDeps, 'db'>, matchId: string) {
  const match = await findMatchStatus(deps.db, matchId);
  if (!match) throw notFound('Match');
  const [logs, codes, fallbacks] = await Promise.all([
    listExportLogs(deps.db, matchId, 20),
    extraCodeCounts(deps.db, matchId),
    listOpenFallbacks(deps.db, matchId),
  ]);
  const warnings: Array<{
    code: 'NEW_EXPORT_NEEDED' | 'EXTRA_CODES_EXHAUSTED';
    message: string;
  }> = [];
  if (fallbacks.length > 0) {
    warnings.push({
      code: 'NEW_EXPORT_NEEDED',
      message:
        `${fallbacks.length} ticket(s) issued since the last export have barcodes the gates ` +
        'do not know (no extra code was left): export again',
    });
  }
  if (logs.length > 0 && codes.unused === 0) {
    warnings.push({
      code: 'EXTRA_CODES_EXHAUSTED',
      message: 'No extra code is left: the next late ticket needs a new export',
    });
  }
  return {
    match_id: matchId,
    match_status: match.status,
    exports: logs.map((l) => ({
      id: l.id,
      file_name: l.file_name,
      total_barcodes: l.total_barcodes,
      extra_barcodes: l.extra_barcodes,
      exported_by: l.exported_by,
      exported_at: l.exported_at.toISOString(),
    })),
    extra_codes: codes,
    unexported_tickets: fallbacks.map((f) => ({
      ticket_id: f.ticket_id,
      issued_at: f.created_at.toISOString(),
    })),
    warnings,
  };
}
