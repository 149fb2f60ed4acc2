import type { RouteRegistrar } from '../../api/surface.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { reportCsv, cancellationReport } from './cancellation-report.ts';
import * as s from './cancellation.schemas.ts';
import { cancelMatch } from './cancellation.service.ts';
import { matchIdParams, matchOut } from './matches.schemas.ts';
import { actorOf, config, tags } from './matches.routes.ts';
import { toMatchOut } from './matches.service.ts';

/**
 * Match cancellation (E2-F7): the cancel request (MATCH_MANAGER for a DRAFT match, a
 * SUPER_ADMIN once it is PUBLISHED or ACTIVE) and its report (match managers and finance).
 */

const REPORT_ROLES: readonly Role[] = ['MATCH_MANAGER', 'FINANCE'];

export const cancellationAdminRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/matches/:id/cancel',
    {
      config: {
        ...config,
        problems: [
          'FORBIDDEN',
          'INVALID_STATUS_TRANSITION',
          'MATCH_ALREADY_CANCELLED',
          'NOT_FOUND',
        ],
      },
      schema: {
        tags,
        summary: 'Cancel a match: refund every paid order in full and tell every holder (E2-F7)',
        description:
          'A DRAFT match: MATCH_MANAGER; a PUBLISHED or ACTIVE match: SUPER_ADMIN only (403 ' +
          'FORBIDDEN otherwise). In one transaction the match becomes CANCELLED, its open ' +
          'orders are cancelled and every hold released, its waiting room closes (waiting fans ' +
          'get a push), and from then on no cart, payment or webhook makes a ticket (a payment ' +
          'that succeeds later is refunded automatically). A job then tells every holder and ' +
          'buyer once (email hr/en and push) and refunds every paid order in full, fee ' +
          'included (refunds with source SYSTEM); its tickets become CANCELLED_MATCH_CANCELLED ' +
          'and their QR codes no longer admit. Progress: GET …/cancellation-report. CLOSED or ' +
          'DELETED matches: 400 INVALID_STATUS_TRANSITION; a second cancellation: 409 ' +
          'MATCH_ALREADY_CANCELLED.',
        params: matchIdParams,
        body: s.cancelMatchBody,
        response: { 200: matchOut },
      },
    },
    async (request) => {
      const match = await cancelMatch(
        deps,
        { ...actorOf(request), roles: requireUser(request).roles },
        request.params.id,
        request.body,
      );
      return toMatchOut(match);
    },
  );

  app.get(
    '/matches/:id/cancellation-report',
    {
      config: { access: REPORT_ROLES, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'The cancellation report: tickets, refunds, notifications (E2-F7)',
        description:
          'Live while the job runs (status RUNNING, then DONE). JSON (the schema below), or ' +
          'CSV with `?format=csv` or `Accept: text/csv`: a header `section,status,count,' +
          'amount_cents` and one line per figure. 404 when the match was not cancelled.',
        params: matchIdParams,
        querystring: s.reportQuery,
        produces: ['application/json', 'text/csv'],
      },
    },
    async (request, reply) => {
      const report = await cancellationReport(deps, request.params.id);
      // ?format decides; without it, an Accept naming text/csv (and not JSON) asks for CSV.
      const accept = request.headers.accept ?? '';
      const wantsCsv =
        request.query.format === 'csv' ||
        (request.query.format === undefined &&
          accept.includes('text/csv') &&
          !accept.includes('application/json'));
      reply.header('cache-control', 'no-store');
      if (!wantsCsv) return s.cancellationReportOut.parse(report);
      return reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="cancellation-${request.params.id}.csv"`,
        )
        .send(reportCsv(report));
    },
  );
};
