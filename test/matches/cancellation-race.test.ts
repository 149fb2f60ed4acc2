import { beforeAll, describe, expect, it } from 'vitest';
import { runMatchCancellation } from '../../src/modules/matches/cancellation.service.ts';
import { emailTemplatesSeed } from '../../src/modules/notifications/email-templates.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import {
  addToCart,
  createFan,
  createSale,
  deliver,
  holdersFor,
  nameHolders,
  useStripeTestContext,
} from '../sales/helpers.ts';
import {
  cancel,
  expectInvariants,
  systemRefunds,
  ticketStatusCounts,
} from './cancellation-helpers.ts';

// Fans buying over the HTTP API while a SUPER_ADMIN cancels the match (E2-F7): whatever
// the interleaving, once the job has run no ticket of the match admits anyone, every paid
// order has its one full refund, and every payment that came too late is refunded.
const { t, stripe } = await useStripeTestContext({ seeds: [emailTemplatesSeed] });

let admin: TestUser;
beforeAll(async () => {
  admin = await createUser(t.deps, { roles: ['SUPER_ADMIN'] });
});

describe('cancel while fans are buying (E2-F7)', () => {
  it('no ticket survives valid, every paid order is refunded once, late payments too', async () => {
    const FANS = 16;
    const sale = await createSale(t.deps, { rows: 4, seatsPerRow: 10 });
    const fans = await Promise.all(Array.from({ length: FANS }, () => createFan(t.deps)));
    const intents: string[] = [];
    const refused: Record<string, number> = {};
    const note = (code: string) => (refused[code] = (refused[code] ?? 0) + 1);
    // the cancellation starts once a few fans are paying, while the others are mid-way
    let paying!: () => void;
    const fewPaying = new Promise<void>((r) => (paying = r));

    const buying = fans.map(async (fan, i) => {
      await new Promise((r) => setTimeout(r, i * 80));
      const add = await addToCart(t, fan, sale, 2);
      if (add.statusCode !== 200) return note(add.json().code);
      const holders = await nameHolders(t, fan, add.json().cart.id, holdersFor(2));
      if (holders.statusCode !== 200) return note(holders.json().code);
      const pay = await t.request({
        method: 'POST',
        url: '/checkout/pay',
        token: fan.token,
        payload: { order_id: holders.json().id },
      });
      if (pay.statusCode !== 200) return note(pay.json().code);
      intents.push(pay.json().payment_intent_id);
      if (intents.length === 4) paying();
      // Stripe confirms some at once, the others later (after the cancellation)
      if (i % 2 === 0) {
        const hook = await deliver(t, stripe, stripe.succeed(pay.json().payment_intent_id));
        expect(hook.statusCode, hook.body).toBe(200);
      }
    });
    await Promise.race([fewPaying, Promise.all(buying)]);
    const cancelled = await cancel(t, admin, sale.matchId, 'safety inspection');
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    await Promise.all(buying);
    // the late confirmations (and a redelivery of all of them)
    for (const [i, intent] of intents.entries()) {
      const hook = await deliver(t, stripe, stripe.succeed(intent));
      expect(hook.statusCode, hook.body).toBe(200);
      if (i === 0)
        expect(['duplicate', 'already_settled', 'refund_requested', 'completed']).toContain(
          hook.json().outcome,
        );
    }
    // a fan who tries now is refused with the stable code
    const late = await addToCart(t, await createFan(t.deps), sale, 1);
    expect(late.json().code).toBe('MATCH_CANCELLED');

    expect((await runMatchCancellation(t.deps, sale.matchId)).status).toBe('DONE');

    const statuses = await ticketStatusCounts(t, sale.matchId);
    expect(statuses.SOLD ?? 0).toBe(0);
    expect(statuses.ATTENDED ?? 0).toBe(0);
    const completed = await t.deps.db
      .selectFrom('orders')
      .select(['id', 'total_amount'])
      .where('match_id', '=', sale.matchId)
      .where('status', '=', 'COMPLETED')
      .execute();
    const refunds = await systemRefunds(t, sale.matchId);
    expect(refunds.map((r) => r.order_id).sort()).toEqual(completed.map((o) => o.id).sort());
    for (const r of refunds) expect(r.refund_amount).toBe(r.total_amount);
    // every succeeded payment: its order completed (and refunded in full) or refunded itself
    const payments = await t.deps.db
      .selectFrom('payments as p')
      .innerJoin('orders as o', 'o.id', 'p.order_id')
      .select(['o.id', 'o.status', 'p.refund_requested_at'])
      .where('o.match_id', '=', sale.matchId)
      .where('p.status', '=', 'SUCCEEDED')
      .execute();
    expect(payments).toHaveLength(intents.length);
    for (const p of payments) {
      expect(p.status === 'COMPLETED' || p.refund_requested_at !== null).toBe(true);
    }
    const held = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('id')
      .where('match_id', '=', sale.matchId)
      .where('status', '=', 'RESERVED')
      .execute();
    expect(held).toEqual([]);
    await expectInvariants(t, sale.matchId);
    console.log('race:', { refused, paid: intents.length, completed: completed.length });
  });
});
