import { setTimeout as sleep } from 'node:timers/promises';
import type { AppDeps } from '../../deps.ts';
import { defineJob } from '../../platform/jobs.ts';
import { tendAll } from './queue.engine.ts';
import { acquireLock, extendLock, keys, releaseLock } from './queue.redis.ts';

export const QUEUE_TICK_JOB = 'queue.tick';

/** How long one tick job keeps running rounds before the next minute's job takes over. */
const LOOP_MS = 55_000;

/**
 * Admission rounds every QUEUE_TICK_MS. pg-boss schedules are per minute, so the minute's
 * job loops for ~55 s. A Redis lease makes one loop run rounds at a time across all
 * workers (a second loop waits for the lease); each match round also takes its own lock,
 * so even overlapping loops could not admit twice. The loop stops when pg-boss aborts the
 * job (shutdown, expiry).
 */
export const queueJobs = (deps: AppDeps) => [
  defineJob<object>({
    name: QUEUE_TICK_JOB,
    cron: '* * * * *',
    queue: { expireInSeconds: 120, retryLimit: 0 },
    handler: async (_data, job) => {
      const tickMs = deps.config.QUEUE_TICK_MS;
      const leaseMs = tickMs * 3 + 10_000;
      const until = Date.now() + LOOP_MS;
      let lease: string | null = null;
      try {
        while (Date.now() < until && !job.signal.aborted) {
          const started = Date.now();
          try {
            lease =
              lease && (await extendLock(deps.redis, keys.ticker(), lease, leaseMs))
                ? lease
                : await acquireLock(deps.redis, keys.ticker(), leaseMs);
            if (lease) await tendAll(deps);
          } catch (err) {
            // PostgreSQL or Redis away for a moment (restart, failover): keep ticking. Ending
            // the job would stop admissions until the next minute's job starts.
            deps.logger.warn({ err }, 'queue tick failed; retrying');
          }
          const wait = Math.max(0, tickMs - (Date.now() - started));
          await sleep(wait, undefined, { signal: job.signal }).catch(() => undefined);
        }
      } finally {
        if (lease) await releaseLock(deps.redis, keys.ticker(), lease).catch(() => undefined);
      }
    },
  }),
];
