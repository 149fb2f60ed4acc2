/** Staff tools: match managers, support, finance. Mounted under /admin. */
import type { AppDeps } from '../deps.ts';
import { accessControlAdminRoutes } from '../modules/access-control/access-control.routes.ts';
import { identityAdminRoutes } from '../modules/identity/identity.routes.ts';
import { blacklistAutoCancelRoutes } from '../modules/blacklist/auto-cancel.routes.ts';
import { blacklistAdminRoutes } from '../modules/blacklist/blacklist.routes.ts';
import { blacklistImportRoutes } from '../modules/blacklist/import.routes.ts';
import { blacklistViolationRoutes } from '../modules/blacklist/violations.routes.ts';
import { bulkStatusAdminRoutes } from '../modules/inventory/bulk-status.routes.ts';
import {
  inventoryAdminRoutes,
  seatStatusAdminRoutes,
} from '../modules/inventory/inventory.routes.ts';
import { loyaltyAdminRoutes } from '../modules/loyalty/loyalty.routes.ts';
import { loyaltyPointsAdminRoutes } from '../modules/loyalty/points-admin.routes.ts';
import { cancellationAdminRoutes } from '../modules/matches/cancellation.routes.ts';
import { matchSectorAdminRoutes } from '../modules/matches/match-sectors.routes.ts';
import { matchAdminRoutes } from '../modules/matches/matches.routes.ts';
import { salesPhaseAdminRoutes } from '../modules/matches/phases.routes.ts';
import { priceCategoryAdminRoutes } from '../modules/matches/price-categories.routes.ts';
import { stadiumConfigAdminRoutes } from '../modules/matches/stadium-config.routes.ts';
import { refundAdminRoutes } from '../modules/sales/refunds.routes.ts';
import { debtorAdminRoutes } from '../modules/invoicing/debtors.routes.ts';
import { paymentOfferAdminRoutes } from '../modules/invoicing/payment-offers.routes.ts';
import { reportAdminRoutes } from '../modules/invoicing/reports.routes.ts';
import { queueAdminRoutes } from '../modules/queue/queue.routes.ts';
import { quotaAdminRoutes } from '../modules/quotas/quotas.routes.ts';
import { petrolAdminRoutes } from '../modules/petrol/petrol-quotas.routes.ts';
import { dashboardAdminRoutes } from '../modules/reports/dashboard.routes.ts';
import { exportAdminRoutes } from '../modules/reports/exports.routes.ts';
import { salesReportAdminRoutes } from '../modules/reports/sales-report.routes.ts';
import { notificationAdminRoutes } from '../modules/notifications/notifications.routes.ts';
import { seatMapAdminRoutes } from '../modules/venues/seat-maps.routes.ts';
import { sectorAdminRoutes } from '../modules/venues/sectors.routes.ts';
import { snakeConfigAdminRoutes } from '../modules/venues/snake-configs.routes.ts';
import { stadiumAdminRoutes } from '../modules/venues/stadiums.routes.ts';
import { sectorTransferAdminRoutes } from '../modules/tickets/sector-transfer.routes.ts';
import { awayPdfAdminRoutes } from '../modules/wallet/away-pdf.routes.ts';
import { supportLookupAdminRoutes } from '../modules/support/lookup.routes.ts';
import { supportPrintAdminRoutes } from '../modules/support/print.routes.ts';
import { supportRefundAdminRoutes } from '../modules/support/refund-requests.routes.ts';
import { supportTransferAdminRoutes } from '../modules/support/transfer.routes.ts';
import { surface } from './surface.ts';

export const adminApi = (deps: AppDeps) =>
  surface(deps, 'admin', [
    identityAdminRoutes,
    // venues: one registrar per sub-domain, in this order (the OpenAPI paths' order)
    stadiumAdminRoutes,
    sectorAdminRoutes,
    seatMapAdminRoutes,
    snakeConfigAdminRoutes,
    notificationAdminRoutes,
    blacklistAdminRoutes,
    blacklistImportRoutes,
    blacklistAutoCancelRoutes,
    blacklistViolationRoutes,
    // matches: one registrar per sub-domain, in this order (it is the OpenAPI paths' order)
    matchAdminRoutes,
    salesPhaseAdminRoutes,
    stadiumConfigAdminRoutes,
    priceCategoryAdminRoutes,
    matchSectorAdminRoutes,
    cancellationAdminRoutes,
    accessControlAdminRoutes,
    // inventory: single status, bulk status, then search and visualization (OpenAPI order)
    seatStatusAdminRoutes,
    bulkStatusAdminRoutes,
    inventoryAdminRoutes,
    queueAdminRoutes,
    loyaltyAdminRoutes,
    loyaltyPointsAdminRoutes,
    sectorTransferAdminRoutes,
    refundAdminRoutes,
    quotaAdminRoutes,
    petrolAdminRoutes,
    // invoicing: one registrar per sub-domain
    debtorAdminRoutes,
    paymentOfferAdminRoutes,
    reportAdminRoutes,
    // reports: one registrar per sub-domain
    salesReportAdminRoutes,
    exportAdminRoutes,
    dashboardAdminRoutes,
    awayPdfAdminRoutes,
    // support desk (E10): lookup, transfer, refund requests, print (OpenAPI order)
    supportLookupAdminRoutes,
    supportTransferAdminRoutes,
    supportRefundAdminRoutes,
    supportPrintAdminRoutes,
  ]);
