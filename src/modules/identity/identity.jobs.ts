import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { purgeSessions } from './sessions.repo.ts';

export const PURGE_SESSIONS_QUEUE = 'identity.purge-sessions';
/** Dead sessions are kept this long for support questions ("was I logged out?"). */
export const SESSION_RETENTION_DAYS = 30;
const PURGE_BATCH = 5_000;

/**
 * Daily removal of sessions that expired or were revoked more than 30 days ago, so the
 * sessions table (one row per login per device) does not grow without bound. A dead
 * session is already refused by /auth/refresh; deleting it changes no behaviour.
 */
export const identityJobs = (deps: AppDeps) => [
  defineJob<object>({
    name: PURGE_SESSIONS_QUEUE,
    cron: '17 3 * * *',
    queue: { retryLimit: 2, retryDelay: 60, expireInSeconds: 900 },
    handler: async () => {
      await runSessionPurge(deps);
    },
  }),
];

export async function runSessionPurge(deps: Pick<AppDeps, 'db' | 'clock'>): Promise<number> {
  const before = new Date(deps.clock.now().getTime() - SESSION_RETENTION_DAYS * 86_400_000);
  let total = 0;
  for (;;) {
    const deleted = await purgeSessions(deps.db, before, PURGE_BATCH);
    total += deleted;
    if (deleted < PURGE_BATCH) return total;
  }
}
