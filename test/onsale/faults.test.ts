import { describe, expect, it } from 'vitest';
import { runOnsale } from '../../bench/onsale/run.ts';

/**
 * The on-sale benchmark at small scale with the two faults of issue 17: a private
 * PostgreSQL of the run's own stopped (fast: every connection ends with 57P01) and started
 * again, and a private redis-server SIGKILLed and started again without its data, both
 * mid-sale. No process may exit, the sale must finish and every invariant must hold.
 */
describe('on-sale through a PostgreSQL restart and a Redis restart without data (small scale)', () => {
  it('keeps selling after both, no process exits, no 500, breaks no invariant', async () => {
    const result = await runOnsale({
      stadium: { rows: 6, seatsPerRow: 20, sectors: 1 },
      fans: 90,
      instances: 2,
      workers: 1,
      killAt: 0,
      dropRedisAt: 0,
      restartDbAt: 0.2,
      dbDownMs: 2_000,
      restartRedisAt: 0.5,
      abandonRate: 0.1,
      webhookChaosRate: 0.1,
      admissionRatePerMinute: 600,
      maxActiveBuyers: 10,
      timeLimitSeconds: 120,
      // The raw limits are the ratio's floor; here only the faults matter.
      rawConcurrency: 4,
      bareClaimSeconds: 0,
      log: () => {},
    });
    expect(result.violations).toEqual(
      Object.fromEntries(Object.keys(result.violations).map((k) => [k, 0])),
    );
    expect(result.invariants_ok).toBe(true);
    expect(result.faults.some((f) => f.startsWith('PostgreSQL back'))).toBe(true);
    expect(result.faults.some((f) => f.startsWith('Redis restarted empty'))).toBe(true);
    expect(result.unexpected_exits).toEqual([]);
    expect(result.http_500).toBe(0);
    // Sold out, not stopped by the time limit: selling resumed after both faults.
    expect(result.sellout_seconds).not.toBeNull();
    expect(result.seats_sold).toBe(120);
    expect(result.fault_stalls.map((f) => f.fault)).toEqual([
      'PostgreSQL restart',
      'Redis restart without data',
    ]);
  }, 180_000);
});
