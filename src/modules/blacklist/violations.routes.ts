import type { FastifyReply } from 'fastify';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  VIOLATIONS_DESCRIPTION,
  violationsQuery,
  violationsResponse,
  violationsSearchBody,
} from './violations.schemas.ts';
import { violationReport } from './violations.service.ts';

/** The violation report (E11-F5) for support agents and supervisors. */
export const blacklistViolationRoutes: RouteRegistrar = (app, deps) => {
  const send = (reply: FastifyReply, result: Awaited<ReturnType<typeof violationReport>>) =>
    result.kind === 'csv'
      ? reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${result.filename}"`)
          .header('cache-control', 'no-store')
          .send(result.csv)
      : reply.send(result.body);
  const access = ['SUPPORT_AGENT', 'SUPPORT_SUPERVISOR'] as const;

  app.get(
    '/blacklist/violations',
    {
      config: { access, problems: [] },
      schema: {
        summary: 'Blocked attempts by blacklisted people, filtered, paginated or as CSV (E11-F5)',
        description: VIOLATIONS_DESCRIPTION,
        querystring: violationsQuery,
        produces: ['application/json', 'text/csv'],
        response: { 200: violationsResponse },
      },
    },
    async (request, reply) =>
      send(reply, await violationReport(deps, requireUser(request).roles, request.query)),
  );

  app.post(
    '/blacklist/violations/search',
    {
      config: { access, problems: ['OIB_INVALID'] },
      schema: {
        summary: 'The violation report filtered by OIB (in the body, never in a URL) (E11-F5)',
        description: VIOLATIONS_DESCRIPTION,
        body: violationsSearchBody,
        produces: ['application/json', 'text/csv'],
        response: { 200: violationsResponse },
      },
    },
    async (request, reply) =>
      send(reply, await violationReport(deps, requireUser(request).roles, request.body)),
  );
};
