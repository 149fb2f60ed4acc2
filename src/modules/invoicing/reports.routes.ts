import type { RouteRegistrar } from '../../api/surface.ts';
import {
  financialReport as financialReportSchema,
  financialReportQuery,
} from './reports.schemas.ts';
import { financialReport } from './reports.service.ts';

export const reportAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/reports/financial',
    {
      config: { access: ['FINANCE'] },
      schema: {
        summary:
          'Financial reconciliation (E14-F3): paid orders by payment method, fees, VAT, refunds, deferred offers, e-računi status',
        querystring: financialReportQuery,
        response: { 200: financialReportSchema },
      },
    },
    async (request) => financialReport(deps, request.query),
  );
};
