/** Service-to-service endpoints. Mounted under /internal. */
import type { AppDeps } from '../deps.ts';
import { blacklistInternalRoutes } from '../modules/blacklist/blacklist.routes.ts';
import { surface } from './surface.ts';

export const internalApi = (deps: AppDeps) => surface(deps, 'internal', [blacklistInternalRoutes]);
