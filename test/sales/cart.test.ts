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

describe('a cart addition sent again with its Idempotency-Key', () => {
  const keyedAdd = (
    fan: { token: string },
    sale: { matchId: string; zoneId: string },
    key: string,
    quantity: number,
  ) =>
    t.request({
      method: 'POST',
      url: '/cart/add',
      token: fan.token,
      headers: { 'idempotency-key': key },
      payload: { match_id: sale.matchId, match_sector_id: sale.zoneId, quantity },
    });

  it('answers the seats it holds already (a lost answer after the commit), not a second set', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const first = await keyedAdd(fan, sale, 'add-0001-abcdef', 2);
    expect(first.statusCode).toBe(200);
    // The app did not see the answer (the connection was cut after the commit) and sends
    // the same request again; so does the API's own retry of a cut keyed addition.
    const again = await keyedAdd(fan, sale, 'add-0001-abcdef', 2);
    expect(again.statusCode).toBe(200);
    expect(again.json().added).toEqual(first.json().added);
    expect(again.json().cart.id).toBe(first.json().cart.id);
    expect(await heldBy(first.json().cart.id)).toHaveLength(2);
    // Near the limit the retry is still the same addition, not a fifth and sixth seat.
    const more = await keyedAdd(fan, sale, 'add-0002-abcdef', 2);
    expect(more.statusCode).toBe(200);
    const retried = await keyedAdd(fan, sale, 'add-0002-abcdef', 2);
    expect(retried.statusCode).toBe(200);
    expect(retried.json().added).toEqual(more.json().added);
    expect(await heldBy(first.json().cart.id)).toHaveLength(4);
  });

  it('sent from five devices at once with one key holds one set of seats', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => keyedAdd(fan, sale, 'add-0006-abcdef', 2)),
    );
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => JSON.stringify(a.json().added))).size).toBe(1);
    expect(await heldBy(answers[0]!.json().cart.id)).toHaveLength(2);
  });

  it('a new key adds seats; the same key with another quantity is 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const first = await keyedAdd(fan, sale, 'add-0003-abcdef', 1);
    const reused = await keyedAdd(fan, sale, 'add-0003-abcdef', 2);
    expect(reused.statusCode).toBe(422);
    expect(reused.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    const other = await keyedAdd(fan, sale, 'add-0004-abcdef', 1);
    expect(other.statusCode).toBe(200);
    expect(other.json().added).not.toEqual(first.json().added);
    expect(await heldBy(first.json().cart.id)).toHaveLength(2);
  });

  it('after the cart expired, the key no longer answers the released seats', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const first = await keyedAdd(fan, sale, 'add-0005-abcdef', 2);
    t.clock.advance(20 * MINUTE + 1_000);
    fan.token = await t.deps.tokens.sign({ userId: fan.id, roles: ['FAN'] });
    const later = await keyedAdd(fan, sale, 'add-0005-abcdef', 2);
    expect(later.statusCode).toBe(200);
    expect(later.json().cart.id).not.toBe(first.json().cart.id);
    expect(await heldBy(later.json().cart.id)).toHaveLength(2);
  });
});
