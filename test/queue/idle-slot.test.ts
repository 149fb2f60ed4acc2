import { describe, expect, it } from 'vitest';
import { runRound } from '../../src/modules/queue/queue.engine.ts';
import { addToCart, MINUTE, useStripeTestContext, type Fan } from '../sales/helpers.ts';
import { lineOfThree } from './line.ts';

const { t } = await useStripeTestContext();

/** A round after `ms` more; access tokens live 15 minutes, so the fans get fresh ones. */
async function roundAfter(matchId: string, fans: Fan[], ms: number) {
  t.clock.advance(ms);
  for (const fan of fans) fan.token = await t.deps.tokens.sign({ userId: fan.id, roles: ['FAN'] });
  return (await runRound(t.deps, matchId)).admitted;
}

describe('an admitted fan who does not start buying', () => {
  it('stops holding an active-buyer slot after QUEUE_IDLE_SLOT_MS and keeps the window', async () => {
    const { sale, fans } = await lineOfThree(t);
    const [first, second] = fans;
    expect(await roundAfter(sale.matchId, fans, 4 * MINUTE)).toEqual([]); // the cap
    // Five minutes after admission without a seat: the next fan gets the slot.
    expect(await roundAfter(sale.matchId, fans, MINUTE + 1_000)).toEqual([second!.id]);
    // The first fan's window (20 minutes) is still open: they may come back and buy.
    expect((await addToCart(t, first!, sale, 2)).statusCode).toBe(200);
    // Back to buying, they count again: with two buyers counted the cap admits nobody.
    expect(await roundAfter(sale.matchId, fans, 2_000)).toEqual([]);
  });

  it('keeps counting a fan who holds a cart, however long they take', async () => {
    const { sale, fans } = await lineOfThree(t);
    expect((await addToCart(t, fans[0]!, sale, 2)).statusCode).toBe(200);
    expect(await roundAfter(sale.matchId, fans, 10 * MINUTE)).toEqual([]);
    expect(await roundAfter(sale.matchId, fans, 9 * MINUTE)).toEqual([]);
  });
});
