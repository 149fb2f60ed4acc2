/**
 * Development only: `npm start` with no STRIPE_API_KEY runs the local Stripe-protocol server
 * (local-server.ts, the one tests and benchmarks use) on DEV_STRIPE_PORT and points the SDK
 * at it, so a fan can pay without a Stripe account. "Paying" is Stripe's own confirm call
 * with a test PaymentMethod (README "Try a sale"):
 *
 *   curl -u sk_test_development: localhost:12111/v1/payment_intents/<pi>/confirm -d payment_method=pm_card_visa
 *
 * The server then sends the signed `payment_intent.succeeded` (or `payment_failed` for
 * `pm_card_chargeDeclined`) to this process's /webhooks/stripe, which completes the order.
 * PaymentIntents live in memory: after a restart the old ones are unknown to it.
 */
import { DEV_STRIPE_API_KEY, type Config } from '../../../config.ts';
import type { Logger } from '../../logging.ts';
import { startStripeServer, type StripeTestServer } from './local-server.ts';

export class DevStripeRefused extends Error {
  constructor() {
    super(
      'The local Stripe server is for development only and is refused when NODE_ENV=production',
    );
    this.name = 'DevStripeRefused';
  }
}

type DevStripeConfig = Pick<
  Config,
  | 'NODE_ENV'
  | 'HOST'
  | 'PORT'
  | 'DEV_STRIPE_PORT'
  | 'STRIPE_API_KEY'
  | 'STRIPE_WEBHOOK_SECRET'
  | 'STRIPE_API_BASE'
>;

/** Where the local server delivers webhooks: this process's own listener. */
export function ownWebhookUrl(config: Pick<Config, 'HOST' | 'PORT'>): string {
  const wildcard = ['0.0.0.0', '::', '[::]'].includes(config.HOST);
  const host = wildcard
    ? '127.0.0.1'
    : config.HOST.includes(':')
      ? `[${config.HOST}]`
      : config.HOST;
  return `http://${host}:${config.PORT}/webhooks/stripe`;
}

export async function startDevStripe(
  config: DevStripeConfig,
  logger?: Logger,
): Promise<StripeTestServer> {
  if (config.NODE_ENV === 'production') throw new DevStripeRefused();
  const server = await startStripeServer({
    apiKey: config.STRIPE_API_KEY,
    webhookSecret: config.STRIPE_WEBHOOK_SECRET,
    port: config.DEV_STRIPE_PORT,
    webhookUrl: ownWebhookUrl(config),
    onDeliveryFailure: ({ eventId, attempt, status, error }) =>
      logger?.warn(
        { eventId, attempt, status, err: error },
        'development Stripe server: webhook delivery to /webhooks/stripe failed, retrying',
      ),
  });
  logger?.warn(
    { stripe: server.url },
    `no STRIPE_API_KEY: local development Stripe server running on ${server.url} (pay with ` +
      `curl -u ${config.STRIPE_API_KEY}: ${server.url}/v1/payment_intents/<id>/confirm -d payment_method=pm_card_visa)`,
  );
  return server;
}

/**
 * For `start`: outside production, with the development key (no STRIPE_API_KEY set) and
 * the SDK aimed at api.stripe.com (where that key could only fail), runs the local server
 * and returns the configuration pointing STRIPE_API_BASE at it. If it cannot start (port
 * taken), payments fail visibly at POST /checkout/pay instead.
 */
export async function withDevStripe(config: Config, logger: Logger): Promise<Config> {
  if (config.NODE_ENV === 'production') return config;
  if (config.STRIPE_API_KEY !== DEV_STRIPE_API_KEY) return config;
  if (new URL(config.STRIPE_API_BASE).hostname !== 'api.stripe.com') return config;
  try {
    const server = await startDevStripe(config, logger);
    return { ...config, STRIPE_API_BASE: server.url };
  } catch (err) {
    logger.warn(
      { err },
      `could not start the development Stripe server on port ${config.DEV_STRIPE_PORT}; payments will fail until STRIPE_API_KEY is set or the port is free`,
    );
    return config;
  }
}
