/** Staff tools: match managers, support, finance. Mounted under /admin. */
import type { AppDeps } from '../deps.ts';
import { identityAdminRoutes } from '../modules/identity/identity.routes.ts';
import { blacklistAdminRoutes } from '../modules/blacklist/blacklist.routes.ts';
import { inventoryAdminRoutes } from '../modules/inventory/inventory.routes.ts';
import { loyaltyAdminRoutes } from '../modules/loyalty/loyalty.routes.ts';
import { matchAdminRoutes } from '../modules/matches/matches.routes.ts';
import { queueAdminRoutes } from '../modules/queue/queue.routes.ts';
import { notificationAdminRoutes } from '../modules/notifications/notifications.routes.ts';
import { venueAdminRoutes } from '../modules/venues/venues.routes.ts';
import { surface } from './surface.ts';

export const adminApi = (deps: AppDeps) =>
  surface(deps, 'admin', [
    identityAdminRoutes,
    venueAdminRoutes,
    notificationAdminRoutes,
    blacklistAdminRoutes,
    matchAdminRoutes,
    inventoryAdminRoutes,
    queueAdminRoutes,
    loyaltyAdminRoutes,
  ]);
