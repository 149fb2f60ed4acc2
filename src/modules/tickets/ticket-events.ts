import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';

/**
 * "A ticket changed what it shows" (holder, seat, QR, status): one job per change on this
 * queue, written in the changing transaction (pg-boss is the outbox), so whoever mirrors
 * tickets elsewhere (wallet passes, E9-F4) hears of every committed change and of no
 * rolled-back one. The tickets module does not know who listens.
 */
export const TICKETS_CHANGED_QUEUE = 'tickets.changed';

export type TicketChange =
  'TRANSFERRED' | 'MOVED' | 'REFUNDED' | 'CANCELLED' | 'QR_OPENED' | 'EXTERNAL_PDF';

export interface TicketsChangedEvent {
  ticket_ids: string[];
  change: TicketChange;
}

export async function announceTicketsChanged(
  deps: Pick<AppDeps, 'jobs'>,
  trx: Executor,
  ticketIds: readonly string[],
  change: TicketChange,
): Promise<void> {
  if (ticketIds.length === 0) return;
  await deps.jobs.enqueue<TicketsChangedEvent>(trx, TICKETS_CHANGED_QUEUE, {
    ticket_ids: [...ticketIds],
    change,
  });
}
