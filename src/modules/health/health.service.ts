import { sql } from 'kysely';
import type { AppDeps } from '../../deps.ts';
import { pingRedis, withTimeout } from '../../platform/redis.ts';

export interface Readiness {
  ready: boolean;
  checks: { postgres: 'up' | 'down'; redis: 'up' | 'down' };
}

/** Each dependency gets a short deadline so a hung one reads as down, not as a hung probe. */
export async function checkReadiness(
  deps: Pick<AppDeps, 'db' | 'redis'>,
  timeoutMs = 1_000,
): Promise<Readiness> {
  const [postgres, redis] = await Promise.all([
    withTimeout(sql`SELECT 1`.execute(deps.db), timeoutMs).then(
      () => 'up' as const,
      () => 'down' as const,
    ),
    pingRedis(deps.redis, timeoutMs).then((ok) => (ok ? ('up' as const) : ('down' as const))),
  ]);
  return { ready: postgres === 'up' && redis === 'up', checks: { postgres, redis } };
}
