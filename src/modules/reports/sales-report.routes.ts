import type { RouteRegistrar } from '../../api/surface.ts';
import { REPORT_ROLES } from './reports.rules.ts';
import * as s from './sales-report.schemas.ts';
import * as service from './sales-report.service.ts';

export const tags = ['reports'];

export const salesReportAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/reports/sales',
    {
      config: { access: REPORT_ROLES, problems: ['MATCH_NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Sales report: totals, per ticket type and sector, and the first 50 lines',
        description:
          'A line is one sold seat of an order that completed. Revenue is what buyers paid ' +
          '(tickets + fees) minus refunds (orders.refunded_amount). Read from the replica when ' +
          'DATABASE_REPLICA_URL is set. 400 VALIDATION_FAILED for an empty period or an ' +
          'unknown sector, 404 MATCH_NOT_FOUND for an unknown match.',
        querystring: s.salesFilters,
        response: { 200: s.salesReport },
      },
    },
    async (request) => service.salesReport(deps, request.query),
  );
};
