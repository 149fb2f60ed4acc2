import rateLimit from '@fastify/rate-limit';
import type { AppDeps } from '../deps.ts';
import { surface } from './surface.ts';

/**
 * The fan-facing API (mobile app and web shop): rate limited per user, or per IP for
 * anonymous callers, with counters in Redis so every instance shares them.
 */
export const publicApi = (deps: AppDeps) =>
  surface(deps, 'public', [], async (app) => {
    await app.register(rateLimit, {
      max: deps.config.RATE_LIMIT_MAX,
      timeWindow: deps.config.RATE_LIMIT_WINDOW_MS,
      redis: deps.redis,
      nameSpace: 'ratelimit:',
      // Redis trouble must not take the shop down with it: let requests through.
      skipOnError: true,
      // The auth hook (root onRequest) has already run, so a valid token names the user.
      keyGenerator: (request) => (request.user ? `u:${request.user.userId}` : `ip:${request.ip}`),
    });
  });
