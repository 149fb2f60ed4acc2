import { describe, expect, it } from 'vitest';
import { runRound } from '../../src/modules/queue/queue.engine.ts';
import {
  addToCart,
  createFan,
  createSale,
  deliver,
  holdersFor,
  nameHolders,
  useStripeTestContext,
  type Fan,
  type SaleFixture,
} from './helpers.ts';

const { t, stripe } = await useStripeTestContext();

const join = (fan: Fan, sale: SaleFixture) =>
  t.request({ method: 'POST', url: `/queue/${sale.matchId}/join`, token: fan.token });

/** Admission rounds (a second apart on the fake clock) until the fan's window opens. */
async function admit(fan: Fan, sale: SaleFixture) {
  for (let i = 0; i < 10; i++) {
    const round = await runRound(t.deps, sale.matchId);
    if (round.admitted.includes(fan.id)) return;
    t.clock.advance(1_000);
  }
  throw new Error('fan not admitted');
}

/** Cart → holders → pay → Stripe's success webhook, through the API. */
async function buy(fan: Fan, sale: SaleFixture, quantity: number) {
  const add = await addToCart(t, fan, sale, quantity);
  expect(add.statusCode, add.body).toBe(200);
  const order = (await nameHolders(t, fan, add.json().cart.id, holdersFor(quantity))).json();
  const pay = await t.request({
    method: 'POST',
    url: '/checkout/pay',
    token: fan.token,
    payload: { order_id: order.id },
  });
  expect(pay.statusCode, pay.body).toBe(200);
  const hook = await deliver(t, stripe, stripe.succeed(pay.json().payment_intent_id));
  expect(hook.json().outcome).toBe('completed');
}

const fanRemaining = async (fan: Fan, sale: SaleFixture) =>
  (
    await t.request({ method: 'GET', url: `/matches/${sale.matchId}/zones`, token: fan.token })
  ).json().fan_remaining as number;

describe('a repeat purchase under the waiting room (E5-F4 rejoin, E4-F4 limit)', () => {
  it('buy 3 → rejoin at the end of the line → admitted → buy 1 → the 5th is refused', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 20, queued: true });
    const fan = await createFan(t.deps);
    const other = await createFan(t.deps);

    expect((await join(fan, sale)).statusCode).toBe(201);
    await admit(fan, sale);
    await buy(fan, sale, 3);
    expect(await fanRemaining(fan, sale)).toBe(1);

    // Someone joined meanwhile: the fan's new entry is behind them.
    expect((await join(other, sale)).statusCode).toBe(201);
    const again = await join(fan, sale);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json()).toMatchObject({ status: 'WAITING', position: 2 });
    const refused = await addToCart(t, fan, sale, 1);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      code: 'QUEUE_ADMISSION_REQUIRED',
      queue_status: 'WAITING',
      position: 2,
    });

    await admit(fan, sale);
    const status = await t.request({
      method: 'GET',
      url: `/queue/${sale.matchId}/status`,
      token: fan.token,
    });
    expect(status.json().status).toBe('ACTIVE');
    await buy(fan, sale, 1);
    expect(await fanRemaining(fan, sale)).toBe(0);

    // At the limit: joining gives the completed entry back, and the cart names the limit.
    const done = await join(fan, sale);
    expect(done.statusCode).toBe(200);
    expect(done.json().status).toBe('COMPLETED');
    const fifth = await addToCart(t, fan, sale, 1);
    expect(fifth.statusCode).toBe(409);
    expect(fifth.json()).toMatchObject({ code: 'PURCHASE_LIMIT_EXCEEDED', limit: 4, remaining: 0 });

    const tickets = await t.deps.db
      .selectFrom('tickets')
      .innerJoin('orders', 'orders.id', 'tickets.order_id')
      .select('tickets.id')
      .where('orders.user_id', '=', fan.id)
      .execute();
    expect(tickets).toHaveLength(4);
  });

  it('leaving and joining again after a purchase also starts a new entry at the end', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, queued: true });
    const fan = await createFan(t.deps);
    expect((await join(fan, sale)).statusCode).toBe(201);
    await admit(fan, sale);
    await buy(fan, sale, 2);
    const left = await t.request({
      method: 'POST',
      url: `/queue/${sale.matchId}/leave`,
      token: fan.token,
    });
    expect(left.json().status).toBe('COMPLETED');
    const again = await join(fan, sale);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toMatchObject({ status: 'WAITING', position: 1 });
  });
});
