import type { Readable } from 'node:stream';
import type { Kysely, RawBuilder } from 'kysely';
import { to as copyTo } from 'pg-copy-streams';
import type { AppDeps } from '../../deps.ts';
import type { AccessClaims } from '../../platform/auth/tokens.ts';
import { hasAccess, type Role } from '../../platform/auth/roles.ts';
import type { DB, ReportType } from '../../platform/db/types.generated.ts';
import { AppError } from '../../platform/errors.ts';
import { fileStoreOf, type FileStore } from '../../platform/files/file-store.ts';
import { currentUser } from '../identity/auth.service.ts';
import { sendEmail, sendPush } from '../notifications/notify.ts';
import { signDownloadToken, verifyDownloadToken } from './download-token.ts';
import * as repo from './exports.repo.ts';
import { reportReader, type ReportReader } from './report-reader.ts';
import { salesLinesQuery, type SalesFilters } from './sales-report.repo.ts';
import type { SalesFiltersIn } from './sales-report.schemas.ts';
import { resolveSalesFilters } from './sales-report.service.ts';
import { REPORT_ROLES } from './reports.rules.ts';

/**
 * Report exports (E14-F1): an admin asks, a worker streams the CSV to the file store and
 * tells them by email and push with a signed, expiring link that opens in their browser
 * (only for them; with a staff login also for holders of the role they asked with).
 */

export const EXPORT_QUEUE = 'reports.export';
export interface ExportJobData {
  export_id: string;
}

type ExportDeps = Pick<AppDeps, 'db' | 'pool' | 'config' | 'jobs' | 'clock' | 'logger'>;

export interface ExportRequest extends SalesFiltersIn {
  report_type: ReportType;
}

/** The role an export is shared with: the first report role the requester holds. */
const roleOf = (roles: readonly Role[]): Role =>
  REPORT_ROLES.find((r) => roles.includes(r)) ?? 'SUPER_ADMIN';

const mayOpen = (actor: AccessClaims, job: repo.ExportJobRow) =>
  job.requested_by === actor.userId || hasAccess([job.requested_role as Role], actor.roles);

export async function requestExport(
  deps: ExportDeps,
  actor: AccessClaims,
  request: ExportRequest,
): Promise<ExportView> {
  const { report_type, ...input } = request;
  // Only the sales lines have a ticket type and a sector; the other reports are by match
  // and period.
  if (report_type !== 'SALES' && (input.ticket_type || input.sector)) {
    throw new AppError(
      'VALIDATION_FAILED',
      `The ${report_type} export has no ticket type or sector`,
      {
        errors: [
          {
            field: `body.${input.ticket_type ? 'ticket_type' : 'sector'}`,
            message: `not a filter of ${report_type}`,
          },
        ],
      },
    );
  }
  // Checked now, so a bad filter is the caller's problem, not a failed job later.
  await resolveSalesFilters(reportReader(deps).db, input);
  const job = await deps.db.transaction().execute(async (trx) => {
    const row = await repo.insertExportJob(trx, {
      report_type,
      parameters_json: input,
      requested_by: actor.userId,
      requested_role: roleOf(actor.roles),
      created_at: deps.clock.now(),
    });
    await deps.jobs.enqueue(trx, EXPORT_QUEUE, { export_id: row.id } satisfies ExportJobData);
    return row;
  });
  return viewOf(deps, job);
}

export interface ExportView {
  id: string;
  report_type: ReportType;
  parameters: Record<string, unknown>;
  status: repo.ExportJobRow['status'];
  row_count: number | null;
  file_bytes: number | null;
  created_at: string;
  completed_at: string | null;
  error_message: string | null;
  download_url: string | null;
  download_expires_at: string | null;
}

/** A fresh link for whoever may open the export (an expired link is simply asked again). */
async function linkFor(deps: Pick<AppDeps, 'config' | 'clock'>, job: repo.ExportJobRow) {
  const expiresAt = new Date(
    deps.clock.now().getTime() + deps.config.REPORT_DOWNLOAD_TTL_SECONDS * 1000,
  );
  const token = await signDownloadToken(deps.config, {
    exportId: job.id,
    userId: job.requested_by ?? '',
    role: job.requested_role as Role,
    expiresAt,
  });
  const base = deps.config.PUBLIC_BASE_URL.replace(/\/$/, '');
  return {
    url: `${base}/admin/reports/exports/${job.id}/download?token=${encodeURIComponent(token)}`,
    expiresAt,
  };
}

async function viewOf(
  deps: Pick<AppDeps, 'config' | 'clock'>,
  job: repo.ExportJobRow,
): Promise<ExportView> {
  const link = job.status === 'COMPLETED' ? await linkFor(deps, job) : null;
  return {
    id: job.id,
    report_type: job.report_type,
    parameters: job.parameters_json as Record<string, unknown>,
    status: job.status,
    row_count: job.row_count === null ? null : Number(job.row_count),
    file_bytes: job.file_bytes === null ? null : Number(job.file_bytes),
    created_at: job.created_at.toISOString(),
    completed_at: job.completed_at?.toISOString() ?? null,
    error_message: job.error_message,
    download_url: link?.url ?? null,
    download_expires_at: link?.expiresAt.toISOString() ?? null,
  };
}

