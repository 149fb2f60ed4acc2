import type { AppDeps } from '../../deps.ts';
import { withTimeout } from '../../platform/redis.ts';

/**
 * What the inventory sub-domains (seat status, bulk status, search and visualization)
 * share: the acting user, the dependencies, and the status summary cache they invalidate.
 */

/** Who asks, and from where (for audit events). */
export interface Actor {
  userId: string;
  context?: Record<string, unknown>;
}

export type InventoryDeps = Pick<AppDeps, 'db' | 'jobs' | 'clock' | 'redis' | 'logger'>;

const CACHE_TIMEOUT_MS = 250;

/** Per match, hash-tagged so every key of a match lives in one Redis Cluster slot. */
export const summaryCacheKey = (matchId: string) => `inventory:status-summary:{${matchId}}`;

/** Best effort: a Redis problem must not fail a status change that has committed. */
export async function invalidateSummary(deps: Pick<AppDeps, 'redis' | 'logger'>, matchId: string) {
  try {
    await withTimeout(deps.redis.del(summaryCacheKey(matchId)), CACHE_TIMEOUT_MS);
  } catch (err) {
    deps.logger.warn({ err, matchId }, 'status summary cache invalidation failed');
  }
}
