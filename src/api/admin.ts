/** Staff tools: match managers, support, finance. Mounted under /admin. */
import type { AppDeps } from '../deps.ts';
import { blacklistAdminRoutes } from '../modules/blacklist/blacklist.routes.ts';
import { matchAdminRoutes } from '../modules/matches/matches.routes.ts';
import { surface } from './surface.ts';

export const adminApi = (deps: AppDeps) => surface(deps, 'admin', [blacklistAdminRoutes, matchAdminRoutes]);
