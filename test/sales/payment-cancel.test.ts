import { describe, expect, it } from 'vitest';
import { paymentJobs } from '../../src/modules/payments/payments.jobs.ts';
import {
  CANCEL_INTENT_QUEUE,
  type CancelIntentJob,
} from '../../src/modules/payments/payments.service.ts';
import { runHoldSweep } from '../../src/modules/sales/sales.jobs.ts';
import type { Job } from 'pg-boss';
import { auditEvents } from '../harness/audit.ts';
import { waitFor } from '../harness/wait.ts';
import {
  addToCart,
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  jobsIn,
  MINUTE,
  nameHolders,
  useStripeTestContext,
} from './helpers.ts';

/**
 * An order cancelled while its PaymentIntent is open gets the intent cancelled at Stripe by
 * an outbox job (E4-F7), so nobody pays for a dead order.
 */

const { t, stripe } = await useStripeTestContext();

const cancelJob = () => paymentJobs(t.deps).find((j) => j.name === CANCEL_INTENT_QUEUE)!;
const runCancel = (data: CancelIntentJob) =>
  cancelJob().handler(data, { id: 'test', name: CANCEL_INTENT_QUEUE, data } as Job<never>);

async function paymentOf(orderId: string) {
  return t.deps.db
    .selectFrom('payments')
    .select(['id', 'status', 'stripe_payment_intent_id', 'failure_reason'])
    .where('order_id', '=', orderId)
    .executeTakeFirstOrThrow();
}

async function orderStatus(orderId: string) {
  return t.deps.db
    .selectFrom('orders')
    .select(['status', 'cancellation_reason'])
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
}

const jobsFor = async (orderId: string) =>
  (await jobsIn(t, CANCEL_INTENT_QUEUE)).filter(
    (j) => j.order_id === orderId,
  ) as unknown as CancelIntentJob[];

