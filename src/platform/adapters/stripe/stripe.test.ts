import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeServer, type StripeTestServer } from './local-server.ts';
import {
  createStripeGateway,
  isIntentStateError,
  isStripeSignatureError,
  type PaymentsGateway,
} from './stripe.ts';

let server: StripeTestServer;
let gateway: PaymentsGateway;

beforeAll(async () => {
  server = await startStripeServer();
  gateway = createStripeGateway({
    STRIPE_API_KEY: server.apiKey,
    STRIPE_WEBHOOK_SECRET: server.webhookSecret,
    STRIPE_API_BASE: server.url,
  });
});
afterAll(() => server.close());

describe('Stripe adapter (real SDK against the local server)', () => {
  it('creates a PaymentIntent once per idempotency key and retrieves it', async () => {
    const input = {
      amount: 4240,
      currency: 'EUR',
      idempotencyKey: 'order-1',
      metadata: { order_id: '1' },
    };
    const first = await gateway.createPaymentIntent(input);
    const again = await gateway.createPaymentIntent(input);
    expect(again.id).toBe(first.id);
    expect(first).toMatchObject({
      amount: 4240,
      currency: 'eur',
      status: 'requires_payment_method',
    });
    expect(first.clientSecret).toMatch(new RegExp(`^${first.id}_secret_`));
    expect(server.paymentIntents.get(first.id)?.metadata).toEqual({ order_id: '1' });
    expect(server.requests.filter((r) => r.idempotencyKey === 'order-1')).toHaveLength(2);
    expect((await gateway.retrievePaymentIntent(first.id)).id).toBe(first.id);
  });

  it('retries a 500 with the same idempotency key', async () => {
    server.failNext('/v1/payment_intents', 1);
    const pi = await gateway.createPaymentIntent({
      amount: 1000,
      currency: 'eur',
      idempotencyKey: 'order-2',
      metadata: {},
    });
    expect(pi.amount).toBe(1000);
    expect(server.requests.filter((r) => r.idempotencyKey === 'order-2')).toHaveLength(2);
  });

  it('refunds a succeeded payment once per idempotency key', async () => {
    const pi = await gateway.createPaymentIntent({
      amount: 2000,
      currency: 'eur',
      idempotencyKey: 'order-3',
      metadata: {},
    });
    server.succeed(pi.id);
    const refund = await gateway.refund({ paymentIntentId: pi.id, idempotencyKey: 'refund-3' });
    const replay = await gateway.refund({ paymentIntentId: pi.id, idempotencyKey: 'refund-3' });
    expect(replay.id).toBe(refund.id);
    expect(refund).toMatchObject({ amount: 2000, status: 'pending', paymentIntentId: pi.id });
    expect(server.refunds).toHaveLength(1);
  });

  it('cancels an open PaymentIntent; a canceled or succeeded one answers a state error', async () => {
    const open = await gateway.createPaymentIntent({
      amount: 1500,
      currency: 'eur',
      idempotencyKey: 'order-5',
      metadata: {},
    });
    const cancelled = await gateway.cancelPaymentIntent({
      paymentIntentId: open.id,
      reason: 'abandoned',
    });
    expect(cancelled).toMatchObject({ id: open.id, status: 'canceled' });
    expect(server.paymentIntents.get(open.id)).toMatchObject({
      status: 'canceled',
      cancellation_reason: 'abandoned',
    });
    expect((await gateway.retrievePaymentIntent(open.id)).status).toBe('canceled');

    const again = await gateway.cancelPaymentIntent({ paymentIntentId: open.id }).catch((e) => e);
    expect(isIntentStateError(again)).toBe(true);
    expect(String(again.message)).toMatch(/status of canceled/);

    const paid = await gateway.createPaymentIntent({
      amount: 1500,
      currency: 'eur',
      idempotencyKey: 'order-6',
      metadata: {},
    });
    server.succeed(paid.id);
    const refused = await gateway.cancelPaymentIntent({ paymentIntentId: paid.id }).catch((e) => e);
    expect(isIntentStateError(refused)).toBe(true);
    expect(server.paymentIntents.get(paid.id)!.status).toBe('succeeded');

    const missing = await gateway
      .cancelPaymentIntent({ paymentIntentId: 'pi_missing' })
      .catch((e) => e);
    expect(missing.statusCode).toBe(404);
    expect(isIntentStateError(missing)).toBe(false);
  });

  it('verifies webhook signatures over the raw body', async () => {
    const pi = await gateway.createPaymentIntent({
      amount: 900,
      currency: 'eur',
      idempotencyKey: 'order-4',
      metadata: {},
    });
    const { payload, headers } = server.sign(server.succeed(pi.id));
    const event = gateway.verifyWebhook(payload, headers['stripe-signature']!);
    expect(event.type).toBe('payment_intent.succeeded');
    const tampered = payload.replace('"amount": 900', '"amount": 1');
    let caught: unknown;
    try {
      gateway.verifyWebhook(tampered, headers['stripe-signature']!);
    } catch (err) {
      caught = err;
    }
    expect(isStripeSignatureError(caught)).toBe(true);
    const wrongSecret = server.sign(server.event('payment_intent.succeeded', pi.id), {
      secret: 'whsec_other',
    });
    expect(() =>
      gateway.verifyWebhook(wrongSecret.payload, wrongSecret.headers['stripe-signature']!),
    ).toThrow();
  });
});

