import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { sendPushes, type PushRequest } from '../notifications/notify.ts';
import { takeQrReadyTickets, type QrReadyTicket } from './tickets.repo.ts';

export const QR_READY_QUEUE = 'tickets.notify-qr-ready';
const QR_READY_BATCH = 2_000;

/**
 * "Your QR code is ready" (E9-F2): every minute, the tickets whose QR tier has opened
 * (5 hours before kick-off) are marked and their owners — whoever holds them now, after a
 * transfer too — get one push per match, within a minute of the QR opening. A ticket bought
 * after that was announced by its purchase and is only marked. pg-boss runs the schedule
 * once across workers; a run repeats batches until nothing is left, one transaction each
 * (marks and pushes together: rolled back, nobody is told and the next run retries).
 */
export const ticketJobs = (deps: AppDeps) => [
  defineJob<object>({
    name: QR_READY_QUEUE,
    cron: '* * * * *',
    queue: { retryLimit: 2, retryDelay: 10, expireInSeconds: 300 },
    handler: async () => {
      await runQrReadyNotices(deps);
    },
  }),
];

const kickOffTime = new Intl.DateTimeFormat('hr-HR', {
  timeZone: 'Europe/Zagreb',
  timeStyle: 'short',
});

/** One push per owner and match, counting that owner's tickets of the match. */
export function qrReadyPushes(tickets: readonly QrReadyTicket[]): PushRequest[] {
  const byOwnerAndMatch = new Map<string, { first: QrReadyTicket; count: number }>();
  for (const x of tickets) {
    if (!x.notify) continue;
    const key = `${x.owner_user_id}:${x.match_id}`;
    const group = byOwnerAndMatch.get(key);
    if (group) group.count += 1;
    else byOwnerAndMatch.set(key, { first: x, count: 1 });
  }
  return [...byOwnerAndMatch.values()].map(({ first, count }) => ({
    user_id: first.owner_user_id,
    notification_type: 'ticket_qr_ready',
    title: count === 1 ? 'Your QR code is ready' : `Your ${count} QR codes are ready`,
    body: `${first.home_team} – ${first.away_team}, kick-off ${kickOffTime.format(first.kick_off_time)}: show it at the gate`,
    data: { deeplink: `hns://matches/${first.match_id}/tickets`, match_id: first.match_id },
    priority: 'HIGH',
  }));
}

export async function runQrReadyNotices(deps: Pick<AppDeps, 'db' | 'clock'>) {
  const total = { tickets: 0, pushes: 0 };
  for (;;) {
    const taken = await deps.db.transaction().execute(async (trx) => {
      const tickets = await takeQrReadyTickets(trx, deps.clock.now(), QR_READY_BATCH);
      const pushes = qrReadyPushes(tickets);
      if (pushes.length > 0) await sendPushes(deps, trx, pushes);
      return { tickets: tickets.length, pushes: pushes.length };
    });
    total.tickets += taken.tickets;
    total.pushes += taken.pushes;
    if (taken.tickets < QR_READY_BATCH) return total;
  }
}
