import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { dashboardResponse, portalQuota as portalQuotaSchema } from './portal.schemas.ts';
import { dashboard, portalQuota } from './portal.service.ts';
import { quotaIdParams } from './quotas.schemas.ts';

/**
 * The quota portal's views (E7-F4), for QUOTA_HOLDER tokens (same SSO login as the app,
 * POST /auth/login; the role comes from quota ownership). A holder sees only the quotas
 * and sub-quotas addressed to their email; another's quota id answers 404.
 */
export const quotaPortalViewRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/dashboard',
    {
      config: { access: ['QUOTA_HOLDER'] },
      schema: {
        summary: 'Your quotas and sub-quotas with their seat breakdown (E7-F4)',
        response: { 200: dashboardResponse },
      },
    },
    async (request) => dashboard(deps, requireUser(request).userId),
  );

  app.get(
    '/quotas/:id',
    {
      config: { access: ['QUOTA_HOLDER'], problems: ['NOT_FOUND'] },
      schema: {
        summary: 'One of your quotas, as on the dashboard',
        params: quotaIdParams,
        response: { 200: portalQuotaSchema },
      },
    },
    async (request) => portalQuota(deps, requireUser(request).userId, request.params.id),
  );
};
