import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config.ts';
import { createLogger } from '../../logging.ts';
import { DevStripeRefused, ownWebhookUrl, startDevStripe, withDevStripe } from './dev-stripe.ts';
import { createStripeClient, createStripeGateway, type StripeEvent } from './stripe.ts';

/**
 * The development Stripe server: what `npm start` runs when no STRIPE_API_KEY is set. A
 * local receiver stands in for our /webhooks/stripe and checks each delivery's signature
 * with the gateway the app uses.
 */
const logger = createLogger('silent');
let receiver: Server;
let receiverPort: number;
const received: StripeEvent[] = [];
let failNext = 0;

const baseConfig = () =>
  loadConfig({ NODE_ENV: 'development', HOST: '127.0.0.1', PORT: String(receiverPort) });
const gateway = () => createStripeGateway(baseConfig());

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failNext > 0) {
        failNext--;
        res.writeHead(500).end();
        return;
      }
      const body = Buffer.concat(chunks);
      try {
        received.push(gateway().verifyWebhook(body, String(req.headers['stripe-signature'])));
        res.writeHead(200).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverPort = (receiver.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => receiver.close(resolve)));

async function waitFor<T>(read: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('withDevStripe', () => {
  it('leaves production, a real key and another API base alone', async () => {
    const dev = baseConfig();
    const production = { ...dev, NODE_ENV: 'production' as const };
    expect(await withDevStripe(production, logger)).toBe(production);
    const realKey = { ...dev, STRIPE_API_KEY: 'sk_test_real' };
    expect(await withDevStripe(realKey, logger)).toBe(realKey);
    const elsewhere = { ...dev, STRIPE_API_BASE: 'http://127.0.0.1:1' };
    expect(await withDevStripe(elsewhere, logger)).toBe(elsewhere);
    await expect(startDevStripe(production)).rejects.toBeInstanceOf(DevStripeRefused);
  });

  it('delivers to this process: 127.0.0.1 for a wildcard HOST', () => {
    expect(ownWebhookUrl({ HOST: '0.0.0.0', PORT: 3000 })).toBe(
      'http://127.0.0.1:3000/webhooks/stripe',
    );
    expect(ownWebhookUrl({ HOST: '::1', PORT: 80 })).toBe('http://[::1]:80/webhooks/stripe');
  });

  it('points the SDK at a local server where confirming pays and sends the signed webhook', async () => {
    const dev = { ...baseConfig(), DEV_STRIPE_PORT: 0 };
    const server = await startDevStripe(dev, logger);
    try {
      const config = { ...dev, STRIPE_API_BASE: server.url };
      const pi = await createStripeGateway(config).createPaymentIntent({
        amount: 12_720,
        currency: 'EUR',
        idempotencyKey: 'order-dev-1',
        metadata: { order_id: 'o1' },
      });
      // The README's curl: the secret key as the basic-auth user, Stripe's test card.
      failNext = 1; // the first delivery fails: it is sent again
      const confirm = await fetch(`${server.url}/v1/payment_intents/${pi.id}/confirm`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${dev.STRIPE_API_KEY}:`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'payment_method=pm_card_visa',
      });
      expect(confirm.status).toBe(200);
      expect(await confirm.json()).toMatchObject({ id: pi.id, status: 'succeeded' });
      const event = await waitFor(() =>
        received.find(
          (e) => (e.data.object as { id: string }).id === pi.id && e.type.startsWith('payment'),
        ),
      );
      expect(event.type).toBe('payment_intent.succeeded');
      expect(event.data.object).toMatchObject({
        amount_received: 12_720,
        metadata: { order_id: 'o1' },
      });
      expect(failNext).toBe(0);

      // Confirming again is Stripe's state error; a declining card sends payment_failed.
      const sdk = createStripeClient(config);
      await expect(sdk.paymentIntents.confirm(pi.id)).rejects.toMatchObject({
        code: 'payment_intent_unexpected_state',
      });
      const declined = await sdk.paymentIntents.create({ amount: 500, currency: 'eur' });
      const answer = await sdk.paymentIntents.confirm(declined.id, {
        payment_method: 'pm_card_chargeDeclined',
      });
      expect(answer).toMatchObject({
        status: 'requires_payment_method',
        last_payment_error: { code: 'card_declined' },
      });
      const failed = await waitFor(() =>
        received.find((e) => (e.data.object as { id: string }).id === declined.id),
      );
      expect(failed.type).toBe('payment_intent.payment_failed');

      const wrongKey = await fetch(`${server.url}/v1/payment_intents/${pi.id}`, {
        headers: { authorization: 'Bearer sk_test_other' },
      });
      expect(wrongKey.status).toBe(401);
    } finally {
      await server.close();
    }
  });
});
