import { sql } from 'kysely';
import type { TestContext } from '../harness/context.ts';
import type { StripeTestServer } from '../../src/platform/adapters/stripe/local-server.ts';
import { checkoutToPayment, createFan, deliver, type SaleFixture } from '../sales/helpers.ts';

/** Buys `quantity` seats of a zone through the API up to a Stripe success; returns the order id. */
export async function buy(
  t: TestContext,
  stripe: StripeTestServer,
  sale: SaleFixture,
  quantity: number,
  zoneId = sale.zoneId,
): Promise<string> {
  const fan = await createFan(t.deps);
  const { order, payment } = await checkoutToPayment(t, fan, { ...sale, zoneId }, quantity);
  const res = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
  if (res.statusCode !== 200) throw new Error(`webhook ${res.statusCode}: ${res.body}`);
  return order.id as string;
}

/** The figures the reports must show, computed straight from the tables. */
export async function soldFromDb(t: TestContext, matchId: string) {
  const { rows } = await sql<{
    tickets: number;
    orders: number;
    paid: number;
    refunded: number;
  }>`
    SELECT (SELECT count(*) FROM tickets tk JOIN orders o ON o.id = tk.order_id
             WHERE o.match_id = ${matchId} AND o.completed_at IS NOT NULL)::int AS tickets,
           (SELECT count(*) FROM orders WHERE match_id = ${matchId} AND completed_at IS NOT NULL)::int AS orders,
           (SELECT coalesce(sum(p.amount), 0) FROM payments p JOIN orders o ON o.id = p.order_id
             WHERE o.match_id = ${matchId} AND p.status = 'SUCCEEDED')::int AS paid,
           (SELECT coalesce(sum(refunded_amount), 0) FROM orders WHERE match_id = ${matchId})::int AS refunded
  `.execute(t.deps.db);
  return rows[0]!;
}
