/** Staff tools: match managers, support, finance. Mounted under /admin. */
import type { AppDeps } from '../deps.ts';
import { identityAdminRoutes } from '../modules/identity/identity.routes.ts';
import { blacklistAdminRoutes } from '../modules/blacklist/blacklist.routes.ts';
import { inventoryAdminRoutes } from '../modules/inventory/inventory.routes.ts';
import { loyaltyAdminRoutes } from '../modules/loyalty/loyalty.routes.ts';
import { matchSectorAdminRoutes } from '../modules/matches/match-sectors.routes.ts';
import { matchAdminRoutes } from '../modules/matches/matches.routes.ts';
import { salesPhaseAdminRoutes } from '../modules/matches/phases.routes.ts';
import { priceCategoryAdminRoutes } from '../modules/matches/price-categories.routes.ts';
import { stadiumConfigAdminRoutes } from '../modules/matches/stadium-config.routes.ts';
import { queueAdminRoutes } from '../modules/queue/queue.routes.ts';
import { notificationAdminRoutes } from '../modules/notifications/notifications.routes.ts';
import { venueAdminRoutes } from '../modules/venues/venues.routes.ts';
import { awayPdfAdminRoutes } from '../modules/wallet/away-pdf.routes.ts';
import { surface } from './surface.ts';

export const adminApi = (deps: AppDeps) =>
  surface(deps, 'admin', [
    identityAdminRoutes,
    venueAdminRoutes,
    notificationAdminRoutes,
    blacklistAdminRoutes,
    // matches: one registrar per sub-domain, in this order (it is the OpenAPI paths' order)
    matchAdminRoutes,
    salesPhaseAdminRoutes,
    stadiumConfigAdminRoutes,
    priceCategoryAdminRoutes,
    matchSectorAdminRoutes,
    inventoryAdminRoutes,
    queueAdminRoutes,
    loyaltyAdminRoutes,
    awayPdfAdminRoutes,
  ]);
