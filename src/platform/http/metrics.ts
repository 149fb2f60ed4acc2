import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import client from 'prom-client';
import type { JobQueue } from '../jobs.ts';

/**
 * Prometheus metrics: request histograms per route, DB pool use, job queue depths and the
 * backlogs of the outboxes (`outboxes`: name → count of rows still to ship or deliver).
 */
export function createMetrics(
  pool: pg.Pool,
  jobs: JobQueue | null,
  outboxes: Record<string, () => Promise<number>> = {},
) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  new client.Gauge({
    name: 'db_pool_connections',
    help: 'PostgreSQL pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });

  new client.Gauge({
    name: 'job_queue_jobs',
    help: 'Background jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      if (!jobs) return;
      try {
        for (const q of await jobs.boss.getQueues()) {
          this.set({ queue: q.name, state: 'queued' }, q.queuedCount);
          this.set({ queue: q.name, state: 'active' }, q.activeCount);
          this.set({ queue: q.name, state: 'deferred' }, q.deferredCount);
        }
      } catch {
        // The job store being unreachable shows in /health/ready; metrics stay best-effort.
      }
    },
  });

  new client.Gauge({
    name: 'outbox_rows',
    help: 'Rows waiting in each outbox (audit events to ship, emails and pushes to deliver)',
    labelNames: ['outbox'] as const,
    registers: [registry],
    async collect() {
      for (const [outbox, count] of Object.entries(outboxes)) {
        try {
          this.set({ outbox }, await count());
        } catch {
          // Best-effort, as above: an unreachable database shows in /health/ready.
        }
      }
    },
  });

  return {
    registry,
    install(app: FastifyInstance) {
      app.addHook('onResponse', async (request, reply) => {
        httpDuration.observe(
          {
            method: request.method,
            route: request.routeOptions.url ?? 'unmatched',
            status_code: String(reply.statusCode),
          },
          reply.elapsedTime / 1000,
        );
      });
    },
  };
}
