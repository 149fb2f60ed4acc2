import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import type { PassContent } from './pass-content.ts';
import { passChangesAt } from './wallet.rules.ts';

/** The wallet's own refreshes: a pass issued before a tier opens is refreshed when it does. */
export const WALLET_REFRESH_QUEUE = 'wallet.refresh';

/**
 * A pass handed out before its seat or QR is shown (E9-F2) changes by itself when the tier
 * opens: a refresh is scheduled for each such instant (one job per ticket and instant,
 * however often the pass is downloaded).
 */
export async function schedulePassRefresh(
  deps: Pick<AppDeps, 'jobs' | 'clock'>,
  db: Executor,
  content: PassContent,
) {
  const now = deps.clock.now().getTime();
  for (const at of passChangesAt(content.state)) {
    if (at.getTime() <= now) continue;
    await deps.jobs.enqueue(
      db,
      WALLET_REFRESH_QUEUE,
      { ticket_ids: [content.ticketId] },
      { startAfter: at, singletonKey: `${content.ticketId}:${at.getTime()}` },
    );
  }
}
