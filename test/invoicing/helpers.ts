import { afterAll } from 'vitest';
import { startEracuniServer } from '../../src/platform/adapters/eracuni/local-server.ts';
import type { TestContext, TestContextOptions } from '../harness/context.ts';
import {
  checkoutToPayment,
  createFan,
  deliver,
  useStripeTestContext,
  type SaleFixture,
} from '../sales/helpers.ts';

/**
 * A test file's world for invoicing: the local Stripe server, the local e-računi server
 * (fiscalising FISCALISE_MS after creation on the file's fake clock) and the app pointed at
 * both, with quick client timeouts and retries.
 */
export const FISCALISE_MS = 10_000;

export async function useInvoicingContext(
  options: {
    realTimeFiscaliseMs?: number;
    env?: Record<string, string>;
    seeds?: TestContextOptions['seeds'];
  } = {},
) {
  const world: { t?: TestContext } = {};
  // Worker processes (faults.test.ts) live on the real clock, so does the server then.
  const eracuni = await startEracuniServer(
    options.realTimeFiscaliseMs !== undefined
      ? { fiscaliseAfterMs: options.realTimeFiscaliseMs }
      : {
          fiscaliseAfterMs: FISCALISE_MS,
          now: () => (world.t ? world.t.clock.now().getTime() : Date.now()),
        },
  );
  afterAll(() => eracuni.close());
  const ctx = await useStripeTestContext({
    env: {
      ERACUNI_URL: eracuni.url,
      ERACUNI_USERNAME: eracuni.credentials.username,
      ERACUNI_PW: eracuni.credentials.password,
      ERACUNI_TOKEN: eracuni.credentials.token,
      ERACUNI_TIMEOUT_MS: '300',
      ERACUNI_ATTEMPTS: '2',
      // the local server has no rate limit; the real one's is tested in eracuni.test.ts
      ERACUNI_CALLS_PER_WINDOW: '100000',
      ...options.env,
    },
    ...(options.seeds ? { seeds: options.seeds } : {}),
  });
  world.t = ctx.t;
  return { ...ctx, eracuni };
}

/** A paid order of `quantity` tickets: checkout, pay, Stripe's success delivered. */
export async function paidOrder(
  t: TestContext,
  stripe: Parameters<typeof deliver>[1],
  sale: SaleFixture,
  quantity = 1,
) {
  const fan = await createFan(t.deps);
  const { order, payment } = await checkoutToPayment(t, fan, sale, quantity);
  const res = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
  if (res.json().outcome !== 'completed') throw new Error(`webhook: ${res.body}`);
  return { fan, order: order as { id: string; order_number: string; total_amount: number } };
}
