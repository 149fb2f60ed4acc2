import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
} from 'fastify-type-provider-zod';
import { isDatabaseUnavailable } from '../db/database.ts';
import { isRedisUnavailable } from '../redis.ts';
import { AppError, problemCatalogue, type FieldError, type ProblemCode } from '../errors.ts';

/**
 * RFC 9457 problem details for every error the service answers: thrown AppErrors,
 * schema validation, malformed JSON, oversized bodies, unknown routes, rate limits and
 * anything unexpected (logged in full, answered without internals).
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://tickets.hns.hr/problems/';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ProblemCode;
  request_id: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export function problemDocument(
  request: FastifyRequest,
  code: ProblemCode,
  detail?: string,
  extras: { errors?: FieldError[]; extra?: Record<string, unknown> } = {},
): ProblemDocument {
  const entry = problemCatalogue[code];
  return {
    ...extras.extra,
    type: TYPE_BASE + code.toLowerCase().replaceAll('_', '-'),
    title: entry.title,
    status: entry.status,
    detail: detail ?? entry.title,
    instance: request.url,
    code,
    request_id: String(request.id),
    ...(extras.errors ? { errors: extras.errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, doc: ProblemDocument): FastifyReply {
  return reply.status(doc.status).type(PROBLEM_CONTENT_TYPE).send(doc);
}

/** Maps Fastify's own error codes onto our catalogue. */
function classifyFrameworkError(
  error: FastifyError,
): { code: ProblemCode; detail?: string } | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'MALFORMED_JSON', detail: error.message };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'PAYLOAD_TOO_LARGE' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'UNSUPPORTED_MEDIA_TYPE', detail: error.message };
  }
  if (error instanceof SyntaxError && error.statusCode === 400)
    return { code: 'MALFORMED_JSON', detail: error.message };
  if (error.statusCode === 429) return { code: 'RATE_LIMITED', detail: error.message };
  if (error.statusCode === 413) return { code: 'PAYLOAD_TOO_LARGE' };
  if (error.statusCode === 415) return { code: 'UNSUPPORTED_MEDIA_TYPE', detail: error.message };
  return null;
}

/** node-postgres' pool gave up waiting for a free connection (DATABASE_CONNECT_TIMEOUT_MS). */
const isPoolExhausted = (error: Error) =>
  error.message === 'timeout exceeded when trying to connect';

/**
 * Fastify's `frameworkErrors`: a URL whose percent-escapes are not UTF-8 (`%ED%A0%80`, a
 * lone surrogate) or whose path parameter is longer than the router takes is refused
 * before routing; answered as any other invalid parameter instead of Fastify's own JSON.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path parameter is too long'
      : 'the path is not valid percent-encoded UTF-8';
  void sendProblem(
    reply,
    problemDocument(request, 'VALIDATION_FAILED', 'The URL is not valid', {
      errors: [{ field: 'params', message }],
    }),
  );
}

/** A restart or failover takes seconds: clients come back after this many. */
const DATABASE_RETRY_AFTER_S = 2;

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.code === 'SERVICE_BUSY') reply.header('retry-after', '1');
      return sendProblem(reply, problemDocument(request, error.code, error.message, error));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const errors = error.validation.map((v) => ({
        field: [error.validationContext, ...String(v.instancePath).split('/').filter(Boolean)].join(
          '.',
        ),
        message: v.message ?? 'is invalid',
      }));
      return sendProblem(
        reply,
        problemDocument(request, 'VALIDATION_FAILED', `${errors.length} field(s) are invalid`, {
          errors,
        }),
      );
    }
    if (isPoolExhausted(error)) {
      // Load shedding, not a failure: every connection stayed busy for the whole wait.
      // Nothing was written (the transaction never started), so a retry is safe.
      reply.header('retry-after', '1');
      return sendProblem(
        reply,
        problemDocument(request, 'SERVICE_BUSY', 'Too many requests in flight; retry in a second'),
      );
    }
    if (isDatabaseUnavailable(error) || isRedisUnavailable(error)) {
      // PostgreSQL or Redis restarting or failing over. A transaction dies whole with its
      // connection (rolled back, or committed whole when the cut came after COMMIT): nothing
      // is half-written, and the client retries after Retry-After.
      const which = isRedisUnavailable(error) ? 'Redis' : 'The database';
      request.log.warn(
        { err: error },
        `${isRedisUnavailable(error) ? 'redis' : 'database'} unavailable`,
      );
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_S));
      return sendProblem(
        reply,
        problemDocument(request, 'SERVICE_BUSY', `${which} is not reachable; retry shortly`),
      );
    }
    const known = classifyFrameworkError(error);
    if (known) return sendProblem(reply, problemDocument(request, known.code, known.detail));
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, cause: error.cause }, 'response did not match its schema');
    } else {
      request.log.error({ err: error }, 'unhandled error');
    }
    return sendProblem(
      reply,
      problemDocument(request, 'INTERNAL_ERROR', 'Something went wrong on our side'),
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problemDocument(
        request,
        'ROUTE_NOT_FOUND',
        `${request.method} ${request.url.split('?')[0]} does not exist`,
      ),
    ),
  );
}
