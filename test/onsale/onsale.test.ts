import { describe, expect, it } from 'vitest';
import { runOnsale } from '../../bench/onsale/run.ts';

/**
 * The on-sale benchmark at small scale, as a test: separate API and worker processes, a
 * 200-seat sector, more fans than seats, one API instance SIGKILLed and restarted and every
 * Redis connection dropped mid-sale. Whatever the timing, the invariants must hold.
 */
describe('on-sale with faults (small scale)', () => {
  it('sells through two instances, survives a killed instance and dropped Redis connections, breaks no invariant', async () => {
    const result = await runOnsale({
      stadium: { rows: 10, seatsPerRow: 20, sectors: 1 },
      fans: 110,
      instances: 2,
      workers: 1,
      killAt: 0.25,
      dropRedisAt: 0.4,
      abandonRate: 0.1,
      webhookChaosRate: 0.2,
      admissionRatePerMinute: 6_000,
      maxActiveBuyers: 500,
      timeLimitSeconds: 150,
      bareClaimSeconds: 2,
      log: () => {},
    });
    expect(result.violations).toEqual(
      Object.fromEntries(Object.keys(result.violations).map((k) => [k, 0])),
    );
    expect(result.invariants_ok).toBe(true);
    expect(result.faults.some((f) => f.startsWith('SIGKILL api-1'))).toBe(true);
    expect(result.faults.some((f) => f.startsWith('dropped'))).toBe(true);
    expect(result.seats_sold).toBeGreaterThanOrEqual(100);
    expect(result.seats_sold).toBeLessThanOrEqual(200);
    // The database-only limits ran on copies of the match (the sale floor checks that it
    // sold every seat once, with one ticket each, or throws).
    expect(result.raw_claim_seats_per_second).toBeGreaterThan(0);
    expect(result.raw_sale_seats_per_second).toBeGreaterThan(0);
    // The cost account (issue 28): every request type of the fans' path, with its CPU and
    // statements, and the bare claim on the same server.
    const cart = result.costs.routes['POST /cart/add']!;
    expect(cart.count).toBeGreaterThan(0);
    expect(cart.cpu_ms).toBeGreaterThan(0);
    expect(cart.statements).toBeGreaterThan(0);
    expect(result.costs.api_cpu_ms_per_order).toBeGreaterThan(0);
    expect(result.bare_claim_seats_per_second).toBeGreaterThan(0);
    expect(result.sellout_floor_seconds).toBeCloseTo(200 / result.raw_sale_seats_per_second, 0);
  }, 300_000);
});
