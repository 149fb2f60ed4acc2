/** Callbacks from payment and email providers, verified by signature. Mounted under /webhooks. */
import type { AppDeps } from '../deps.ts';
import { notificationWebhookRoutes } from '../modules/notifications/notifications.routes.ts';
import { settlementWebhookRoutes } from '../modules/sales/settlement.routes.ts';
import { surface } from './surface.ts';

export const webhooksApi = (deps: AppDeps) =>
  surface(deps, 'webhooks', [notificationWebhookRoutes, settlementWebhookRoutes]);
