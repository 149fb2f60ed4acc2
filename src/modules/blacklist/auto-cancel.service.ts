import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  sendEmails,
  sendPushes,
  type EmailRequest,
  type PushRequest,
} from '../notifications/notify.ts';
import { releaseHolds } from '../sales/carts.repo.ts';
import { returnSeats } from '../sales/refunds.repo.ts';
import { SEAT_RESALE_CLOSES_BEFORE_KICKOFF_MS } from '../sales/ticket-returns.ts';
import { announceTicketsChanged } from '../tickets/ticket-events.ts';
import {
  activeEntriesOfBatch,
  cancelOpenOrders,
  cancelTickets,
  findAffectedOpenOrders,
  findAffectedTickets,
  findBatchForUpdate,
  lockOibsExclusive,
  lockOrders,
  lockTickets,
  markBatchCancelled,
  markEntriesCancelled,
  type AffectedOrderRow,
  type AffectedTicketRow,
} from './auto-cancel.repo.ts';
import { findEntry, insertAuditLog } from './blacklist.repo.ts';

/**
 * Auto-cancel on entry (E11-F4). Adding a person (by hand or by import) answers the list
 * of their existing tickets; nothing is cancelled until an admin confirms with a second
 * call. The confirmation cancels the tickets as they are then, without refund: the whole
 * order where the person is the buyer, the single ticket where they are a holder; open
 * orders of theirs, or naming them, are cancelled too, since a payment in flight would
 * otherwise issue them a ticket later (settlement refunds such a payment instead).
 *
 * Racing purchases and transfers: they hold the shared advisory lock of each holder OIB
 * while they re-check the list and write (`guardBlacklistedInTransaction`), the
 * confirmation takes the exclusive lock first, then the orders, then the tickets, and
 * reads after each lock (READ COMMITTED: a new snapshot per statement), so whatever
 * committed before is found, and whatever starts after sees the entry and is refused.
 */
type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'jobs'>;

export interface AffectedView {
  ticket_count: number;
  tickets: ReturnType<typeof ticketView>[];
  open_orders: AffectedOrderRow[];
  tickets_cancelled_at: string | null;
  confirm: string | null;
}

const ticketView = (t: AffectedTicketRow) => ({
  ticket_id: t.ticket_id,
  order_id: t.order_id,
  order_number: t.order_number,
  blacklist_id: t.blacklist_id,
  role: t.role,
  match_id: t.match_id,
  match_name: t.match_name,
  kick_off_time: t.kick_off_time.toISOString(),
  holder_name: t.holder_name,
});

/** The tickets and open orders of these entries, as the admin is shown them. */
export async function affectedBy(
  deps: Pick<AppDeps, 'clock'>,
  db: Executor,
  entryIds: readonly string[],
  opts: { confirmPath: string; cancelledAt: Date | null },
): Promise<AffectedView> {
  const [tickets, orders] = await Promise.all([
    findAffectedTickets(db, entryIds, deps.clock.now()),
    findAffectedOpenOrders(db, entryIds),
  ]);
  const pending = tickets.length + orders.length > 0;
  return {
    ticket_count: tickets.length,
    tickets: tickets.map(ticketView),
    open_orders: orders,
    tickets_cancelled_at: opts.cancelledAt?.toISOString() ?? null,
    confirm: pending ? opts.confirmPath : null,
  };
}

export const entryConfirmPath = (id: string) => `/admin/blacklist/${id}/cancel-tickets`;
export const batchConfirmPath = (id: string) => `/admin/blacklist/imports/${id}/cancel-tickets`;

export async function previewEntry(deps: Deps, entryId: string): Promise<AffectedView> {
  const entry = await findEntry(deps.db, entryId);
  if (!entry) throw notFound('Blacklist entry');
  return affectedBy(deps, deps.db, entry.status === 'ACTIVE' ? [entryId] : [], {
    confirmPath: entryConfirmPath(entryId),
    cancelledAt: entry.tickets_cancelled_at,
  });
}

