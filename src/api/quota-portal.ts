import type { AppDeps } from '../deps.ts';
import { quotaClaimRoutes } from '../modules/quotas/claims.routes.ts';
import { quotaPortalViewRoutes } from '../modules/quotas/portal.routes.ts';
import { quotaSubquotaRoutes } from '../modules/quotas/subquotas.routes.ts';
import { installRateLimit } from '../platform/http/rate-limit.ts';
import { surface } from './surface.ts';

/**
 * The quota portal (E7-F4 … E7-F6): clubs, sponsors and partners claim and pass on their
 * quotas. Mounted under /quota-portal; same login (SSO) and tokens as the app, routes for
 * QUOTA_HOLDER tokens; rate limited like the public surface.
 */
export const quotaPortalApi = (deps: AppDeps) =>
  surface(
    deps,
    'quota-portal',
    [quotaPortalViewRoutes, quotaClaimRoutes, quotaSubquotaRoutes],
    (app) => installRateLimit(app, deps),
  );
