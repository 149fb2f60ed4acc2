import type { AppDeps } from '../deps.ts';
import { petrolPortalRoutes } from '../modules/petrol/reservations.routes.ts';
import { installRateLimit } from '../platform/http/rate-limit.ts';
import { surface } from './surface.ts';

/**
 * The petrol-station cashier portal (E12-F2, E12-F3): PIN lookup, sale confirmation,
 * reservations. Mounted under /petrol-portal; PETROL_STAFF tokens; rate limited like the
 * public surface, and PIN lookups further by their own failure limits (modules/petrol).
 */
export const petrolPortalApi = (deps: AppDeps) =>
  surface(deps, 'petrol-portal', [petrolPortalRoutes], (app) => installRateLimit(app, deps));
