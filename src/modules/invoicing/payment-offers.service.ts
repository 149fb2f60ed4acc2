import type { AppDeps } from '../../deps.ts';
import { EracuniRejected, getInvoicingGateway } from '../../platform/adapters/eracuni/eracuni.ts';
import { zagrebDate } from '../../platform/clock.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import type { OfferStatus } from '../../platform/db/types.generated.ts';
import type { Executor } from '../../platform/db/database.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { sendEmails } from '../notifications/notify.ts';
import { formatEuro } from '../sales/settlement.service.ts';
import { completeOfferPaidOrder } from '../sales/quota-checkout.service.ts';
import { findDebtor } from './debtors.repo.ts';
import { insertDocument } from './documents.repo.ts';
import { findOrdersForInvoice } from './invoices.repo.ts';
import { queueInvoiceRequest } from './invoices.service.ts';
import { dueDate, offerLines, referenceOf } from './invoicing.rules.ts';
import * as repo from './payment-offers.repo.ts';

/**
 * Payment offers (E8-F4): finance groups a debtor's orders into one e-računi payment offer
 * (ponuda, e-računi's SalesQuote) with the debtor's payment terms. Statuses DRAFT (ours
 * only) → SENT (e-računi has it) → PAID or OVERDUE (the daily job, due date passed) →
 * PAID; DRAFT/SENT/OVERDUE → CANCELLED. An order is in at most one live offer
 * (payment_offer_orders). Marking an offer PAID queues the invoice of each of its orders.
 *
 * The offer is written (DRAFT) before e-računi is called, and SENT with e-računi's id and
 * number after, so a failed call leaves a DRAFT that POST …/send retries; the call is
 * idempotent by our reference (HNS-PO-<offer id>), never a second offer at e-računi.
 *
 * Which orders may be offered: OFFERABLE_ORDER_STATUSES — the DEFERRED order of a quota
 * claim paid later (E7-F5), and an order named but not paid by card (PENDING) — and a
 * COMPLETED order paid at a petrol station (E12): the petrol company owes HNS what its
 * cashiers took, settled through the offer to it as debtor. Marking the offer PAID
 * completes each DEFERRED order through the order machine (OFFER_PAID, sales
 * completeOfferPaidOrder: seats sold, tickets issued) and queues each order's invoice.
 */
export const OFFERABLE_ORDER_STATUSES: readonly string[] = ['DEFERRED', 'PENDING'];

const TRANSITIONS: Record<
  'send' | 'paid' | 'cancel' | 'overdue',
  { from: OfferStatus[]; to: OfferStatus }
> = {
  send: { from: ['DRAFT'], to: 'SENT' },
  paid: { from: ['SENT', 'OVERDUE'], to: 'PAID' },
  cancel: { from: ['DRAFT', 'SENT', 'OVERDUE'], to: 'CANCELLED' },
  overdue: { from: ['SENT'], to: 'OVERDUE' },
};

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'logger' | 'jobs'>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
export const offerView = (o: repo.OfferRow, sendError: string | null = null) => ({
  id: o.id,
  debtor_id: o.debtor_id,
  status: o.status,
  orders: o.orders,
  total_amount: o.total_amount,
  currency: o.currency,
  due_date: String(o.due_date),
  e_racuni_id: o.e_racuni_id,
  e_racuni_reference: o.e_racuni_reference,
  created_by: o.created_by,
  created_at: o.created_at.toISOString(),
  sent_at: iso(o.sent_at),
  paid_at: iso(o.paid_at),
  cancelled_at: iso(o.cancelled_at),
  overdue_at: iso(o.overdue_at),
  send_error: sendError,
});

