import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { lockWaiters } from '../harness/locks.ts';
import {
  addToCart,
  createFan,
  createSale,
  holdersFor,
  nameHolders,
  useStripeTestContext,
  orderStatusOf,
} from './helpers.ts';

const { t } = await useStripeTestContext();

/**
 * Naming holders locks the cart and then its order; starting the payment must take them in
 * the same order. Staged: the cart is locked from outside, holders named again queue on it,
 * then the payment starts; when the outside lock goes, taking the order first deadlocked
 * (seen in bench:onsale as 500 INTERNAL_ERROR "deadlock detected" on /checkout/pay).
 */
describe('checkout: cart and order locks', () => {
  it('names holders again and starts the payment at the same time without a deadlock', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const cart = (await addToCart(t, fan, sale, 2)).json().cart;
    const order = (await nameHolders(t, fan, cart.id, holdersFor(2))).json();

    const blocker = new pg.Client({ connectionString: t.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM carts WHERE id = $1 FOR UPDATE', [cart.id]);
      const renamed = nameHolders(t, fan, cart.id, holdersFor(2));
      await lockWaiters(t.deps.db, 1);
      const pay = t.request({
        method: 'POST',
        url: '/checkout/pay',
        token: fan.token,
        payload: { order_id: order.id },
      });
      await lockWaiters(t.deps.db, 2);
      await blocker.query('COMMIT');

      const [named, paid] = await Promise.all([renamed, pay]);
      expect(named.statusCode).toBe(200);
      expect(named.json().id).toBe(order.id);
      expect(paid.statusCode).toBe(200);
      expect(paid.json().order_id).toBe(order.id);
    } finally {
      await blocker.end();
    }
    expect(await orderStatusOf(t, order.id)).toBe('PAYMENT_PENDING');
  });
});
