import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { useTestContext } from '../harness/context.ts';

// The on-sale bench's per-route cost account (issue 28, src/platform/http/cost-account.ts).
const t = useTestContext({ env: { BENCH_COST_ACCOUNT: 'true' } });

interface Costs {
  process_cpu_us: number;
  routes: Record<string, { count: number; cpu_us: number; statements: number; db_ms: number }>;
  statements: Record<string, Record<string, number>>;
}
const costs = async (reset = false) =>
  (
    await t.request({ method: 'GET', url: `/health/costs${reset ? '?reset=1' : ''}` })
  ).json<Costs>();

describe('cost account (BENCH_COST_ACCOUNT)', () => {
  it('charges each request its own statements, also with many requests in flight at once', async () => {
    await costs(true);
    const answers = await Promise.all(
      Array.from({ length: 24 }, () => t.request({ method: 'GET', url: '/health/ready' })),
    );
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    await t.request({ method: 'GET', url: '/health/live' });
    const out = await costs();
    // /health/ready runs exactly one statement (SELECT 1): interleaved requests must not
    // take each other's.
    expect(out.routes['GET /health/ready']).toMatchObject({ count: 24, statements: 24 });
    expect(out.routes['GET /health/ready']!.cpu_us).toBeGreaterThan(0);
    expect(out.routes['GET /health/ready']!.db_ms).toBeGreaterThan(0);
    expect(out.statements['GET /health/ready']).toEqual({ 'SELECT 1': 24 });
    expect(out.routes['GET /health/live']).toMatchObject({ count: 1, statements: 0 });
    expect(out.process_cpu_us).toBeGreaterThan(0);
    // The charges never exceed the process's CPU (they are main-thread CPU only).
    const charged = Object.values(out.routes).reduce((n, r) => n + r.cpu_us, 0);
    expect(charged).toBeLessThanOrEqual(out.process_cpu_us);
  });

  it('starts again from zero on ?reset=1', async () => {
    await t.request({ method: 'GET', url: '/health/ready' });
    await costs(true);
    const out = await costs();
    expect(out.routes['GET /health/ready']).toBeUndefined();
  });

  it('does not exist when the flag is off (production)', async () => {
    const app = await buildApp(
      { ...t.deps, config: { ...t.config, BENCH_COST_ACCOUNT: false } },
      { revocations: false },
    );
    try {
      const res = await app.inject({ method: 'GET', url: '/health/costs' });
      expect(res.statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });
});
