import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../deps.ts';
import {
  SharedCounters,
  sharedCounterStore,
  type SharedCountersOptions,
} from './rate-limit-store.ts';

/**
 * Per-caller rate limit for a surface: keyed by user when a valid token was presented
 * (the auth hook runs first, in the root onRequest), else by IP. Counters live in Redis so
 * all instances share them, but requests far below the limit are counted in memory and
 * written every RATE_LIMIT_FLUSH_MS (see rate-limit-store.ts for the bound that costs);
 * Redis trouble lets requests through rather than failing them. Returns the instance's
 * counters (tests look inside).
 */
export async function installRateLimit(
  app: FastifyInstance,
  deps: Pick<AppDeps, 'config' | 'redis'>,
  options: Pick<SharedCountersOptions, 'maxKeys'> = {},
): Promise<SharedCounters> {
  const counters = new SharedCounters({
    redis: deps.redis,
    flushIntervalMs: deps.config.RATE_LIMIT_FLUSH_MS,
    ...options,
  });
  app.addHook('onClose', () => counters.close());
  // For the OpenAPI document: these routes may answer 429 RATE_LIMITED.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, rateLimited: true };
  });
  await app.register(rateLimit, {
    max: deps.config.RATE_LIMIT_MAX,
    timeWindow: deps.config.RATE_LIMIT_WINDOW_MS,
    store: sharedCounterStore(counters, 'ratelimit:'),
    skipOnError: true,
    keyGenerator: (request) => (request.user ? `u:${request.user.userId}` : `ip:${request.ip}`),
  });
  return counters;
}
