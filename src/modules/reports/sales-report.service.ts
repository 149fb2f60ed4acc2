import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { reportReader } from './report-reader.ts';
import { reportRange } from './reports.rules.ts';
import * as repo from './sales-report.repo.ts';
import type { SalesFiltersIn, SalesReport } from './sales-report.schemas.ts';

export const PREVIEW_LIMIT = 50;

type ReportDeps = Pick<AppDeps, 'db' | 'pool' | 'config'>;

/**
 * Checks the filters against each other and the data: an empty period, an unknown match or
 * a sector the match (or any match) does not have are problems, not empty reports.
 */
export async function resolveSalesFilters(
  db: Executor,
  input: SalesFiltersIn,
): Promise<repo.SalesFilters> {
  const range = reportRange(input.date_from, input.date_to);
  if (!range) {
    throw new AppError('VALIDATION_FAILED', 'date_from is after date_to', {
      errors: [{ field: 'query.date_to', message: 'must not be before date_from' }],
    });
  }
  if (input.match_id) {
    const codes = await repo.findMatchSectorCodes(db, input.match_id);
    if (!codes) throw new AppError('MATCH_NOT_FOUND', `No match with id ${input.match_id}`);
    if (input.sector && !codes.includes(input.sector)) {
      throw new AppError('VALIDATION_FAILED', `The match has no sector ${input.sector}`, {
        errors: [{ field: 'query.sector', message: `one of: ${codes.join(', ') || 'none'}` }],
      });
    }
  } else if (input.sector && !(await repo.sectorCodeExists(db, input.sector))) {
    throw new AppError('VALIDATION_FAILED', `No match has a sector ${input.sector}`, {
      errors: [{ field: 'query.sector', message: 'unknown sector code' }],
    });
  }
  return {
    matchId: input.match_id,
    from: range.from,
    until: range.until,
    ticketType: input.ticket_type,
    sectorCode: input.sector,
  };
}

/** GET /admin/reports/sales: totals, groupings and the first 50 lines, from the replica. */
export async function salesReport(deps: ReportDeps, input: SalesFiltersIn): Promise<SalesReport> {
  const { db } = reportReader(deps);
  const filters = await resolveSalesFilters(db, input);
  const [totals, byType, bySector, preview] = await Promise.all([
    repo.salesTotals(db, filters),
    repo.salesByTicketType(db, filters),
    repo.salesBySector(db, filters),
    repo.salesLines(db, filters, PREVIEW_LIMIT),
  ]);
  const gross = totals.ticket_amount + totals.fee_amount;
  return {
    filters: input,
    currency: 'EUR',
    totals: {
      orders: totals.orders,
      tickets: totals.tickets,
      ticket_amount: totals.ticket_amount,
      fee_amount: totals.fee_amount,
      gross_amount: gross,
      vat_amount: totals.vat_amount,
      refunded_amount: totals.refunded_amount,
      net_revenue: gross - totals.refunded_amount,
    },
    by_ticket_type: byType,
    by_sector: bySector,
    preview: preview.map((r) => ({ ...r, completed_at: r.completed_at.toISOString() })),
    preview_limit: PREVIEW_LIMIT,
    total_rows: totals.tickets,
  };
}
