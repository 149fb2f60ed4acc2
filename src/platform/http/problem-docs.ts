import type { RouteOptions } from 'fastify';
import { problemCatalogue, type ProblemCode } from '../errors.ts';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The problem codes of the route's own use cases (404 NOT_FOUND, 409 CART_EXPIRED …).
     * The codes every route of its kind may answer are added by `platformProblems`.
     * Documented in OpenAPI; the fuzzing test (test/platform/fuzz.test.ts) holds every
     * answer to the list.
     */
    problems?: readonly ProblemCode[];
    /** Set on routes of a rate-limited surface (installRateLimit). */
    rateLimited?: boolean;
  }
}

type DocumentedRoute = Pick<RouteOptions, 'method' | 'url' | 'config'>;

const TAKES_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What any route of this kind can answer, from its method, access and surface. */
export function platformProblems(route: DocumentedRoute): ProblemCode[] {
  const config = route.config ?? {};
  // Any URL may carry malformed escapes, and every parameter is validated.
  const codes: ProblemCode[] = ['VALIDATION_FAILED', 'SERVICE_BUSY'];
  if ([route.method].flat().some((m) => TAKES_BODY.has(String(m).toUpperCase()))) {
    codes.push('MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  }
  if (config.access && config.access !== 'public') codes.push('UNAUTHENTICATED', 'TOKEN_INVALID');
  if (Array.isArray(config.access)) codes.push('FORBIDDEN');
  if (config.rateLimited) codes.push('RATE_LIMITED');
  // An empty path parameter (`/orders/`) names another path, which may not exist.
  if (route.url.includes(':')) codes.push('ROUTE_NOT_FOUND');
  return codes;
}

const problemSchema = (codes: readonly ProblemCode[]) => ({
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'instance', 'code', 'request_id'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', enum: [...codes] },
    request_id: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
});

/**
 * The route's problem responses for the OpenAPI document: one per status, listing every
 * code the route may answer with it (RFC 9457 `application/problem+json`).
 */
export function problemResponses(route: DocumentedRoute): Record<string, unknown> {
  const byStatus = new Map<number, ProblemCode[]>();
  const all = new Set([...platformProblems(route), ...(route.config?.problems ?? [])]);
  for (const code of all) {
    const { status } = problemCatalogue[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    codes.sort();
    responses[String(status)] = {
      description: codes.map((c) => `${c}: ${problemCatalogue[c].title}`).join('; '),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema(codes) } },
    };
  }
  return responses;
}
