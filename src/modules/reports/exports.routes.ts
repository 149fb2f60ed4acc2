import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import * as s from './exports.schemas.ts';
import * as service from './exports.service.ts';
import { REPORT_ROLES } from './reports.rules.ts';
import { tags } from './sales-report.routes.ts';

export const exportAdminRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/reports/sales/export',
    {
      config: {
        access: REPORT_ROLES,
        problems: ['MATCH_NOT_FOUND'],
      },
      schema: {
        tags,
        summary: 'Start a CSV export of a report (async); you are told by email and push',
        description:
          'Answers 202 with the export job. A worker streams the file to the file store and ' +
          'sends you a download link that you, or holders of the role you asked with, can open ' +
          'until it expires (REPORT_DOWNLOAD_TTL_SECONDS). Same filters as GET /reports/sales.',
        body: s.exportBody,
        response: { 202: s.exportView },
      },
    },
    async (request, reply) => {
      const view = await service.requestExport(deps, requireUser(request), request.body);
      reply.status(202);
      return view;
    },
  );

  app.get(
    '/reports/exports/:id',
    {
      config: { access: REPORT_ROLES, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'An export job: its status and, when finished, a fresh download link',
        params: s.exportParams,
        response: { 200: s.exportView },
      },
    },
    async (request) => service.exportStatus(deps, requireUser(request), request.params.id),
  );

  app.get(
    '/reports/exports/:id/download',
    {
      config: {
        // The signed link is the credential (it opens from the email in a browser); the
        // service checks it, and a bearer login if one is sent.
        access: 'public',
        problems: ['NOT_FOUND', 'DOWNLOAD_LINK_INVALID', 'REPORT_NOT_READY'],
      },
      schema: {
        tags,
        summary: 'Download a finished export (text/csv) with its signed link',
        description:
          'The link (emailed, or download_url of the export) opens on its own in a browser, ' +
          'for the requester while their account is active and holds a report role, until it ' +
          'expires (REPORT_DOWNLOAD_TTL_SECONDS). With a bearer token as well, holders of the ' +
          'role the export was asked with may open it too (others 404). A bad, tampered, ' +
          "expired or another export's or user's link: 403 DOWNLOAD_LINK_INVALID.",
        params: s.exportParams,
        querystring: s.downloadQuery,
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const file = await service.openDownload(
        deps,
        request.user,
        request.params.id,
        request.query.token,
      );
      return (
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${file.filename}"`)
          .header('content-length', String(file.bytes))
          .header('cache-control', 'no-store')
          // The URL holds the link's token: no page it leads to may learn it.
          .header('referrer-policy', 'no-referrer')
          .send(file.stream)
      );
    },
  );
};
