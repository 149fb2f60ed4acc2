import { sql } from 'kysely';
import pg from 'pg';
import type { Executor } from '../../platform/db/database.ts';
import type {
  AppRole,
  JobStatus,
  ReportExportJobs,
  ReportType,
} from '../../platform/db/types.generated.ts';
import type { Selectable } from 'kysely';
import type { SalesFilters } from './sales-report.repo.ts';

/** report_export_jobs (owned here) and the financial export's read of payments. */

export type ExportJobRow = Selectable<ReportExportJobs>;

export async function insertExportJob(
  db: Executor,
  values: {
    report_type: ReportType;
    parameters_json: Record<string, unknown>;
    requested_by: string;
    requested_role: AppRole;
    created_at: Date;
  },
): Promise<ExportJobRow> {
  return db
    .insertInto('report_export_jobs')
    .values({ ...values, parameters_json: JSON.stringify(values.parameters_json) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findExportJob(db: Executor, id: string): Promise<ExportJobRow | undefined> {
  return db.selectFrom('report_export_jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

const RUNNABLE: JobStatus[] = ['PENDING', 'PROCESSING', 'FAILED'];

/** Marks the job PROCESSING unless it already completed (a re-run after a crash). */
export async function startExportJob(
  db: Executor,
  id: string,
  now: Date,
): Promise<ExportJobRow | undefined> {
  return db
    .updateTable('report_export_jobs')
    .set({ status: 'PROCESSING', started_at: now, error_message: null })
    .where('id', '=', id)
    .where('status', 'in', RUNNABLE)
    .returningAll()
    .executeTakeFirst();
}

export async function completeExportJob(
  db: Executor,
  id: string,
  values: { file_url: string; row_count: number; file_bytes: number; completed_at: Date },
): Promise<boolean> {
  const r = await db
    .updateTable('report_export_jobs')
    .set({ ...values, status: 'COMPLETED' })
    .where('id', '=', id)
    .where('status', '=', 'PROCESSING')
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

export async function failExportJob(db: Executor, id: string, message: string): Promise<void> {
  await db
    .updateTable('report_export_jobs')
    .set({ status: 'FAILED', error_message: message.slice(0, 2000) })
    .where('id', '=', id)
    .where('status', 'in', ['PENDING', 'PROCESSING'])
    .execute();
}

/** The requester's address (identity's users table, read only). */
export async function findUserEmail(db: Executor, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('email')
    .where('id', '=', userId)
    .executeTakeFirst();
  return row?.email;
}

export interface FinancialLineRow {
  payment_id: string;
  order_number: string;
  order_id: string;
  match_id: string;
  payment_status: string;
  amount: number;
  currency: string;
  created_at: Date;
  completed_at: Date | null;
  failed_at: Date | null;
  failure_reason: string | null;
  refunded_at: Date | null;
  stripe_payment_intent_id: string | null;
  order_status: string;
  ticket_amount: number;
  fee_amount: number;
  ticket_vat_amount: number;
  fee_vat_amount: number;
  order_refunded_amount: number;
}

/**
 * The financial export: one line per payment attempt (payments module's rows, read only),
 * with its order's amounts, in the order they were made. Filters: match and period (when
 * the payment was created).
 */
export function financialLinesQuery(f: Pick<SalesFilters, 'matchId' | 'from' | 'until'>) {
  const where = [sql`true`];
  if (f.matchId) where.push(sql`o.match_id = ${f.matchId}`);
  if (f.from) where.push(sql`p.created_at >= ${f.from}`);
  if (f.until) where.push(sql`p.created_at < ${f.until}`);
  return sql<FinancialLineRow>`
    SELECT p.id AS payment_id, o.order_number, o.id AS order_id, o.match_id,
           p.status AS payment_status, p.amount, p.currency, p.created_at, p.completed_at,
           p.failed_at, p.failure_reason, p.refunded_at, p.stripe_payment_intent_id,
           o.status AS order_status, o.ticket_amount, o.fee_amount, o.ticket_vat_amount,
           o.fee_vat_amount, o.refunded_amount AS order_refunded_amount
      FROM payments p
      JOIN orders o ON o.id = p.order_id
     WHERE ${sql.join(where, sql` AND `)}
     ORDER BY p.created_at, p.id`;
}

export interface AttendanceLineRow {
  match_id: string;
  match_name: string;
  match_status: string;
  ticket_id: string;
  order_number: string;
  sector_code: string | null;
  row_identifier: string | null;
  seat_number: string | null;
  ticket_status: string;
  attended: boolean;
  attended_at: Date | null;
  holder_name: string | null;
}

/**
 * The attendance export (E2-F9, E13-F2 data): one line per ticket issued for the match
 * (tickets and their holders, read only), whether it was ATTENDED and when it was scanned.
 * Filters: match and period (when the ticket was issued).
 */
export function attendanceLinesQuery(f: Pick<SalesFilters, 'matchId' | 'from' | 'until'>) {
  const where = [sql`true`];
  if (f.matchId) where.push(sql`t.match_id = ${f.matchId}`);
  if (f.from) where.push(sql`t.created_at >= ${f.from}`);
  if (f.until) where.push(sql`t.created_at < ${f.until}`);
  return sql<AttendanceLineRow>`
    SELECT t.match_id, m.home_team || ' – ' || m.away_team AS match_name,
           m.status AS match_status, t.id AS ticket_id,
           o.order_number, ms.code AS sector_code, s.row_identifier, s.seat_number,
           t.status AS ticket_status, (t.status = 'ATTENDED') AS attended, t.attended_at,
           h.full_name AS holder_name
      FROM tickets t
      JOIN matches m ON m.id = t.match_id
      JOIN orders o ON o.id = t.order_id
      LEFT JOIN ticket_holders h ON h.ticket_id = t.id
      LEFT JOIN match_seat_inventory i ON i.id = t.match_seat_inventory_id
      LEFT JOIN match_sectors ms ON ms.id = i.match_sector_id
      LEFT JOIN seats s ON s.id = i.seat_id
     WHERE ${sql.join(where, sql` AND `)}
     ORDER BY t.match_id, ms.code NULLS LAST, s.row_identifier, s.seat_number, t.id`;
}

export interface QuotaUsageLineRow {
  quota_id: string;
  match_id: string;
  match_name: string;
  recipient_name: string | null;
  recipient_email: string;
  quota_status: string;
  allocation_algorithm: string;
  discount_percent: string;
  deferred_payment: boolean;
  total_quantity: number;
  allocated: number;
  reserved: number;
  sold: number;
  delegated: number;
  cancelled: number;
  expiration_date: Date | null;
  created_at: Date;
}

/**
 * The quota usage export (E7 data): one line per quota (quotas and their seats, read only)
 * with its seats by status. Filters: match and period (when the quota was created).
 */
export function quotaUsageLinesQuery(f: Pick<SalesFilters, 'matchId' | 'from' | 'until'>) {
  const where = [sql`true`];
  if (f.matchId) where.push(sql`q.match_id = ${f.matchId}`);
  if (f.from) where.push(sql`q.created_at >= ${f.from}`);
  if (f.until) where.push(sql`q.created_at < ${f.until}`);
  return sql<QuotaUsageLineRow>`
    SELECT q.id AS quota_id, q.match_id, m.home_team || ' – ' || m.away_team AS match_name,
           q.recipient_name,
           q.recipient_email, q.status AS quota_status, q.allocation_algorithm,
           q.discount_percent::text AS discount_percent, q.deferred_payment, q.total_quantity,
           count(qs.id) FILTER (WHERE qs.status = 'ALLOCATED')::int AS allocated,
           count(qs.id) FILTER (WHERE qs.status = 'RESERVED')::int AS reserved,
           count(qs.id) FILTER (WHERE qs.status = 'SOLD')::int AS sold,
           count(qs.id) FILTER (WHERE qs.status = 'DELEGATED')::int AS delegated,
           count(qs.id) FILTER (WHERE qs.status = 'CANCELLED')::int AS cancelled,
           q.expiration_date, q.created_at
      FROM quotas q
      JOIN matches m ON m.id = q.match_id
      LEFT JOIN quota_seats qs ON qs.quota_id = q.id
     WHERE ${sql.join(where, sql` AND `)}
     GROUP BY q.id, m.home_team, m.away_team
     ORDER BY q.created_at, q.id`;
}

// The CSV of an export, made by the database's own COPY -------------------------------

/**
 * One CSV column: its header and the SQL that formats it from the report query's row
 * (alias `q`), so the server writes the finished text and Node only moves bytes.
 */
export type CsvColumn = readonly [header: string, expression: string];

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a column name: ${name}`);
  return `q.${name}`;
};
/** The value as text; NULL → an empty field. */
export const csvText = (header: string, column = header): CsvColumn => [header, ident(column)];
/** Cents as euros with two decimals (`1234` → `12.34`), as the API shows amounts. */
export const csvEuros = (header: string, column: string): CsvColumn => {
  const c = `coalesce(${ident(column)}, 0)`;
  return [header, `(${c} / 100)::text || '.' || lpad((abs(${c}) % 100)::text, 2, '0')`];
};
/** An instant in UTC, ISO 8601 with milliseconds (`2026-12-20T19:05:00.000Z`); NULL → empty. */
export const csvInstant = (header: string, column: string): CsvColumn => [
  header,
  `to_char(${ident(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
];
/** A boolean as yes / no. */
export const csvYesNo = (header: string, column: string): CsvColumn => [
  header,
  `CASE WHEN ${ident(column)} THEN 'yes' ELSE 'no' END`,
];

/** A bind parameter as an untyped SQL literal, read by the server as it reads the parameter. */
function literalOf(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return pg.escapeLiteral(value.toISOString());
  if (Array.isArray(value)) {
    const items = value.map((v) => `"${String(v).replace(/[\\"]/g, (c) => `\\${c}`)}"`);
    return pg.escapeLiteral(`{${items.join(',')}}`);
  }
  if (typeof value === 'object') return pg.escapeLiteral(JSON.stringify(value));
  return pg.escapeLiteral(String(value));
}

/**
 * The COPY … TO STDOUT statement of a report: the report's query (compiled, its
 * parameters inlined as literals — COPY takes no bind parameters) as a subquery, each
 * column formatted by `columns`, a header line. The parameters are our own filters (ids,
 * dates, codes), each escaped by pg's own literal quoting.
 */
export function copyCsvStatement(
  compiled: { sql: string; parameters: readonly unknown[] },
  columns: readonly CsvColumn[],
): string {
  const inner = compiled.sql.replace(/\$(\d+)\b/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= compiled.parameters.length) throw new Error(`no parameter $${n}`);
    return literalOf(compiled.parameters[index]);
  });
  const select = columns.map(([h, e]) => `${e} AS "${h.replace(/"/g, '""')}"`).join(', ');
  return `COPY (SELECT ${select} FROM (${inner}) q) TO STDOUT WITH (FORMAT csv, HEADER true)`;
}
