import type { AppDeps } from '../deps.ts';
import type { Executor } from '../platform/db/database.ts';
import type { JobDefinition } from '../platform/jobs.ts';
import type { Seed } from '../platform/seeds.ts';
import { auditJobs } from './audit/audit.jobs.ts';
import { countPendingAuditEvents } from './audit/audit.repo.ts';
import { startAuditShipper } from './audit/audit.shipper.ts';
import { startInvoicingLoops } from './invoicing/documents.delivery.ts';
import { countPendingRequests } from './invoicing/documents.repo.ts';
import { invoicingJobs } from './invoicing/invoicing.jobs.ts';
import { identityJobs } from './identity/identity.jobs.ts';
import { demoSaleSeed } from './matches/demo-sale.seed.ts';
import { matchJobs } from './matches/matches.jobs.ts';
import { inventoryJobs } from './inventory/inventory.jobs.ts';
import { loyaltyJobs } from './loyalty/loyalty.jobs.ts';
import { startEmailDelivery } from './notifications/email.delivery.ts';
import { emailTemplatesSeed } from './notifications/email-templates.ts';
import { notificationJobs } from './notifications/notifications.jobs.ts';
import { countPendingDeliveries } from './notifications/notifications.repo.ts';
import { startPushDelivery } from './notifications/push.delivery.ts';
import { paymentJobs } from './payments/payments.jobs.ts';
import { queueJobs } from './queue/queue.jobs.ts';
// Also registers the QUOTA_HOLDER role source (identity) and the quota claims' order
// completion handler (sales), which workers' settlement needs.
import { quotaJobs } from './quotas/quotas.jobs.ts';
import { petrolJobs } from './petrol/petrol.jobs.ts';
import { reportJobs } from './reports/reports.jobs.ts';
import { salesJobs } from './sales/sales.jobs.ts';
// Registers settlement's handlers of payment events (payments/payment-events.ts), which the
// payment jobs of a worker need.
import './sales/settlement.service.ts';
import { ticketJobs } from './tickets/tickets.jobs.ts';
import { stadiumTemplatesSeed } from './venues/venues.seed.ts';
import { walletJobs } from './wallet/wallet.jobs.ts';

/**
 * The module registry: what each domain module contributes to the process besides routes
 * (routes are listed per surface in src/api/). Add a module's jobs and seeds here.
 * Job factories must not touch deps while building definitions (only their handlers may):
 * the test template installs queues from them with no live dependencies.
 */
export function jobDefinitions(deps: AppDeps): JobDefinition[] {
  return [
    ...auditJobs(deps),
    ...identityJobs(deps),
    ...notificationJobs(deps),
    ...matchJobs(deps),
    ...inventoryJobs(deps),
    ...queueJobs(deps),
    ...salesJobs(deps),
    ...paymentJobs(deps),
    ...ticketJobs(deps),
    ...loyaltyJobs(deps),
    ...quotaJobs(deps),
    ...petrolJobs(deps),
    ...invoicingJobs(deps),
    ...reportJobs(deps),
    ...walletJobs(deps),
  ];
}

/** A loop a worker process runs beside its jobs; stop() waits for the work in flight. */
export interface WorkerLoop {
  stop(): Promise<void>;
}

/**
 * Loops every worker process runs besides pg-boss jobs: continuous drains that would cost
 * a job per item otherwise. Each must be safe to run in any number of processes at once.
 */
export function startWorkerLoops(deps: AppDeps): WorkerLoop[] {
  return [
    startAuditShipper(deps),
    startEmailDelivery(deps),
    startPushDelivery(deps),
    ...startInvoicingLoops(deps),
  ];
}

/**
 * The backlog of each outbox the worker loops drain (rows still to ship or deliver), for
 * /metrics: on-sale day an operator watches confirmations catch up here.
 */
export function outboxBacklogs(db: Executor): Record<string, () => Promise<number>> {
  return {
    audit: () => countPendingAuditEvents(db),
    email: () => countPendingDeliveries(db, 'email_logs'),
    push: () => countPendingDeliveries(db, 'push_logs'),
    eracuni: () => countPendingRequests(db),
  };
}

// The demo sale needs the stadium templates first (development only, see its file).
export const seeds: Seed[] = [emailTemplatesSeed, stadiumTemplatesSeed, demoSaleSeed];
