import type { AppDeps } from '../../deps.ts';
import * as repo from './reports.repo.ts';

/**
 * The financial reconciliation report (E14-F3): paid orders by payment method with their
 * fees and VAT, completed refunds, deferred payment offers by status, and each paid
 * order's e-računi invoice status, in one REPEATABLE READ snapshot so the parts agree.
 * Cash and card sales at petrol stations (E12) are PETROL_CASH and PETROL_CARD lines.
 */
export async function financialReport(
  deps: Pick<AppDeps, 'db'>,
  query: { match_id?: string; from: string; to: string },
) {
  const filter = { matchId: query.match_id, from: new Date(query.from), to: new Date(query.to) };
  return deps.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const methods = await repo.totalsByMethod(trx, filter);
      const refunds = await repo.refundTotals(trx, filter);
      const offers = await repo.offersByStatus(trx, filter);
      const invoices = await repo.invoiceStatuses(trx, filter);
      const sum = (pick: (m: repo.MethodTotal) => number) =>
        methods.reduce((a, m) => a + pick(m), 0);
      const amount = sum((m) => m.amount);
      return {
        match_id: query.match_id ?? null,
        from: filter.from.toISOString(),
        to: filter.to.toISOString(),
        by_payment_method: methods as Array<
          repo.MethodTotal & { method: 'CARD' | 'PETROL_CASH' | 'PETROL_CARD' | 'FREE' | 'OTHER' }
        >,
        totals: {
          orders: sum((m) => m.orders),
          amount,
          fee_amount: sum((m) => m.fee_amount),
          vat_amount: sum((m) => m.ticket_vat_amount + m.fee_vat_amount),
          refunds: refunds.refunds,
          refunded_amount: refunds.amount,
          net_amount: amount - refunds.amount,
        },
        deferred_offers: offers,
        invoices,
      };
    });
}
