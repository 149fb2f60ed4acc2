import { expect } from 'vitest';
import { runRound } from '../../src/modules/queue/queue.engine.ts';
import type { TestContext } from '../harness/context.ts';
import { createFan, createSale } from '../sales/helpers.ts';

/**
 * A queued sale with three fans in line, room for one active buyer at a time, and the
 * first fan admitted by a round (the purchase-side tests of the active-buyer cap).
 */
export async function lineOfThree(t: TestContext) {
  const sale = await createSale(t.deps, { queued: true, rows: 2, seatsPerRow: 10 });
  const fans = [await createFan(t.deps), await createFan(t.deps), await createFan(t.deps)];
  for (const fan of fans) {
    const joined = await t.request({
      method: 'POST',
      url: `/queue/${sale.matchId}/join`,
      token: fan.token,
    });
    expect([200, 201]).toContain(joined.statusCode);
  }
  const configured = await t.request({
    method: 'PUT',
    url: `/admin/matches/${sale.matchId}/queue`,
    token: await t.token(fans[2]!.id, ['MATCH_MANAGER']),
    payload: { admission_rate_per_minute: 600, max_active_buyers: 1 },
  });
  expect(configured.statusCode).toBe(200);
  t.clock.advance(2_000);
  expect((await runRound(t.deps, sale.matchId)).admitted).toEqual([fans[0]!.id]);
  return { sale, fans };
}
