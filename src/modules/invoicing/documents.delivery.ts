import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import type { ERacuniDocType } from '../../platform/db/types.generated.ts';
import {
  EracuniRejected,
  getInvoicingGateway,
  type DocumentRequest,
  type InvoicingGateway,
} from '../../platform/adapters/eracuni/eracuni.ts';
import {
  startBatchLoop,
  type BatchLoop,
  type BatchLoopOptions,
} from '../../platform/batch-loop.ts';
import * as repo from './documents.repo.ts';
import { takeInCreditNoteRequests } from './credit-notes.repo.ts';
import { buildCreditNote } from './credit-notes.service.ts';
import { invoiceRequestOf } from './invoices.service.ts';
import { pollDelayMs, requestRetryMs } from './invoicing.rules.ts';

/**
 * The invoicing loops every worker runs: the delivery loop drains e_racuni_requests (the
 * outbox) into documents at e-računi, the polling loop follows each document to
 * FISCALIZED or CANCELLED.
 *
 * Guarantees. A request is leased (one committed statement, SKIP LOCKED, REQUEST_LEASE_MS)
 * before its call, so no transaction stays open while e-računi answers and a worker that
 * dies mid-call leaves the request to be retried after the lease. Never a second
 * document: the client looks our reference up before creating and before each retried
 * create (eracuni.ts), and the document row is unique per (type, local reference). A
 * refused request (EracuniRejected: the service will not take it) is FAILED and stays in
 * the table for finance (audit-invariants reports it); any other failure is retried with
 * backoff (requestRetryMs) as long as it takes: e-računi down for a whole on-sale only
 * delays the invoices.
 */

export const REQUEST_BATCH = 20;
export const REQUEST_LEASE_MS = 5 * 60_000;

/** What a request's document is, or why it must wait (its invoice not there yet). */
export type Built =
  | { request: DocumentRequest; orderId: string | null; after?: (trx: Executor) => Promise<void> }
  | { wait: string }
  | { reject: string };

export type Builder = (db: Executor, localId: string, now: Date) => Promise<Built>;

// Payment offers are created at once by their route (payment-offers.service.ts).
const builders: Partial<Record<ERacuniDocType, Builder>> = {
  INVOICE: async (db, orderId, now) => {
    const request = await invoiceRequestOf(db, orderId, now);
    return request ? { request, orderId } : { reject: `order ${orderId} does not exist` };
  },
  CREDIT_NOTE: buildCreditNote,
};

type Deps = Pick<AppDeps, 'db' | 'clock' | 'logger' | 'config'>;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Creates the documents of one batch of due requests; returns how many were leased. */
export async function deliverDocumentBatch(
  deps: Deps,
  gateway: InvoicingGateway | undefined = getInvoicingGateway(deps.config, deps.logger),
  limit = REQUEST_BATCH,
): Promise<number> {
  if (!gateway) return 0;
  const now = deps.clock.now();
  await takeInCreditNoteRequests(deps.db, now, limit);
  const leased = await repo.leaseDueRequests(
    deps.db,
    now,
    new Date(now.getTime() + REQUEST_LEASE_MS),
    limit,
  );
  await Promise.all(leased.map((r) => deliverOne(deps, gateway, r)));
  return leased.length;
}