describe('cancelling the PaymentIntent of a cancelled order', () => {
  it('cancels it through a job when the fan empties the cart during payment', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, fan, sale, 2);
    expect(stripe.paymentIntents.get(payment.payment_intent_id)!.status).toBe(
      'requires_payment_method',
    );

    const cleared = await t.request({ method: 'DELETE', url: '/cart', token: fan.token });
    expect(cleared.json()).toEqual({ released_seats: 2 });
    expect(await orderStatus(order.id)).toEqual({
      status: 'CANCELLED',
      cancellation_reason: 'CART_CLEARED',
    });
    const pay = await paymentOf(order.id);
    // enqueued in the clearing transaction (outbox), one job for the open payment
    expect(await jobsFor(order.id)).toEqual([
      { payment_id: pay.id, order_id: order.id, reason: 'CART_CLEARED' },
    ]);

    // a real worker picks it up and cancels the intent with the Stripe SDK
    await t.startWorker(paymentJobs(t.deps));
    await waitFor(async () => (await paymentOf(order.id)).status === 'CANCELLED', {
      what: 'payment cancelled',
    });
    const intent = stripe.paymentIntents.get(payment.payment_intent_id)!;
    expect(intent).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(
      stripe.requests.filter(
        (r) => r.method === 'POST' && r.path === `/v1/payment_intents/${intent.id}/cancel`,
      ),
    ).toHaveLength(1);
    expect((await paymentOf(order.id)).failure_reason).toBe('order cancelled: CART_CLEARED');
    // the fan can no longer pay: Stripe refuses to confirm a canceled intent
    expect(() => stripe.succeed(intent.id)).toThrow(/canceled/);
  });

  it('cancels it when the sweeper cancels an order whose hold expired, idempotently', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, fan, sale, 1);
    t.clock.advance(30 * MINUTE);
    const swept = await runHoldSweep(t.deps);
    expect(swept.orders).toBeGreaterThanOrEqual(1);
    expect(await orderStatus(order.id)).toEqual({
      status: 'CANCELLED',
      cancellation_reason: 'HOLD_EXPIRED',
    });
    const [job] = await jobsFor(order.id);
    expect(job).toMatchObject({ order_id: order.id, reason: 'HOLD_EXPIRED' });

    await runCancel(job!);
    expect(stripe.paymentIntents.get(payment.payment_intent_id)!.status).toBe('canceled');
    expect((await paymentOf(order.id)).status).toBe('CANCELLED');
    const calls = () =>
      stripe.requests.filter((r) => r.path.endsWith(`${payment.payment_intent_id}/cancel`)).length;
    expect(calls()).toBe(1);

    // a re-run (crash after the Stripe call, duplicate delivery) changes nothing
    await runCancel(job!);
    expect(calls()).toBe(1);
    const audits = (await auditEvents(t.deps.db)).filter(
      (e) => e.action === 'payment_intent_cancelled',
    ) as Array<{ changes: Record<string, unknown> }>;
    expect(audits.filter((e) => e.changes.order_id === order.id)).toHaveLength(1);
  });

  it('marks the payment when Stripe already cancelled the intent', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, fan, sale, 1);
    await t.request({ method: 'DELETE', url: '/cart', token: fan.token });
    const [job] = await jobsFor(order.id);
    // cancelled at Stripe already (e.g. a previous attempt whose bookkeeping was lost)
    stripe.paymentIntents.get(payment.payment_intent_id)!.status = 'canceled';
    await runCancel(job!);
    expect((await paymentOf(order.id)).status).toBe('CANCELLED');
  });

  it('leaves a succeeded intent to the late-success path', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, fan, sale, 1);
    await t.request({ method: 'DELETE', url: '/cart', token: fan.token });
    const [job] = await jobsFor(order.id);
    // the fan paid before the job ran
    const succeeded = stripe.succeed(payment.payment_intent_id);
    await runCancel(job!);
    expect(stripe.paymentIntents.get(payment.payment_intent_id)!.status).toBe('succeeded');
    expect((await paymentOf(order.id)).status).not.toBe('CANCELLED');
    // the webhook then settles it: the released seats were still free, so the order completes
    const outcome = await deliver(t, stripe, succeeded);
    expect(outcome.json().outcome).toBe('completed');
    expect((await paymentOf(order.id)).status).toBe('SUCCEEDED');
  });

  it('retries while the intent is processing', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, fan, sale, 1);
    await t.request({ method: 'DELETE', url: '/cart', token: fan.token });
    const [job] = await jobsFor(order.id);
    const intent = stripe.paymentIntents.get(payment.payment_intent_id)!;
    intent.status = 'processing';
    await expect(runCancel(job!)).rejects.toThrow(/processing/);
    expect((await paymentOf(order.id)).status).not.toBe('CANCELLED');
    // the card network declines; the retry cancels it
    stripe.fail(intent.id);
    await runCancel(job!);
    expect(intent.status).toBe('canceled');
    expect((await paymentOf(order.id)).status).toBe('CANCELLED');
  });

  it('cancels an intent created while the order was being cancelled, and refuses the pay call', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    const add = await addToCart(t, fan, sale, 1);
    const holders = await nameHolders(t, fan, add.json().cart.id, [{ source: 'DEFAULT_PROFILE' }]);
    const orderId: string = holders.json().id;
    // the fan empties the cart while /checkout/pay waits for Stripe to create the intent
    let cleared: Awaited<ReturnType<typeof t.request>> | undefined;
    stripe.beforeNext('/v1/payment_intents', async () => {
      cleared = await t.request({ method: 'DELETE', url: '/cart', token: fan.token });
    });
    const pay = await t.request({
      method: 'POST',
      url: '/checkout/pay',
      token: fan.token,
      payload: { order_id: orderId },
    });
    expect(cleared!.json()).toEqual({ released_seats: 1 });
    expect(pay.statusCode).toBe(409);
    expect(pay.json()).toMatchObject({ code: 'CART_EXPIRED' });
    expect(pay.body).not.toMatch(/_secret_/);

    const pay1 = await paymentOf(orderId);
    expect(pay1.stripe_payment_intent_id).toMatch(/^pi_/);
    // one job from the cancellation (no intent id yet then), one from the pay call
    const jobs = await jobsFor(orderId);
    expect(jobs).toHaveLength(2);
    for (const job of jobs) await runCancel(job);
    expect(stripe.paymentIntents.get(pay1.stripe_payment_intent_id!)!.status).toBe('canceled');
    expect((await paymentOf(orderId)).status).toBe('CANCELLED');
  });

  it('enqueues nothing for an order whose payment never started', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    const add = await addToCart(t, fan, sale, 1);
    const holders = await nameHolders(t, fan, add.json().cart.id, [{ source: 'DEFAULT_PROFILE' }]);
    const orderId = holders.json().id;
    await t.request({ method: 'DELETE', url: '/cart', token: fan.token });
    expect((await orderStatus(orderId)).status).toBe('CANCELLED');
    expect(await jobsFor(orderId)).toEqual([]);
  });
});
