import { sql } from 'kysely';
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
