import { describe, expect, it } from 'vitest';
import { runHoldSweep } from '../../src/modules/sales/sales.jobs.ts';
import {
  addToCart,
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  type Fan,
  MINUTE,
  type SaleFixture,
  useStripeTestContext,
} from './helpers.ts';

/**
 * The seat trail of holds (seat_audit_logs, E3-F1): written by the sales flows in the
 * transaction of each change, one set-based statement per operation.
 */

const { t, stripe } = await useStripeTestContext();

async function trail(inventoryIds: string[]) {
  return t.deps.db
    .selectFrom('seat_audit_logs')
    .select([
      'match_seat_inventory_id',
      'action',
      'from_status',
      'to_status',
      'reason',
      'changed_by',
      'hold_kind',
      'hold_owner_id',
      'order_id',
      'ticket_id',
      'created_at',
    ])
    .where('match_seat_inventory_id', 'in', inventoryIds)
    .orderBy('created_at')
    .orderBy('action')
    .orderBy('match_seat_inventory_id')
    .execute();
}

// The fake clock stands still between steps, so rows of one instant are ordered by action
// (the enum's order is the lifecycle order).
const seatIdsOf = (cart: { seats: Array<{ inventory_id: string }> }) =>
  cart.seats.map((s) => s.inventory_id).sort();

async function heldCart(fan: Fan, sale: SaleFixture, quantity: number) {
  const res = await addToCart(t, fan, sale, quantity);
  expect(res.statusCode).toBe(200);
  return res.json().cart;
}

