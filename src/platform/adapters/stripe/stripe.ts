import Stripe from 'stripe';

/**
 * Stripe behind the small interface the payment flow needs (E8-F1), on the official SDK.
 * STRIPE_API_BASE points the SDK at another host (tests run a local server speaking the
 * REST API, ./local-server.ts); production leaves it at api.stripe.com.
 */
export interface PaymentIntentSummary {
  id: string;
  clientSecret: string;
  status: string;
  amount: number;
  currency: string;
}

export interface RefundSummary {
  id: string;
  /** pending, requires_action, succeeded, failed or canceled */
  status: string;
  amount: number;
  paymentIntentId: string;
  metadata: Record<string, string>;
  failureReason: string | null;
}

export interface PaymentsGateway {
  /**
   * Creates a PaymentIntent. `idempotencyKey` is sent as Stripe's Idempotency-Key: the same
   * key gives back the same PaymentIntent (Stripe keeps keys for 24 h), so a retried call
   * never charges twice.
   */
  createPaymentIntent(input: {
    amount: number;
    currency: string;
    idempotencyKey: string;
    metadata: Record<string, string>;
    description?: string;
  }): Promise<PaymentIntentSummary>;
  retrievePaymentIntent(id: string): Promise<PaymentIntentSummary>;
  /**
   * Cancels a PaymentIntent so it can no longer be paid. Stripe answers 400
   * `payment_intent_unexpected_state` for an intent already canceled or succeeded (see
   * isIntentStateError); the SDK's retries reuse one generated idempotency key.
   */
  cancelPaymentIntent(input: {
    paymentIntentId: string;
    reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer' | 'abandoned';
  }): Promise<PaymentIntentSummary>;
  /** Refunds a PaymentIntent (whole amount unless `amount` is given), idempotently. */
  refund(input: {
    paymentIntentId: string;
    amount?: number;
    idempotencyKey: string;
    reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer';
    metadata?: Record<string, string>;
  }): Promise<RefundSummary>;
  /** A refund as Stripe has it now (its status may have moved since it was created). */
  retrieveRefund(id: string): Promise<RefundSummary>;
  /**
   * Verifies a webhook's `Stripe-Signature` over the raw request body and returns the event;
   * throws StripeSignatureVerificationError when it does not match.
   */
  verifyWebhook(rawBody: Buffer | string, signature: string): Stripe.Event;
}

export interface StripeConfig {
  STRIPE_API_KEY: string;
  STRIPE_WEBHOOK_SECRET: string;
  /** e.g. https://api.stripe.com or http://127.0.0.1:12111 */
  STRIPE_API_BASE: string;
}

export function createStripeClient(config: StripeConfig): Stripe {
  const base = new URL(config.STRIPE_API_BASE);
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(config.STRIPE_API_KEY, {
    host: base.hostname,
    port: base.port || (protocol === 'http' ? 80 : 443),
    protocol,
    // Network errors are retried by the SDK with the same idempotency key.
    maxNetworkRetries: 2,
    timeout: 20_000,
    // The SDK would report each request's latency to Stripe in the next request's headers;
    // at on-sale rates its buffer overflows and every overflow prints a process warning.
    telemetry: false,
    appInfo: { name: 'hns-ticketing' },
  });
}

const summary = (pi: Stripe.PaymentIntent): PaymentIntentSummary => ({
  id: pi.id,
  clientSecret: pi.client_secret ?? '',
  status: pi.status,
  amount: pi.amount,
  currency: pi.currency,
});

export function createStripeGateway(config: StripeConfig): PaymentsGateway {
  const stripe = createStripeClient(config);
  return {
    async createPaymentIntent(input) {
      const pi = await stripe.paymentIntents.create(
        {
          amount: input.amount,
          currency: input.currency.toLowerCase(),
          automatic_payment_methods: { enabled: true },
          metadata: input.metadata,
          ...(input.description ? { description: input.description } : {}),
        },
        { idempotencyKey: input.idempotencyKey },
      );
      return summary(pi);
    },
    async retrievePaymentIntent(id) {
      return summary(await stripe.paymentIntents.retrieve(id));
    },
    async cancelPaymentIntent(input) {
      const pi = await stripe.paymentIntents.cancel(
        input.paymentIntentId,
        input.reason ? { cancellation_reason: input.reason } : {},
      );
      return summary(pi);
    },
    async refund(input) {
      const refund = await stripe.refunds.create(
        {
          payment_intent: input.paymentIntentId,
          ...(input.amount !== undefined ? { amount: input.amount } : {}),
          ...(input.reason ? { reason: input.reason } : {}),
          ...(input.metadata ? { metadata: input.metadata } : {}),
        },
        { idempotencyKey: input.idempotencyKey },
      );
      return refundSummary(refund, input.paymentIntentId);
    },
    async retrieveRefund(id) {
      return refundSummary(await stripe.refunds.retrieve(id));
    },
    verifyWebhook(rawBody, signature) {
      return stripe.webhooks.constructEvent(rawBody, signature, config.STRIPE_WEBHOOK_SECRET);
    },
  };
}

/** A Refund object (API answer or `refund.updated` / `charge.refunded` payload) in short. */
export function refundSummary(refund: Stripe.Refund, paymentIntentId = ''): RefundSummary {
  return {
    id: refund.id,
    status: refund.status ?? 'pending',
    amount: refund.amount,
    paymentIntentId:
      typeof refund.payment_intent === 'string'
        ? refund.payment_intent
        : (refund.payment_intent?.id ?? paymentIntentId),
    metadata: (refund.metadata as Record<string, string> | null) ?? {},
    failureReason: refund.failure_reason ?? null,
  };
}

const gateways = new WeakMap<StripeConfig, PaymentsGateway>();

/** The gateway for a process's configuration, built once per config object. */
export function getPaymentsGateway(config: StripeConfig): PaymentsGateway {
  let gateway = gateways.get(config);
  if (!gateway) {
    gateway = createStripeGateway(config);
    gateways.set(config, gateway);
  }
  return gateway;
}

export type StripeEvent = Stripe.Event;
export const isStripeSignatureError = (err: unknown): boolean =>
  err instanceof Stripe.errors.StripeSignatureVerificationError;
/** Stripe refused the request itself (4xx invalid_request_error): retrying cannot help. */
export const isInvalidRequestError = (err: unknown): err is Error =>
  err instanceof Stripe.errors.StripeInvalidRequestError;
/** Stripe refused an action because of the PaymentIntent's status (e.g. cancel a succeeded one). */
export const isIntentStateError = (err: unknown): boolean =>
  err instanceof Stripe.errors.StripeInvalidRequestError &&
  err.code === 'payment_intent_unexpected_state';