/** POST /admin/blacklist/{id}/cancel-tickets */
export async function confirmEntryCancellation(deps: Deps, actorId: string, entryId: string) {
  return deps.db.transaction().execute(async (trx) => {
    const entry = await findEntry(trx, entryId, { forUpdate: true });
    if (!entry) throw notFound('Blacklist entry');
    if (entry.status !== 'ACTIVE') {
      throw new AppError('BLACKLIST_ENTRY_NOT_ACTIVE', 'The ban was lifted: nothing to cancel');
    }
    return cancelForEntries(deps, trx, actorId, [entryId], { batchId: null });
  });
}

/** POST /admin/blacklist/imports/{id}/cancel-tickets: one confirmation for a whole import. */
export async function confirmBatchCancellation(deps: Deps, actorId: string, batchId: string) {
  return deps.db.transaction().execute(async (trx) => {
    const batch = await findBatchForUpdate(trx, batchId);
    if (!batch) throw notFound('Import batch');
    const entryIds = await activeEntriesOfBatch(trx, batchId);
    const result = await cancelForEntries(deps, trx, actorId, entryIds, { batchId });
    await markBatchCancelled(trx, batchId, actorId, deps.clock.now());
    return result;
  });
}

async function cancelForEntries(
  deps: Deps,
  trx: Executor,
  actorId: string,
  entryIds: string[],
  ctx: { batchId: string | null },
) {
  const now = deps.clock.now();
  await lockOibsExclusive(trx, entryIds);

  // Open orders first: their payment may still succeed; cancelled under the order lock,
  // which settlement takes too, so a success is either before (found below as tickets) or
  // after (refunded by settlement, never completed).
  const open = await findAffectedOpenOrders(trx, entryIds);
  await lockOrders(
    trx,
    open.map((o) => o.order_id),
  );
  const cancelledOrders = await cancelOpenOrders(
    trx,
    open.map((o) => o.order_id),
    now,
  );
  for (const orderId of cancelledOrders) {
    await releaseHolds(trx, orderId, now, {
      reason: 'order cancelled: blacklisted buyer or holder',
      by: actorId,
    });
  }

  // Then the tickets: lock their orders and the tickets, and read again until nothing new
  // appears (a transfer or settlement that held a lock has committed by then).
  let tickets = await findAffectedTickets(trx, entryIds, now);
  for (let round = 0; round < 5; round += 1) {
    await lockOrders(trx, [...new Set(tickets.map((t) => t.order_id))]);
    await lockTickets(
      trx,
      tickets.map((t) => t.ticket_id),
    );
    const again = await findAffectedTickets(trx, entryIds, now);
    const known = new Set(tickets.map((t) => t.ticket_id));
    const stable = again.length === tickets.length && again.every((t) => known.has(t.ticket_id));
    tickets = again;
    if (stable) break;
  }

  const moved = await cancelTickets(
    trx,
    tickets.map((t) => ({
      id: t.ticket_id,
      reason: t.role === 'BUYER' ? ('BLACKLIST_BUYER' as const) : ('BLACKLIST_HOLDER' as const),
    })),
    actorId,
    now,
  );
  if (moved !== tickets.length) throw new Error(`tickets: ${moved} of ${tickets.length} cancelled`);

  const byOrder = new Map<string, AffectedTicketRow[]>();
  for (const t of tickets) byOrder.set(t.order_id, [...(byOrder.get(t.order_id) ?? []), t]);
  for (const [orderId, list] of byOrder) {
    // Seats back on sale, BLOCKED close to kick-off as for refunds (the police list is final).
    const close =
      list[0]!.kick_off_time.getTime() - now.getTime() < SEAT_RESALE_CLOSES_BEFORE_KICKOFF_MS;
    const seatsTo = close ? ('BLOCKED' as const) : ('AVAILABLE' as const);
    await returnSeats(trx, {
      orderId,
      ticketIds: list.map((t) => t.ticket_id),
      to: seatsTo,
      reason: 'ticket cancelled: blacklisted buyer or holder (E11-F4)',
      by: actorId,
      now,
    });
    await recordAudit(deps, trx, {
      domain: 'order',
      action: 'tickets_cancelled_blacklist',
      actor: { type: 'user', id: actorId },
      subject: { type: 'order', id: orderId },
      changes: {
        ticket_ids: list.map((t) => t.ticket_id),
        roles: list.map((t) => t.role),
        blacklist_ids: [...new Set(list.map((t) => t.blacklist_id))],
        refund: false,
        seats_to: seatsTo,
      },
    });
  }
  await announceTicketsChanged(
    deps,
    trx,
    tickets.map((t) => t.ticket_id),
    'CANCELLED',
  );
  await notify(deps, trx, [...byOrder.values()]);

  await markEntriesCancelled(trx, entryIds, actorId, now);
  for (const entryId of entryIds) {
    const mine = tickets.filter((t) => t.blacklist_id === entryId).map((t) => t.ticket_id);
    const orders = open.filter((o) => o.blacklist_id === entryId).map((o) => o.order_id);
    const changes = {
      tickets_cancelled: mine,
      open_orders_cancelled: orders,
      import_batch_id: ctx.batchId,
    };
    await insertAuditLog(trx, {
      blacklist_id: entryId,
      action: 'UPDATE',
      changed_by: actorId,
      changes,
    });
    await recordAudit(deps, trx, {
      domain: 'blacklist',
      action: 'blacklist_tickets_cancelled',
      actor: { type: 'user', id: actorId },
      subject: { type: 'blacklist', id: entryId },
      changes,
    });
  }
  return {
    cancelled_ticket_ids: tickets.map((t) => t.ticket_id),
    cancelled_order_ids: cancelledOrders,
    tickets: tickets.map(ticketView),
    refunds_created: 0 as const,
    tickets_cancelled_at: now.toISOString(),
  };
}

