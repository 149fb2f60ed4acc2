import { describe, expect, it } from 'vitest';
import { addToCart, createFan, createSale, MINUTE, useStripeTestContext } from './helpers.ts';

/** The fan's cart of a match: one ACTIVE cart, reused, renewed once it expired (E4-F4). */
const { t } = await useStripeTestContext();

const cartsOf = (userId: string, matchId: string) =>
  t.deps.db
    .selectFrom('carts')
    .select(['id', 'status', 'expires_at'])
    .where('user_id', '=', userId)
    .where('match_id', '=', matchId)
    .orderBy('created_at')
    .execute();

const heldBy = (cartId: string) =>
  t.deps.db
    .selectFrom('match_seat_inventory')
    .select('id')
    .where('hold_owner_id', '=', cartId)
    .where('status', '=', 'RESERVED')
    .execute();

describe('the cart of a fan and match', () => {
  it('adds to the same cart, which keeps its expiry', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const first = await addToCart(t, fan, sale, 2);
    t.clock.advance(MINUTE);
    const second = await addToCart(t, fan, sale, 1);
    expect(second.statusCode).toBe(200);
    expect(second.json().cart.id).toBe(first.json().cart.id);
    expect(second.json().cart.expires_at).toBe(first.json().cart.expires_at);
    expect(await cartsOf(fan.id, sale.matchId)).toHaveLength(1);
    expect(await heldBy(first.json().cart.id)).toHaveLength(3);
  });

  it('closes a cart that expired and opens a new one for the next addition', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const old = (await addToCart(t, fan, sale, 2)).json().cart;
    t.clock.advance(20 * MINUTE + 1_000);
    fan.token = await t.deps.tokens.sign({ userId: fan.id, roles: ['FAN'] });
    const renewed = await addToCart(t, fan, sale, 1);
    expect(renewed.statusCode).toBe(200);
    const cart = renewed.json().cart;
    expect(cart.id).not.toBe(old.id);
    expect(new Date(cart.expires_at).getTime()).toBe(t.clock.now().getTime() + 20 * MINUTE);
    expect((await cartsOf(fan.id, sale.matchId)).map((c) => [c.id, c.status])).toEqual([
      [old.id, 'EXPIRED'],
      [cart.id, 'ACTIVE'],
    ]);
    expect(await heldBy(old.id)).toHaveLength(0);
    expect(await heldBy(cart.id)).toHaveLength(1);
  });

  it('opens exactly one cart when one fan adds from many devices at once', async () => {
    const sale = await createSale(t.deps, { rows: 4, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const adds = await Promise.all(Array.from({ length: 12 }, () => addToCart(t, fan, sale, 1)));
    const ok = adds.filter((r) => r.statusCode === 200);
    const refused = adds.filter((r) => r.statusCode !== 200);
    // the per-match limit (4) decides how many succeed; all of them land in one cart
    expect(ok).toHaveLength(4);
    expect(refused.map((r) => r.json().code)).toEqual(Array(8).fill('PURCHASE_LIMIT_EXCEEDED'));
    expect(new Set(ok.map((r) => r.json().cart.id)).size).toBe(1);
    const carts = await cartsOf(fan.id, sale.matchId);
    expect(carts.map((c) => c.status)).toEqual(['ACTIVE']);
    expect(await heldBy(carts[0]!.id)).toHaveLength(4);
  });
});
