import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { hasAccess, type Access } from '../auth/roles.ts';
import type { AccessClaims, TokenService } from '../auth/tokens.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route. Required on every route (checked at registration). */
    access?: Access;
  }
  interface FastifyInstance {
    /** Every registered route with its declared access (used by the security test and docs). */
    accessTable: RouteAccess[];
  }
  interface FastifyRequest {
    /** The caller, when a valid access token was presented. */
    user: AccessClaims | null;
    /** Closes this request's WebSocket when the caller's session is revoked. */
    closeOnRevocation(socket: Closable): void;
  }
}

export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

/** The caller of a route that requires authentication. */
export function requireUser(request: FastifyRequest): AccessClaims {
  if (!request.user) throw new AppError('UNAUTHENTICATED');
  return request.user;
}

/** Routes Fastify or plugins add on their own (docs UI, HEAD twins) that are public by nature. */
const isFrameworkRoute = (url: string) => url.startsWith('/docs') || url === '*';

/**
 * One hook enforces every route's declared access: 401 without a valid token (signed, not
 * expired, its session not revoked), 403 without one of the roles. It runs in onRequest,
 * before the body is parsed or validated, so an anonymous caller learns nothing about the
 * request shape.
 */
/** What the auth hook needs of the revocation list (modules/identity/revocations.ts). */
export interface Revocations {
  /** Was this session revoked? In memory. */
  isRevoked(sessionId: string): boolean;
  watch(sessionId: string, connection: Closable): void;
}
export interface Closable {
  close(code?: number, reason?: string): void;
  once(event: 'close', listener: () => void): unknown;
}
const noRevocations: Revocations = { isRevoked: () => false, watch: () => {} };

export function installAuth(
  app: FastifyInstance,
  tokens: TokenService,
  revocations: Revocations = noRevocations,
): void {
  app.decorateRequest('user', null);
  app.decorateRequest('closeOnRevocation', function (this: FastifyRequest, socket: Closable) {
    if (this.user?.sessionId) revocations.watch(this.user.sessionId, socket);
  });
  const table: RouteAccess[] = [];
  app.decorate('accessTable', table);

  app.addHook('onRoute', (route) => {
    if (!route.config?.access) {
      if (!isFrameworkRoute(route.url)) {
        throw new Error(`route ${route.method} ${route.url} does not declare config.access`);
      }
      route.config = { ...route.config, access: 'public' };
    }
    for (const method of [route.method].flat()) {
      table.push({ method, url: route.url, access: route.config.access! });
    }
  });

  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    const access = request.routeOptions.config?.access;
    if (header?.startsWith('Bearer ')) {
      const claims = await tokens.verify(header.slice(7).trim());
      // A token of a revoked session (logout, suspension, reuse) is no token at all.
      request.user = claims?.sessionId && revocations.isRevoked(claims.sessionId) ? null : claims;
      if (!request.user && access && access !== 'public') throw new AppError('TOKEN_INVALID');
    }
    if (!access || access === 'public') return;
    if (!request.user) throw new AppError('UNAUTHENTICATED');
    if (!hasAccess(access, request.user.roles)) {
      throw new AppError('FORBIDDEN', 'Your roles do not allow this action');
    }
  });
}