async function deliverOne(deps: Deps, gateway: InvoicingGateway, r: repo.RequestRow) {
  const now = deps.clock.now();
  const retryLater = (message: string) =>
    repo.markRequestFailed(
      deps.db,
      r.id,
      r.attempts + 1,
      new Date(now.getTime() + requestRetryMs(r.attempts + 1, deps.config.ERACUNI_RETRY_MS)),
      message,
    );
  try {
    const builder = builders[r.document_type];
    const built: Built = builder
      ? await builder(deps.db, r.local_reference_id, now)
      : { reject: `no builder for ${r.document_type}` };
    if ('wait' in built) return await retryLater(built.wait);
    if ('reject' in built)
      return await repo.markRequestFailed(deps.db, r.id, r.attempts, null, built.reject);
    const doc = await gateway.createDocument(built.request);
    const final = doc.status === 'FISCALIZED' || doc.status === 'CANCELLED';
    await deps.db.transaction().execute(async (trx) => {
      await repo.insertDocument(trx, {
        document_type: r.document_type,
        local_reference_id: r.local_reference_id,
        order_id: built.orderId,
        reference: built.request.reference,
        e_racuni_id: doc.id,
        e_racuni_number: doc.number,
        fiscalization_id: doc.fiscalizationId,
        status: doc.status,
        total_amount: doc.total,
        currency: built.request.currency,
        public_url: doc.publicUrl,
        next_poll_at: final
          ? null
          : new Date(now.getTime() + pollDelayMs(0, deps.config.ERACUNI_POLL_MS)),
        created_at: now,
        fiscalized_at: doc.status === 'FISCALIZED' ? now : null,
      });
      await repo.markRequestDone(trx, r.id, deps.clock.now());
      await built.after?.(trx);
    });
  } catch (err) {
    if (err instanceof EracuniRejected) {
      deps.logger.error({ requestId: r.id, err }, 'e-računi refused a document; request FAILED');
      await repo.markRequestFailed(deps.db, r.id, r.attempts + 1, null, errorText(err));
      return;
    }
    deps.logger.warn({ requestId: r.id, err }, 'e-računi document not created yet; retrying later');
    await retryLater(errorText(err));
  }
}

/** Follows one batch of documents not final yet; returns how many were leased. */
export async function pollDocumentBatch(
  deps: Deps,
  gateway: InvoicingGateway | undefined = getInvoicingGateway(deps.config, deps.logger),
  limit = REQUEST_BATCH,
): Promise<number> {
  if (!gateway) return 0;
  const now = deps.clock.now();
  const leased = await repo.leaseDocumentsToPoll(
    deps.db,
    now,
    new Date(now.getTime() + REQUEST_LEASE_MS),
    limit,
  );
  await Promise.all(
    leased.map(async (d) => {
      const polls = d.poll_attempts + 1;
      try {
        const remote = await gateway.getDocument(d.document_type, d.e_racuni_id);
        const final = remote.status === 'FISCALIZED' || remote.status === 'CANCELLED';
        await repo.updatePolledDocument(deps.db, d.id, {
          status: remote.status,
          fiscalization_id: remote.fiscalizationId ?? d.fiscalization_id,
          public_url: remote.publicUrl ?? d.public_url,
          fiscalized_at:
            remote.status === 'FISCALIZED'
              ? (d.fiscalized_at ?? deps.clock.now())
              : d.fiscalized_at,
          next_poll_at: final
            ? null
            : new Date(now.getTime() + pollDelayMs(polls, deps.config.ERACUNI_POLL_MS)),
          poll_attempts: polls,
        });
      } catch (err) {
        deps.logger.warn({ documentId: d.id, err }, 'e-računi status poll failed; retrying later');
        await repo.updatePolledDocument(deps.db, d.id, {
          status: d.status,
          fiscalization_id: d.fiscalization_id,
          public_url: d.public_url,
          fiscalized_at: d.fiscalized_at,
          next_poll_at: new Date(now.getTime() + pollDelayMs(polls, deps.config.ERACUNI_POLL_MS)),
          poll_attempts: polls,
        });
      }
    }),
  );
  return leased.length;
}

/** The two loops of a worker process. */
export function startInvoicingLoops(deps: AppDeps, options: BatchLoopOptions = {}): BatchLoop[] {
  return [
    startBatchLoop(
      'e-računi delivery',
      deps.logger,
      REQUEST_BATCH,
      () => deliverDocumentBatch(deps),
      {
        pollMs: 1_000,
        ...options,
      },
    ),
    startBatchLoop(
      'e-računi status polling',
      deps.logger,
      REQUEST_BATCH,
      () => pollDocumentBatch(deps),
      {
        pollMs: 1_000,
        ...options,
      },
    ),
  ];
}