export async function createOffer(
  deps: Deps,
  actorId: string,
  body: { debtor_id: string; order_ids: string[] },
) {
  const now = deps.clock.now();
  const offer = await deps.db.transaction().execute(async (trx) => {
    const debtor = await findDebtor(trx, body.debtor_id, { forUpdate: true });
    if (!debtor) throw notFound('Debtor');
    const orders = await repo.lockOrders(trx, body.order_ids);
    const missing = body.order_ids.filter((id) => !orders.some((o) => o.id === id));
    if (missing.length) throw notFound(`Order ${missing[0]}`);
    const refused = orders.filter(
      (o) =>
        !(
          OFFERABLE_ORDER_STATUSES.includes(o.status) ||
          // the petrol company's settlement (E12): what its cashiers took for HNS
          (o.paid_at_petrol_station && o.status === 'COMPLETED')
        ) || o.offer_id,
    );
    if (refused.length) {
      throw new AppError(
        'ORDERS_NOT_OFFERABLE',
        `Orders not unpaid or already in an offer: ${refused.map((o) => o.id).join(', ')}`,
      );
    }
    const currencies = new Set(orders.map((o) => o.currency));
    if (currencies.size > 1)
      throw new AppError('ORDERS_NOT_OFFERABLE', 'The orders are in different currencies');
    const row = await repo.insertOffer(trx, {
      debtor_id: debtor.id,
      orders: body.order_ids,
      total_amount: orders.reduce((a, o) => a + o.total_amount, 0),
      currency: orders[0]!.currency,
      due_date: dueDate(now, debtor.payment_terms_days),
      created_by: actorId,
      created_at: now,
    });
    await recordAudit(deps, trx, {
      domain: 'payment',
      action: 'payment_offer_created',
      actor: { type: 'user', id: actorId },
      subject: { type: 'payment_offer', id: row.id },
      changes: { debtor_id: debtor.id, orders: row.orders, total_amount: row.total_amount },
    });
    return row;
  });
  return sendToEracuni(deps, actorId, offer);
}

/** Retries e-računi for a DRAFT offer. */
export async function sendOffer(deps: Deps, actorId: string, id: string) {
  const offer = await repo.findOffer(deps.db, id);
  if (!offer) throw notFound('Payment offer');
  if (offer.status !== 'DRAFT')
    throw new AppError('OFFER_STATUS_CONFLICT', `The offer is ${offer.status}`);
  return sendToEracuni(deps, actorId, offer);
}

async function sendToEracuni(deps: Deps, actorId: string, offer: repo.OfferRow) {
  const gateway = getInvoicingGateway(deps.config, deps.logger);
  if (!gateway) return offerView(offer, 'ERACUNI_URL is not configured');
  const debtor = (await findDebtor(deps.db, offer.debtor_id))!;
  const orders = await findOrdersForInvoice(deps.db, offer.orders);
  let doc;
  try {
    doc = await gateway.createDocument({
      kind: 'PAYMENT_OFFER',
      reference: referenceOf('PAYMENT_OFFER', offer.id),
      date: zagrebDate(offer.created_at),
      currency: offer.currency,
      buyer: { name: debtor.name, email: debtor.email, oib: debtor.oib, address: debtor.address },
      lines: offerLines(orders),
      dueDate: String(offer.due_date),
    });
  } catch (err) {
    if (err instanceof EracuniRejected) throw new AppError('ERACUNI_REJECTED', err.message);
    deps.logger.warn({ offerId: offer.id, err }, 'payment offer not sent to e-računi yet');
    return offerView(offer, (err as Error).message);
  }
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const sent = await repo.transitionOffer(
      trx,
      offer.id,
      TRANSITIONS.send.from,
      TRANSITIONS.send.to,
      {
        e_racuni_id: doc.id,
        e_racuni_reference: doc.number,
        sent_at: now,
      },
    );
    await insertDocument(trx, {
      document_type: 'PAYMENT_OFFER',
      local_reference_id: offer.id,
      order_id: null,
      reference: referenceOf('PAYMENT_OFFER', offer.id),
      e_racuni_id: doc.id,
      e_racuni_number: doc.number,
      fiscalization_id: doc.fiscalizationId,
      status: doc.status,
      total_amount: doc.total,
      currency: offer.currency,
      public_url: doc.publicUrl,
      next_poll_at: null,
      created_at: now,
      fiscalized_at: null,
    });
    // sent concurrently by another call: answer its state
    if (!sent) return offerView((await repo.findOffer(trx, offer.id))!);
    await recordAudit(deps, trx, {
      domain: 'payment',
      action: 'payment_offer_sent',
      actor: { type: 'user', id: actorId },
      subject: { type: 'payment_offer', id: offer.id },
      changes: { e_racuni_id: doc.id, e_racuni_reference: doc.number },
    });
    return offerView(sent);
  });
}

/**
 * PAID (from SENT or OVERDUE): the money came. In the same transaction each DEFERRED order
 * is completed (OFFER_PAID: its seats sold, its tickets issued) and each order's invoice is
 * queued.
 */
export async function markOfferPaid(deps: Deps, actorId: string, id: string) {
  return changeOffer(deps, actorId, id, 'paid', async (trx, offer) => {
    for (const orderId of offer.orders) {
      await completeOfferPaidOrder(deps, trx, orderId, actorId);
      await queueInvoiceRequest(deps, trx, orderId);
    }
  });
}

