import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { isDatabaseUnavailable } from '../db/database.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The use case is idempotent by design, so a run cut by a lost database connection may
     * run once more. Reads (GET, HEAD) always are; a function decides per request (e.g.
     * only with an Idempotency-Key).
     */
    idempotent?: boolean | ((request: FastifyRequest) => boolean);
  }
}

/** Long enough for a pool to drop its dead connections and open new ones. */
const RETRY_DELAY_MS = 300;

function retriable(request: FastifyRequest): boolean {
  const declared = request.routeOptions.config?.idempotent;
  if (typeof declared === 'function') return declared(request);
  if (declared !== undefined) return declared;
  return request.method === 'GET' || request.method === 'HEAD';
}

/**
 * A database restart or failover cuts the connections of the requests in flight. Their
 * transactions die whole with the connection, so an idempotent use case is run once more
 * on a fresh connection; any other (and a second failure) is answered 503 SERVICE_BUSY
 * with Retry-After by the problem handler. WebSocket routes are left alone.
 */
export function installDatabaseRetry(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (route.websocket) return;
    const handler = route.handler as RouteHandlerMethod;
    route.handler = async function (this: FastifyInstance, request, reply: FastifyReply) {
      try {
        return await handler.call(this, request, reply);
      } catch (err) {
        if (reply.sent || !isDatabaseUnavailable(err) || !retriable(request)) throw err;
        request.log.warn({ err }, 'database connection lost; running the request once more');
        await sleep(RETRY_DELAY_MS);
        return handler.call(this, request, reply);
      }
    };
  });
}
