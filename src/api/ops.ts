/** Pages for staff in a browser (the operations room): HTML and its assets, not in OpenAPI. */
import type { AppDeps } from '../deps.ts';
import { opsPageRoutes } from '../modules/reports/ops.routes.ts';
import { surface } from './surface.ts';

export const opsPages = (deps: AppDeps) => surface(deps, 'ops', [opsPageRoutes]);
