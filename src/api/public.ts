import type { AppDeps } from '../deps.ts';
import { identityPublicRoutes } from '../modules/identity/identity.routes.ts';
import { loyaltyPublicRoutes } from '../modules/loyalty/loyalty.routes.ts';
import { notificationPublicRoutes } from '../modules/notifications/notifications.routes.ts';
import { petrolPublicRoutes } from '../modules/petrol/pins.routes.ts';
import { queuePublicRoutes } from '../modules/queue/queue.routes.ts';
import { cancellationPublicRoutes } from '../modules/sales/cancellations.routes.ts';
import { salesPublicRoutes } from '../modules/sales/sales.routes.ts';
import { ticketPublicRoutes } from '../modules/tickets/tickets.routes.ts';
import { appleWalletPublicRoutes } from '../modules/wallet/apple.routes.ts';
import { awayPdfPublicRoutes } from '../modules/wallet/away-pdf.routes.ts';
import { googleWalletPublicRoutes, walletAssetRoutes } from '../modules/wallet/google.routes.ts';
import { installRateLimit } from '../platform/http/rate-limit.ts';
import { surface } from './surface.ts';

/**
 * The fan-facing API (mobile app and web shop): rate limited per user, or per IP for
 * anonymous callers, with counters in Redis so every instance shares them.
 */
export const publicApi = (deps: AppDeps) =>
  surface(
    deps,
    'public',
    [
      identityPublicRoutes,
      loyaltyPublicRoutes,
      notificationPublicRoutes,
      queuePublicRoutes,
      salesPublicRoutes,
      cancellationPublicRoutes,
      ticketPublicRoutes,
      petrolPublicRoutes,
      appleWalletPublicRoutes,
      googleWalletPublicRoutes,
      walletAssetRoutes,
      awayPdfPublicRoutes,
    ],
    (app) => installRateLimit(app, deps),
  );