describe('seat_audit_logs trail of holds', () => {
  it('logs the hold at cart add and its release on DELETE /cart', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    const cart = await heldCart(fan, sale, 2);
    const ids = seatIdsOf(cart);

    const created = await trail(ids);
    expect(created).toHaveLength(2);
    for (const row of created) {
      expect(row).toMatchObject({
        action: 'HOLD_CREATED',
        from_status: 'AVAILABLE',
        to_status: 'RESERVED',
        changed_by: fan.id,
        hold_kind: 'CART',
        hold_owner_id: cart.id,
        order_id: null,
      });
      expect(row.created_at.getTime()).toBe(t.clock.now().getTime());
    }
    expect(created.map((r) => r.match_seat_inventory_id).sort()).toEqual(ids);

    t.clock.advance(MINUTE);
    const cleared = await t.request({ method: 'DELETE', url: '/cart', token: fan.token });
    expect(cleared.json()).toEqual({ released_seats: 2 });
    const released = (await trail(ids)).filter((r) => r.action !== 'HOLD_CREATED');
    expect(released).toHaveLength(2);
    for (const row of released) {
      expect(row).toMatchObject({
        action: 'HOLD_RELEASED',
        from_status: 'RESERVED',
        to_status: 'AVAILABLE',
        reason: 'cart cleared by the fan',
        changed_by: fan.id,
        hold_kind: 'CART',
        hold_owner_id: cart.id,
      });
    }
  });

  it('logs the sweeper releasing expired holds, and a new claim of an expired seat', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 3 });
    const first = await createFan(t.deps);
    const second = await createFan(t.deps);
    const firstCart = await heldCart(first, sale, 3);
    t.clock.advance(20 * MINUTE + 1000);

    // an expired hold is claimable at once: the claim logs it as taken from AVAILABLE
    second.token = await t.deps.tokens.sign({ userId: second.id, roles: ['FAN'] });
    const secondCart = await heldCart(second, sale, 2);
    const reclaimed = (await trail(seatIdsOf(secondCart))).filter(
      (r) => r.hold_owner_id === secondCart.id,
    );
    expect(reclaimed.map((r) => [r.action, r.from_status, r.to_status])).toEqual([
      ['HOLD_CREATED', 'AVAILABLE', 'RESERVED'],
      ['HOLD_CREATED', 'AVAILABLE', 'RESERVED'],
    ]);

    const swept = await runHoldSweep(t.deps);
    expect(swept.seats).toBe(1);
    const left = seatIdsOf(firstCart).filter((id) => !seatIdsOf(secondCart).includes(id));
    const rows = await trail(left);
    expect(rows.map((r) => r.action)).toEqual(['HOLD_CREATED', 'HOLD_EXPIRED']);
    expect(rows[1]).toMatchObject({
      from_status: 'RESERVED',
      to_status: 'AVAILABLE',
      changed_by: null,
      hold_kind: 'CART',
      hold_owner_id: firstCart.id,
      reason: 'hold expired (sweeper)',
    });
  });

  it('logs the hold moving to the order at payment and the sale with its ticket', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    const { cart, order, payment } = await checkoutToPayment(t, fan, sale, 2);
    const ids = seatIdsOf(cart);
    const outcome = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
    expect(outcome.json().outcome).toBe('completed');

    const tickets = await t.deps.db
      .selectFrom('tickets')
      .select(['id', 'match_seat_inventory_id'])
      .where('order_id', '=', order.id)
      .execute();
    const rows = await trail(ids);
    expect(rows.map((r) => r.action)).toEqual([
      'HOLD_CREATED',
      'HOLD_CREATED',
      'HOLD_TRANSFERRED',
      'HOLD_TRANSFERRED',
      'SOLD',
      'SOLD',
    ]);
    for (const row of rows.filter((r) => r.action === 'HOLD_TRANSFERRED')) {
      expect(row).toMatchObject({
        from_status: 'RESERVED',
        to_status: 'RESERVED',
        hold_kind: 'ORDER',
        hold_owner_id: order.id,
        order_id: order.id,
        changed_by: fan.id,
      });
    }
    for (const row of rows.filter((r) => r.action === 'SOLD')) {
      const ticket = tickets.find((x) => x.match_seat_inventory_id === row.match_seat_inventory_id);
      expect(row).toMatchObject({
        from_status: 'RESERVED',
        to_status: 'SOLD',
        order_id: order.id,
        ticket_id: ticket!.id,
        hold_kind: 'ORDER',
        hold_owner_id: order.id,
        changed_by: fan.id,
      });
    }
  });

  it('logs a late sale of seats whose order hold had been swept as sold from AVAILABLE', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 4 });
    const fan = await createFan(t.deps);
    const { cart, order, payment } = await checkoutToPayment(t, fan, sale, 1);
    t.clock.advance(30 * MINUTE);
    await runHoldSweep(t.deps);
    const outcome = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
    expect(outcome.json().outcome).toBe('completed');
    const rows = await trail(seatIdsOf(cart));
    expect(rows.map((r) => r.action)).toEqual([
      'HOLD_CREATED',
      'HOLD_TRANSFERRED',
      'HOLD_EXPIRED',
      'SOLD',
    ]);
    expect(rows[2]).toMatchObject({ hold_kind: 'ORDER', order_id: order.id });
    expect(rows[3]).toMatchObject({
      from_status: 'AVAILABLE',
      hold_kind: null,
      order_id: order.id,
    });
  });

  it('writes no trail for a refused addition (it shares the rolled-back transaction)', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    await heldCart(fan, sale, 4);
    const before = await t.deps.db
      .selectFrom('seat_audit_logs as l')
      .innerJoin('match_seat_inventory as i', 'i.id', 'l.match_seat_inventory_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('i.match_id', '=', sale.matchId)
      .executeTakeFirstOrThrow();
    const refused = await addToCart(t, fan, sale, 1);
    expect(refused.json().code).toBe('PURCHASE_LIMIT_EXCEEDED');
    const after = await t.deps.db
      .selectFrom('seat_audit_logs as l')
      .innerJoin('match_seat_inventory as i', 'i.id', 'l.match_seat_inventory_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('i.match_id', '=', sale.matchId)
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect(Number(after.n)).toBe(4);
  });
});
