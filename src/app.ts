import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler } from 'fastify-type-provider-zod';
import { adminApi } from './api/admin.ts';
import { internalApi } from './api/internal.ts';
import { publicApi } from './api/public.ts';
import { petrolPortalApi } from './api/petrol-portal.ts';
import { quotaPortalApi } from './api/quota-portal.ts';
import { opsPages } from './api/ops.ts';
import { webhooksApi } from './api/webhooks.ts';
import type { AppDeps } from './deps.ts';
import { healthRoutes } from './modules/health/health.routes.ts';
import { startSessionRevocations } from './modules/identity/revocations.ts';
import { outboxBacklogs } from './modules/index.ts';
import { installAuth } from './platform/http/auth.ts';
import { installDatabaseRetry } from './platform/http/db-retry.ts';
import { createCostAccount } from './platform/http/cost-account.ts';
import { createMetrics } from './platform/http/metrics.ts';
import { problemResponses } from './platform/http/problem-docs.ts';
import { frameworkErrorHandler, installProblemHandlers } from './platform/http/problem.ts';
import { installValidation } from './platform/http/validation.ts';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** The HTTP application: platform plugins first, then one encapsulated plugin per API surface. */
export interface BuildOptions {
  /** Follow session revocations (default). Off only to describe the routes (npm run openapi). */
  revocations?: boolean;
}

export async function buildApp(
  deps: AppDeps,
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only narrows the generic.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: frameworkErrorHandler,
    ajv: { customOptions: { coerceTypes: 'array' } },
  });

  installValidation(app);
  app.setSerializerCompiler(serializerCompiler);
  installProblemHandlers(app);
  // Before the auth hook: @fastify/websocket marks an upgrade request in its own onRequest
  // hook and closes the raw socket in onResponse only for requests it marked. Registered
  // after auth, a refused upgrade (401/403 thrown in onRequest) would get its problem
  // response but keep the socket open; in this order every websocket route answers the
  // problem and then closes the connection.
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  if (options.revocations ?? true) {
    const revocations = await startSessionRevocations(deps);
    app.addHook('onClose', () => revocations.close());
    installAuth(app, deps.tokens, revocations);
  } else {
    installAuth(app, deps.tokens);
  }
  installDatabaseRetry(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const metrics = createMetrics(deps.pool, deps.jobs, outboxBacklogs(deps.db));
  metrics.install(app);
  if (config.BENCH_COST_ACCOUNT) {
    const costs = createCostAccount();
    costs.install(app);
    // Read (and with ?reset=1 restarted) by bench:onsale; hidden from the API description.
    app.get(
      '/health/costs',
      { config: { access: 'public' }, schema: { hide: true } },
      async (request) => {
        const out = costs.snapshot();
        if ((request.query as { reset?: string }).reset === '1') costs.reset();
        return out;
      },
    );
  }

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });
  await app.register(cors, {
    origin: config.CORS_ORIGINS.length ? config.CORS_ORIGINS : false,
    credentials: true,
    exposedHeaders: ['x-request-id'],
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'HNS Ticketing API',
        version: '0.1.0',
        description:
          'Ticketing backend of the Croatian Football Federation. Errors are RFC 9457 ' +
          '`application/problem+json` documents with a stable `code`.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    // Each operation also documents its problem responses: every code it may answer.
    transform: (document) => {
      const out = jsonSchemaTransform(document);
      if (out.schema && !out.schema.hide) {
        const schema = out.schema as { response?: Record<string, unknown> };
        schema.response = { ...schema.response, ...problemResponses(document.route) };
      }
      return out;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });

  await app.register(healthRoutes(deps, metrics.registry));
  await app.register(publicApi(deps));
  await app.register(adminApi(deps), { prefix: '/admin' });
  await app.register(quotaPortalApi(deps), { prefix: '/quota-portal' });
  await app.register(petrolPortalApi(deps), { prefix: '/petrol-portal' });
  await app.register(internalApi(deps), { prefix: '/internal' });
  await app.register(webhooksApi(deps), { prefix: '/webhooks' });
  await app.register(opsPages(deps));

  return app;
}
