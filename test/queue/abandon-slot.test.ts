import { describe, expect, it } from 'vitest';
import { runRound } from '../../src/modules/queue/queue.engine.ts';
import { addToCart, useStripeTestContext } from '../sales/helpers.ts';
import { lineOfThree } from './line.ts';

const { t } = await useStripeTestContext();

describe('an admitted fan who empties their cart', () => {
  it('frees their active-buyer slot for the next fan and keeps their window', async () => {
    const { sale, fans } = await lineOfThree(t);
    const [first, second] = fans;
    expect((await addToCart(t, first!, sale, 2)).statusCode).toBe(200);
    t.clock.advance(2_000);
    expect((await runRound(t.deps, sale.matchId)).admitted).toEqual([]); // the cap

    const cleared = await t.request({
      method: 'DELETE',
      url: `/cart?match_id=${sale.matchId}`,
      token: first!.token,
    });
    expect(cleared.statusCode).toBe(200);
    t.clock.advance(2_000);
    expect((await runRound(t.deps, sale.matchId)).admitted).toEqual([second!.id]);

    // The first fan's window is still open: they may come back and buy.
    expect((await addToCart(t, first!, sale, 1)).statusCode).toBe(200);
    const entry = await t.deps.db
      .selectFrom('queue_entries')
      .select(['status', 'slot_released_at'])
      .where('user_id', '=', first!.id)
      .where('match_id', '=', sale.matchId)
      .executeTakeFirstOrThrow();
    expect(entry.status).toBe('ACTIVE');
    expect(entry.slot_released_at).toBeInstanceOf(Date);

    // Holding seats again, they count again: when the second fan lets go too, the slot
    // stays taken by the first, who is buying, and nobody else is admitted.
    const emptyCart = (token: string) =>
      t.request({ method: 'DELETE', url: `/cart?match_id=${sale.matchId}`, token });
    expect((await emptyCart(second!.token)).statusCode).toBe(200);
    t.clock.advance(2_000);
    expect((await runRound(t.deps, sale.matchId)).admitted).toEqual([]);
    // Once the first lets go again, the third is admitted.
    expect((await emptyCart(first!.token)).statusCode).toBe(200);
    t.clock.advance(2_000);
    expect((await runRound(t.deps, sale.matchId)).admitted).toEqual([fans[2]!.id]);
  });
});
