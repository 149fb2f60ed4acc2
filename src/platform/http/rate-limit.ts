import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../deps.ts';

/**
 * Per-caller rate limit for a surface: keyed by user when a valid token was presented
 * (the auth hook runs first, in the root onRequest), else by IP. Counters live in Redis so
 * all instances share them; Redis trouble lets requests through rather than failing them.
 */
export async function installRateLimit(
  app: FastifyInstance,
  deps: Pick<AppDeps, 'config' | 'redis'>,
) {
  await app.register(rateLimit, {
    max: deps.config.RATE_LIMIT_MAX,
    timeWindow: deps.config.RATE_LIMIT_WINDOW_MS,
    redis: deps.redis,
    nameSpace: 'ratelimit:',
    skipOnError: true,
    keyGenerator: (request) => (request.user ? `u:${request.user.userId}` : `ip:${request.ip}`),
  });
}