async function openableJob(deps: ExportDeps, actor: AccessClaims, id: string) {
  const job = await repo.findExportJob(deps.db, id);
  // Another admin's export (outside their role) is a plain 404: ids do not leak.
  if (!job || !mayOpen(actor, job)) throw new AppError('NOT_FOUND', 'No such export');
  return job;
}

/** GET /admin/reports/exports/{id}. */
export async function exportStatus(deps: ExportDeps, actor: AccessClaims, id: string) {
  return viewOf(deps, await openableJob(deps, actor, id));
}

const linkInvalid = () =>
  new AppError('DOWNLOAD_LINK_INVALID', 'The download link is invalid or has expired');

/**
 * GET /admin/reports/exports/{id}/download?token=…: the file, for an allowed caller.
 *
 * The signed link is the credential, so the emailed link opens in a browser (no bearer
 * header there): it names this export, the requester and their role and expires, and it
 * opens only for the requester while their account is active and still holds a report
 * role. With a staff login as well (the API, the ops page) a holder of the role the export
 * was asked with may open it too; anyone else gets 404, as for a missing export.
 */
export async function openDownload(
  deps: ExportDeps,
  actor: AccessClaims | null,
  id: string,
  token: string,
): Promise<{ stream: Readable; filename: string; bytes: number }> {
  const claims = await verifyDownloadToken(deps.config, token, deps.clock.now());
  if (!claims || claims.exportId !== id) throw linkInvalid();
  let job: repo.ExportJobRow;
  if (actor) {
    job = await openableJob(deps, actor, id);
  } else {
    const found = await repo.findExportJob(deps.db, id);
    // Bound to the one it was made for: a link signed for someone else is no link here.
    if (!found || found.requested_by !== claims.userId || found.requested_role !== claims.role) {
      throw linkInvalid();
    }
    const user = await currentUser(deps, claims.userId).catch(() => undefined);
    // Suspended, or no longer finance or a match manager: the link died with the access.
    if (user?.status !== 'active' || !hasAccess(REPORT_ROLES, user.roles)) throw linkInvalid();
    job = found;
  }
  if (job.status !== 'COMPLETED' || !job.file_url) {
    throw new AppError('REPORT_NOT_READY', `The export is ${job.status}`);
  }
  const stream = await fileStoreOf(deps.config).read(job.file_url);
  if (!stream) throw new AppError('NOT_FOUND', 'The export file is no longer stored');
  return {
    stream,
    filename: `${job.report_type.toLowerCase()}-${job.id}.csv`,
    bytes: Number(job.file_bytes ?? 0),
  };
}

interface ExportShape {
  query: RawBuilder<unknown>;
  columns: readonly repo.CsvColumn[];
}

const { csvText: text, csvEuros: eur, csvInstant: at, csvYesNo: yesNo } = repo;

function shapeOf(type: ReportType, f: SalesFilters): ExportShape {
  if (type === 'SALES') {
    return {
      query: salesLinesQuery(f),
      columns: [
        at('sold_at', 'completed_at'),
        text('order_number'),
        text('order_id'),
        text('match_id'),
        text('match', 'match_name'),
        text('ticket_type'),
        text('phase', 'phase_name'),
        text('sector_code'),
        text('sector_name'),
        text('row', 'row_identifier'),
        text('seat', 'seat_number'),
        text('ticket_id'),
        text('ticket_status'),
        text('holder', 'holder_name'),
        eur('unit_price_eur', 'unit_price'),
        eur('fee_eur', 'fee_amount'),
        eur('vat_eur', 'vat_amount'),
        eur('total_eur', 'line_total'),
        text('order_status'),
        eur('order_refunded_eur', 'order_refunded_amount'),
      ],
    };
  }
  if (type === 'ATTENDANCE') {
    return {
      query: repo.attendanceLinesQuery(f),
      columns: [
        text('match_id'),
        text('match', 'match_name'),
        text('match_status'),
        text('ticket_id'),
        text('order_number'),
        text('sector_code'),
        text('row', 'row_identifier'),
        text('seat', 'seat_number'),
        text('holder', 'holder_name'),
        text('ticket_status'),
        yesNo('attended', 'attended'),
        at('attended_at', 'attended_at'),
      ],
    };
  }
  if (type === 'QUOTA_USAGE') {
    return {
      query: repo.quotaUsageLinesQuery(f),
      columns: [
        text('quota_id'),
        text('match_id'),
        text('match', 'match_name'),
        text('recipient', 'recipient_name'),
        text('recipient_email'),
        text('quota_status'),
        text('algorithm', 'allocation_algorithm'),
        text('discount_percent'),
        yesNo('deferred_payment', 'deferred_payment'),
        text('total_quantity'),
        text('allocated'),
        text('reserved'),
        text('sold'),
        text('delegated'),
        text('cancelled'),
        at('expires_at', 'expiration_date'),
        at('created_at', 'created_at'),
      ],
    };
  }
  return {
    query: repo.financialLinesQuery(f),
    columns: [
      at('created_at', 'created_at'),
      text('payment_id'),
      text('order_number'),
      text('order_id'),
      text('match_id'),
      text('payment_status'),
      eur('amount_eur', 'amount'),
      text('currency'),
      at('completed_at', 'completed_at'),
      at('failed_at', 'failed_at'),
      text('failure_reason'),
      at('refunded_at', 'refunded_at'),
      text('stripe_payment_intent_id'),
      text('order_status'),
      eur('ticket_amount_eur', 'ticket_amount'),
      eur('fee_eur', 'fee_amount'),
      eur('ticket_vat_eur', 'ticket_vat_amount'),
      eur('fee_vat_eur', 'fee_vat_amount'),
      eur('order_refunded_eur', 'order_refunded_amount'),
    ],
  };
}