/** CANCELLED: its orders may go into another offer. */
export async function cancelOffer(deps: Deps, actorId: string, id: string) {
  return changeOffer(deps, actorId, id, 'cancel', (trx, offer) =>
    repo.releaseOfferOrders(trx, offer.id),
  );
}

async function changeOffer(
  deps: Deps,
  actorId: string,
  id: string,
  change: 'paid' | 'cancel',
  effect: (
    trx: Parameters<typeof repo.releaseOfferOrders>[0],
    offer: repo.OfferRow,
  ) => Promise<void>,
) {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const current = await repo.findOffer(trx, id, { forUpdate: true });
    if (!current) throw notFound('Payment offer');
    const t = TRANSITIONS[change];
    const next = await repo.transitionOffer(
      trx,
      id,
      t.from,
      t.to,
      change === 'paid' ? { paid_at: now } : { cancelled_at: now },
    );
    if (!next)
      throw new AppError(
        'OFFER_STATUS_CONFLICT',
        `A ${current.status} offer cannot become ${t.to}`,
      );
    await effect(trx, next);
    await recordAudit(deps, trx, {
      domain: 'payment',
      action: change === 'paid' ? 'payment_offer_paid' : 'payment_offer_cancelled',
      actor: { type: 'user', id: actorId },
      subject: { type: 'payment_offer', id },
      changes: { from: current.status, to: t.to },
    });
    return offerView(next);
  });
}

export async function getOffer(deps: Deps, id: string) {
  const offer = await repo.findOffer(deps.db, id);
  if (!offer) throw notFound('Payment offer');
  return offerView(offer);
}

export async function listOffers(
  deps: Deps,
  query: { status?: OfferStatus; debtor_id?: string; page: number; limit: number },
) {
  const { items, total } = await repo.listOffers(deps.db, query);
  return { items: items.map((o) => offerView(o)), total, page: query.page, limit: query.limit };
}

/**
 * The daily job: every SENT offer whose due date has passed (Zagreb calendar) becomes
 * OVERDUE in one transaction, and finance is told in it: one email listing the offers
 * (`payment_offers_overdue`, through the outbox) to FINANCE_EMAIL, or without it to every
 * active FINANCE user; an audit event per offer and a warning in the log. A second run (or
 * a second worker) finds nothing left SENT, so nobody is told twice.
 */
export async function markOverdueOffers(deps: Deps): Promise<string[]> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const overdue = await repo.markOverdue(trx, zagrebDate(now), now);
    for (const offer of overdue) {
      await recordAudit(deps, trx, {
        domain: 'payment',
        action: 'payment_offer_overdue',
        actor: { type: 'system' },
        subject: { type: 'payment_offer', id: offer.id },
        changes: {
          debtor_id: offer.debtor_id,
          due_date: String(offer.due_date),
          total_amount: offer.total_amount,
        },
      });
    }
    if (overdue.length) {
      await tellFinance(
        deps,
        trx,
        overdue.map((o) => o.id),
      );
      deps.logger.warn(
        { offers: overdue.map((o) => o.id) },
        `${overdue.length} payment offer(s) overdue: finance, see GET /admin/payment-offers?status=OVERDUE`,
      );
    }
    return overdue.map((o) => o.id);
  });
}

async function tellFinance(deps: Deps, trx: Executor, offerIds: string[]) {
  const lines = await repo.overdueOfferLines(trx, offerIds);
  const to = deps.config.FINANCE_EMAIL?.length
    ? deps.config.FINANCE_EMAIL
    : await repo.financeUserEmails(trx);
  if (to.length === 0) {
    deps.logger.error(
      { offers: offerIds },
      'overdue payment offers: nobody to tell (set FINANCE_EMAIL or grant FINANCE)',
    );
    return;
  }
  const total = lines.reduce((sum, l) => sum + l.total_amount, 0);
  const list = lines
    .map(
      (l) =>
        `${l.e_racuni_reference ?? l.id} · ${l.debtor_name} · rok ${l.due_date} · ${formatEuro(l.total_amount)}`,
    )
    .join('\n');
  const url = `${deps.config.PUBLIC_BASE_URL.replace(/\/+$/, '')}/admin/payment-offers?status=OVERDUE`;
  await sendEmails(
    deps,
    trx,
    to.map((email) => ({
      template_key: 'payment_offers_overdue',
      to: email,
      locale: 'hr' as const,
      variables: {
        offers_count: lines.length,
        offers_total: formatEuro(total),
        offers_list: list,
        offers_url: url,
      },
    })),
  );
}
