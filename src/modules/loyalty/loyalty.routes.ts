import type { RouteRegistrar } from '../../api/surface.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { requireUser } from '../../platform/http/auth.ts';
import * as s from './loyalty.schemas.ts';
import { getMyLoyalty, getMyLoyaltyHistory, getUserLoyalty } from './loyalty.service.ts';

/** Staff who plan LOYALTY allocations or answer fans about their points (SUPER_ADMIN too). */
const LOYALTY_VIEWERS: readonly Role[] = ['MATCH_MANAGER', 'SUPPORT_AGENT', 'SUPPORT_SUPERVISOR'];

/** The fan's loyalty points (E6-F1). */
export const loyaltyPublicRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/users/me/loyalty',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['loyalty'],
        summary: 'Points balance over the rolling 5 years and the tier in LOYALTY phases (E6-F1)',
        response: { 200: s.loyaltySummary },
      },
    },
    async (request) => getMyLoyalty(deps, requireUser(request).userId),
  );

  app.get(
    '/users/me/loyalty/history',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['loyalty'],
        summary: 'Points match by match, newest first (E6-F1)',
        querystring: s.pageQuery,
        response: { 200: s.loyaltyHistory },
      },
    },
    async (request) =>
      getMyLoyaltyHistory(
        deps,
        requireUser(request).userId,
        request.query.page,
        request.query.limit,
      ),
  );
};

/** Any user's points for allocation planning and support (E6-F1, E6-F2). */
export const loyaltyAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/users/:id/loyalty',
    {
      config: { access: LOYALTY_VIEWERS, problems: ['NOT_FOUND'] },
      schema: {
        tags: ['loyalty'],
        summary: "A user's points balance, LOYALTY phase standing and full history (E6-F1)",
        description:
          'Roles MATCH_MANAGER, SUPPORT_AGENT, SUPPORT_SUPERVISOR. 404 for no such user.',
        params: s.userIdParams,
        response: { 200: s.adminLoyalty },
      },
    },
    async (request) => getUserLoyalty(deps, request.params.id),
  );
};
