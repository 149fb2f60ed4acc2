import { Readable } from 'node:stream';
import type { Kysely, RawBuilder } from 'kysely';
import Cursor from 'pg-cursor';
import { stringify } from 'csv-stringify/sync';
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
import { salesLinesQuery, type SalesFilters, type SalesLineRow } from './sales-report.repo.ts';
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

/** Rows fetched per cursor read: memory stays at one batch whatever the report's size. */
export const EXPORT_BATCH_ROWS = 2_000;

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

const euros = (cents: number) =>
  `${Math.trunc(cents / 100)}.${String(Math.abs(cents % 100)).padStart(2, '0')}`;
const instant = (d: Date | null) => (d ? d.toISOString() : '');

interface ExportShape<R> {
  query: RawBuilder<R>;
  columns: Array<[header: string, value: (row: R) => string | number | null]>;
}

function shapeOf(type: ReportType, f: SalesFilters): ExportShape<never> {
  if (type === 'SALES') {
    const shape: ExportShape<SalesLineRow> = {
      query: salesLinesQuery(f),
      columns: [
        ['sold_at', (r) => instant(r.completed_at)],
        ['order_number', (r) => r.order_number],
        ['order_id', (r) => r.order_id],
        ['match_id', (r) => r.match_id],
        ['match', (r) => r.match_name],
        ['ticket_type', (r) => r.ticket_type],
        ['phase', (r) => r.phase_name],
        ['sector_code', (r) => r.sector_code],
        ['sector_name', (r) => r.sector_name],
        ['row', (r) => r.row_identifier],
        ['seat', (r) => r.seat_number],
        ['ticket_id', (r) => r.ticket_id],
        ['ticket_status', (r) => r.ticket_status],
        ['holder', (r) => r.holder_name],
        ['unit_price_eur', (r) => euros(r.unit_price)],
        ['fee_eur', (r) => euros(r.fee_amount)],
        ['vat_eur', (r) => euros(r.vat_amount)],
        ['total_eur', (r) => euros(r.line_total)],
        ['order_status', (r) => r.order_status],
        ['order_refunded_eur', (r) => euros(r.order_refunded_amount)],
      ],
    };
    return shape as unknown as ExportShape<never>;
  }
  if (type === 'ATTENDANCE') {
    const shape: ExportShape<repo.AttendanceLineRow> = {
      query: repo.attendanceLinesQuery(f),
      columns: [
        ['match_id', (r) => r.match_id],
        ['match', (r) => r.match_name],
        ['match_status', (r) => r.match_status],
        ['ticket_id', (r) => r.ticket_id],
        ['order_number', (r) => r.order_number],
        ['sector_code', (r) => r.sector_code],
        ['row', (r) => r.row_identifier],
        ['seat', (r) => r.seat_number],
        ['holder', (r) => r.holder_name],
        ['ticket_status', (r) => r.ticket_status],
        ['attended', (r) => (r.attended ? 'yes' : 'no')],
        ['attended_at', (r) => instant(r.attended_at)],
      ],
    };
    return shape as unknown as ExportShape<never>;
  }
  if (type === 'QUOTA_USAGE') {
    const shape: ExportShape<repo.QuotaUsageLineRow> = {
      query: repo.quotaUsageLinesQuery(f),
      columns: [
        ['quota_id', (r) => r.quota_id],
        ['match_id', (r) => r.match_id],
        ['match', (r) => r.match_name],
        ['recipient', (r) => r.recipient_name],
        ['recipient_email', (r) => r.recipient_email],
        ['quota_status', (r) => r.quota_status],
        ['algorithm', (r) => r.allocation_algorithm],
        ['discount_percent', (r) => r.discount_percent],
        ['deferred_payment', (r) => (r.deferred_payment ? 'yes' : 'no')],
        ['total_quantity', (r) => r.total_quantity],
        ['allocated', (r) => r.allocated],
        ['reserved', (r) => r.reserved],
        ['sold', (r) => r.sold],
        ['delegated', (r) => r.delegated],
        ['cancelled', (r) => r.cancelled],
        ['expires_at', (r) => instant(r.expiration_date)],
        ['created_at', (r) => instant(r.created_at)],
      ],
    };
    return shape as unknown as ExportShape<never>;
  }
  const shape: ExportShape<repo.FinancialLineRow> = {
    query: repo.financialLinesQuery(f),
    columns: [
      ['created_at', (r) => instant(r.created_at)],
      ['payment_id', (r) => r.payment_id],
      ['order_number', (r) => r.order_number],
      ['order_id', (r) => r.order_id],
      ['match_id', (r) => r.match_id],
      ['payment_status', (r) => r.payment_status],
      ['amount_eur', (r) => euros(r.amount)],
      ['currency', (r) => r.currency],
      ['completed_at', (r) => instant(r.completed_at)],
      ['failed_at', (r) => instant(r.failed_at)],
      ['failure_reason', (r) => r.failure_reason],
      ['refunded_at', (r) => instant(r.refunded_at)],
      ['stripe_payment_intent_id', (r) => r.stripe_payment_intent_id],
      ['order_status', (r) => r.order_status],
      ['ticket_amount_eur', (r) => euros(r.ticket_amount)],
      ['fee_eur', (r) => euros(r.fee_amount)],
      ['ticket_vat_eur', (r) => euros(r.ticket_vat_amount)],
      ['fee_vat_eur', (r) => euros(r.fee_vat_amount)],
      ['order_refunded_eur', (r) => euros(r.order_refunded_amount)],
    ],
  };
  return shape as unknown as ExportShape<never>;
}

/**
 * Streams a report as CSV into the store under `key`: one server-side cursor (one
 * statement, one sort), read EXPORT_BATCH_ROWS at a time, each batch turned into CSV text
 * and written before the next is read. Memory is one batch, whatever the row count.
 */
export async function writeExport(
  reader: ReportReader,
  store: FileStore,
  type: ReportType,
  filters: SalesFilters,
  key: string,
): Promise<{ rows: number; bytes: number }> {
  const shape = shapeOf(type, filters);
  const compiled = shape.query.compile(reader.db as Kysely<DB>);
  let rows = 0;
  async function* csv() {
    yield stringify([shape.columns.map(([h]) => h)]);
    const client = await reader.pool.connect();
    let cursor: Cursor | null = null;
    try {
      cursor = client.query(new Cursor(compiled.sql, compiled.parameters as unknown[]));
      for (;;) {
        const batch = (await cursor.read(EXPORT_BATCH_ROWS)) as never[];
        if (batch.length === 0) break;
        rows += batch.length;
        yield stringify(batch.map((row) => shape.columns.map(([, value]) => value(row))));
      }
    } finally {
      await cursor?.close().catch(() => undefined);
      client.release();
    }
  }
  // One batch in flight: the next is read from the cursor when the file took this one.
  const { bytes } = await store.write(key, Readable.from(csv(), { highWaterMark: 1 }));
  return { rows, bytes };
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
