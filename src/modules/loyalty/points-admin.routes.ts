import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { acceptUploads, uploadOf } from '../../platform/http/uploads.ts';
import * as s from './points-admin.schemas.ts';
import { importHistoricPoints, loyaltyDistribution } from './points-admin.service.ts';

/** Points administration (admin surface): E6-F2 planning view, E6-F1 historic import. */

const PLANNERS: readonly Role[] = ['MATCH_MANAGER'];
/** Writing points by hand is for super admins only (they decide who buys first). */
const IMPORTERS: readonly Role[] = ['SUPER_ADMIN'];
const tags = ['loyalty'];

export const loyaltyPointsAdminRoutes: RouteRegistrar = async (app, deps) => {
  app.get(
    '/loyalty/distribution',
    {
      config: { access: PLANNERS, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'How many fans hold each points balance, and per LOYALTY tier (E6-F2)',
        description:
          'Balances over the rolling 5 years. For the LOYALTY phases of `match_id` (default: ' +
          'every open or upcoming one): the fans each tier admits (their highest tier ' +
          'reached) and the tickets that allows, for planning the tiers. 404 for no such match.',
        querystring: s.distributionQuery,
        response: { 200: s.distributionOut },
      },
    },
    async (request) => loyaltyDistribution(deps, request.query.match_id),
  );

  // The import takes the CSV as the request body.
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    acceptUploads(scope, {
      types: ['text/csv', 'text/plain', 'application/csv', 'application/octet-stream'],
      maxBytes: deps.config.ATTENDANCE_FILE_MAX_BYTES,
    });
    scope.post(
      '/loyalty/imports',
      {
        bodyLimit: deps.config.ATTENDANCE_FILE_MAX_BYTES,
        config: { access: IMPORTERS, problems: ['LOYALTY_IMPORT_INVALID'] },
        schema: {
          tags,
          summary: 'Import historic loyalty points by OIB (CSV: oib,points,earned_at,reference)',
          description:
            'Body: CSV (text/csv), header `oib,points,earned_at,reference`; earned_at a date ' +
            '(YYYY-MM-DD) or ISO 8601 instant, reference names the historic match. All lines ' +
            'are checked first: 422 LOYALTY_IMPORT_INVALID lists every bad line ' +
            '(errors[].field `file.line.N`) and nothing is written. Idempotent: a fan gets a ' +
            'reference once, so re-importing a file writes nothing twice. OIBs without a fan ' +
            'account are reported (import them again once the fan has one).',
          response: { 200: s.importOut },
        },
      },
      async (request) => {
        return importHistoricPoints(
          deps,
          { userId: requireUser(request).userId, context: { request_id: request.id } },
          uploadOf(request)?.bytes ?? Buffer.alloc(0),
        );
      },
    );
  });
};