/** Per order: the buyer by email and push; each other holder by email, each other owner by push. */
async function notify(deps: Deps, trx: Executor, orders: AffectedTicketRow[][]) {
  const emails: EmailRequest[] = [];
  const pushes: PushRequest[] = [];
  for (const list of orders) {
    const first = list[0]!;
    const base = { match_name: first.match_name, order_number: first.order_number };
    emails.push({
      template_key: 'tickets_cancelled_blacklist',
      to: first.buyer_email,
      variables: { ...base, recipient_name: first.buyer_email, ticket_count: list.length },
    });
    pushes.push({
      user_id: first.buyer_user_id,
      notification_type: 'ticket_cancelled',
      title: 'Tickets cancelled',
      body: `${list.length} × ${first.match_name}: cancelled (police ban), no longer valid.`,
      data: { order_id: first.order_id },
      priority: 'HIGH',
    });
    const buyerEmail = first.buyer_email.toLowerCase();
    const holders = new Map<string, string>();
    for (const t of list) {
      const email = t.holder_email?.toLowerCase();
      if (email && email !== buyerEmail) holders.set(email, t.holder_name ?? email);
    }
    for (const [email, name] of holders) {
      emails.push({
        template_key: 'tickets_cancelled_blacklist',
        to: email,
        variables: { ...base, recipient_name: name, ticket_count: 1 },
      });
    }
    for (const owner of new Set(list.map((t) => t.owner_user_id))) {
      if (owner === first.buyer_user_id) continue;
      pushes.push({
        user_id: owner,
        notification_type: 'ticket_cancelled',
        title: 'Your ticket was cancelled',
        body: `${first.match_name}: your ticket no longer admits anyone.`,
        data: { order_id: first.order_id },
        priority: 'HIGH',
      });
    }
  }
  if (emails.length) await sendEmails(deps, trx, emails);
  if (pushes.length) await sendPushes(deps, trx, pushes);
}
