import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../deps.ts';
import { problemDocument, sendProblem } from '../../platform/http/problem.ts';
import { checkReadiness } from './health.service.ts';

const checks = z.object({ postgres: z.enum(['up', 'down']), redis: z.enum(['up', 'down']) });

/** Liveness, readiness and Prometheus metrics, outside every API surface (no rate limit). */
export const healthRoutes =
  (deps: AppDeps, registry: Registry): FastifyPluginAsync =>
  async (instance) => {
    const app = instance.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/health/live',
      {
        config: { access: 'public' },
        schema: {
          tags: ['health'],
          summary: 'The process is up',
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/health/ready',
      {
        config: { access: 'public' },
        schema: {
          tags: ['health'],
          summary: 'PostgreSQL and Redis answer; 503 problem naming what is down otherwise',
          response: { 200: z.object({ status: z.literal('ready'), checks }) },
        },
      },
      async (request, reply) => {
        const result = await checkReadiness(deps);
        if (result.ready) return { status: 'ready' as const, checks: result.checks };
        const down = Object.entries(result.checks)
          .filter(([, v]) => v === 'down')
          .map(([k]) => k);
        return sendProblem(
          reply,
          problemDocument(request, 'DEPENDENCY_UNAVAILABLE', `Unavailable: ${down.join(', ')}`, {
            extra: { checks: result.checks },
          }),
        );
      },
    );

    app.get(
      '/metrics',
      {
        config: { access: 'public' },
        schema: {
          tags: ['health'],
          summary: 'Prometheus metrics (keep off the public load balancer)',
          hide: true,
        },
      },
      async (_request, reply) => {
        reply.type(registry.contentType);
        return registry.metrics();
      },
    );
  };