/**
 * Streams a report as CSV into the store under `key` with the database's own COPY … TO
 * STDOUT (pg-copy-streams): the server runs the report's query once, formats every field
 * (exports.repo.ts CsvColumn) and sends CSV text; Node parses no row and builds no object,
 * it pipes the bytes to the file. Memory stays at the streams' buffers whatever the row
 * count: the socket is paused while the file is behind (backpressure).
 */
export async function writeExport(
  reader: ReportReader,
  store: FileStore,
  type: ReportType,
  filters: SalesFilters,
  key: string,
): Promise<{ rows: number; bytes: number }> {
  const shape = shapeOf(type, filters);
  const statement = repo.copyCsvStatement(
    shape.query.compile(reader.db as Kysely<DB>),
    shape.columns,
  );
  const client = await reader.pool.connect();
  const csv = client.query(copyTo(statement));
  // The store's pipeline reports the COPY's errors; this one only keeps a COPY the store
  // never started reading (it failed first) from being an unhandled error on release.
  csv.on('error', () => undefined);
  let failed: Error | undefined;
  try {
    const { bytes } = await store.write(key, csv);
    return { rows: csv.rowCount, bytes };
  } catch (err) {
    failed = err as Error;
    throw err;
  } finally {
    // A connection whose COPY broke off midway is closed, not handed to anyone else.
    client.release(failed);
  }
}

const REPORT_NAMES: Record<ReportType, string> = {
  SALES: 'Sales',
  FINANCIAL: 'Financial',
  ATTENDANCE: 'Attendance',
  QUOTA_USAGE: 'Quota usage',
};

/** The job: stream the file, then complete the row and notify the requester, in one transaction. */
export async function runExport(deps: ExportDeps, exportId: string): Promise<void> {
  const job = await repo.startExportJob(deps.db, exportId, deps.clock.now());
  if (!job) return; // completed already (a re-delivered job), or unknown
  try {
    const reader = reportReader(deps);
    const params = job.parameters_json as SalesFiltersIn;
    const filters = await resolveSalesFilters(reader.db, params);
    const created = job.created_at.toISOString();
    const key = `exports/${created.slice(0, 4)}/${created.slice(5, 7)}/${job.id}-${job.report_type.toLowerCase()}.csv`;
    const { rows, bytes } = await writeExport(
      reader,
      fileStoreOf(deps.config),
      job.report_type,
      filters,
      key,
    );
    await deps.db.transaction().execute(async (trx) => {
      const done = await repo.completeExportJob(trx, job.id, {
        file_url: key,
        row_count: rows,
        file_bytes: bytes,
        completed_at: deps.clock.now(),
      });
      if (!done || !job.requested_by) return;
      const link = await linkFor(deps, job);
      const name = `${REPORT_NAMES[job.report_type]} (${rows} rows)`;
      const email = await repo.findUserEmail(trx, job.requested_by);
      if (email) {
        await sendEmail(deps, trx, {
          template_key: 'report_export_ready',
          to: email,
          locale: 'en',
          variables: {
            recipient_name: email,
            report_name: name,
            download_url: link.url,
            expires_at: link.expiresAt.toISOString(),
          },
        });
      }
      await sendPush(deps, trx, {
        user_id: job.requested_by,
        notification_type: 'report_export_ready',
        title: 'Report ready',
        body: `${name} is ready to download.`,
        data: { export_id: job.id, download_url: link.url },
      });
    });
  } catch (err) {
    deps.logger.warn({ err, exportId }, 'reports: export failed');
    await repo.failExportJob(deps.db, job.id, err instanceof Error ? err.message : String(err));
    throw err;
  }
}