describe('local Stripe server: refunds and their events', () => {
  it('settles a pending refund with charge.refunded and refund.updated; a second refund beyond the charge is refused', async () => {
    const pi = await gateway.createPaymentIntent({
      amount: 3000,
      currency: 'eur',
      idempotencyKey: 'order-r1',
      metadata: {},
    });
    server.succeed(pi.id);
    const part = await gateway.refund({
      paymentIntentId: pi.id,
      amount: 2000,
      idempotencyKey: 'refund-r1',
      metadata: { refund_id: 'x' },
    });
    expect(part).toMatchObject({ status: 'pending', amount: 2000, metadata: { refund_id: 'x' } });
    const events = server.settleRefund(part.id);
    expect(events.map((e) => e.type)).toEqual(['charge.refunded', 'refund.updated']);
    const charge = events[0]!.data.object as unknown as {
      amount_refunded: number;
      refunded: boolean;
      payment_intent: string;
      refunds: { data: Array<{ id: string; status: string }> };
    };
    expect(charge).toMatchObject({ amount_refunded: 2000, refunded: false, payment_intent: pi.id });
    expect(charge.refunds.data).toMatchObject([{ id: part.id, status: 'succeeded' }]);
    expect(events[1]!.data.object).toMatchObject({ id: part.id, status: 'succeeded' });
    expect(server.settleRefund(part.id)).toEqual([]);
    await expect(
      gateway.refund({ paymentIntentId: pi.id, amount: 1500, idempotencyKey: 'refund-r2' }),
    ).rejects.toMatchObject({ code: 'amount_too_large' });
    const failing = await gateway.refund({
      paymentIntentId: pi.id,
      amount: 1000,
      idempotencyKey: 'refund-r3',
    });
    const [failed] = server.settleRefund(failing.id, 'failed');
    expect(failed!.type).toBe('refund.updated');
    expect(failed!.data.object).toMatchObject({
      status: 'failed',
      failure_reason: expect.any(String),
    });
  });

  it('delivers refund events to the webhook, duplicated and reordered when asked', async () => {
    const received: string[] = [];
    const { createServer } = await import('node:http');
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push((JSON.parse(body) as { type: string }).type);
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const port = (hook.address() as { port: number }).port;
    const chaotic = await startStripeServer({
      webhookUrl: `http://127.0.0.1:${port}/`,
      refundSettleMs: 1,
      webhookDuplicateRate: 1,
      webhookReorder: true,
    });
    try {
      const gw = createStripeGateway({
        STRIPE_API_KEY: chaotic.apiKey,
        STRIPE_WEBHOOK_SECRET: chaotic.webhookSecret,
        STRIPE_API_BASE: chaotic.url,
      });
      const pi = await gw.createPaymentIntent({
        amount: 1000,
        currency: 'eur',
        idempotencyKey: 'o',
        metadata: {},
      });
      chaotic.succeed(pi.id);
      await gw.refund({ paymentIntentId: pi.id, idempotencyKey: 'r' });
      for (let i = 0; i < 100 && received.length < 4; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(received.sort()).toEqual([
        'charge.refunded',
        'charge.refunded',
        'refund.updated',
        'refund.updated',
      ]);
    } finally {
      await chaotic.close();
      hook.close();
    }
  });
});
