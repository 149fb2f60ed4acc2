import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A local HTTP server speaking the part of Stripe's REST API the service uses, so tests,
 * benchmarks and `npm start` in development (dev-stripe.ts) run the real `stripe` SDK end to
 * end: form-encoded POST /v1/payment_intents and /v1/refunds, GET /v1/payment_intents/:id,
 * POST /v1/payment_intents/:id/cancel and /confirm, the secret key as bearer or basic
 * authentication, Stripe-style errors and Idempotency-Key replay (same key → same response;
 * same key, other parameters → 400). Webhooks are signed with the SDK's own
 * `webhooks.generateTestHeaderString`; with `webhookUrl` a confirmation is delivered there as
 * Stripe would (signed POST, retried until answered 2xx). State lives in memory only.
 */
export interface FakePaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  status: string;
  client_secret: string;
  metadata: Record<string, string>;
  description: string | null;
  latest_charge: string | null;
  created: number;
  livemode: false;
  last_payment_error: { code: string; message: string } | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
}

/** Statuses from which Stripe lets a PaymentIntent be cancelled (cards never stay `processing`). */
const CANCELABLE = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
];
const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];

/**
 * Stripe's Refund object (https://docs.stripe.com/api/refunds/object), the fields the
 * service reads and a few more. Card refunds are created `pending` here and settle
 * `succeeded` (or `failed`) afterwards, announced by `charge.refunded` and `refund.updated`.
 */
export interface FakeRefund {
  id: string;
  object: 'refund';
  amount: number;
  balance_transaction: string | null;
  charge: string | null;
  currency: string;
  payment_intent: string;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled';
  failure_reason: string | null;
  reason: string | null;
  receipt_number: string | null;
  metadata: Record<string, string>;
  created: number;
}

export type RefundOutcome = 'succeeded' | 'failed';

export interface StripeTestServer {
  /** e.g. http://127.0.0.1:43210: the STRIPE_API_BASE for the app. */
  url: string;
  apiKey: string;
  webhookSecret: string;
  paymentIntents: Map<string, FakePaymentIntent>;
  refunds: FakeRefund[];
  /**
   * Settles a pending refund as the card network would (default: the `refundOutcome`
   * option's answer, else succeeded) and returns its events, `charge.refunded` (on success)
   * and `refund.updated`; a settled refund gives no events.
   */
  settleRefund(refundId: string, outcome?: RefundOutcome): Stripe.Event[];
  /** Requests received (method, path, idempotency key), for assertions. */
  requests: Array<{ method: string; path: string; idempotencyKey?: string }>;
  /** Answer the next `count` requests to `path` with HTTP 500 (network-ish failures). */
  failNext(path: string, count?: number): void;
  /**
   * Runs `hook` when the next request to `path` arrives, before answering it (e.g. to make
   * something happen while the app waits for Stripe).
   */
  beforeNext(path: string, hook: () => Promise<void>): void;
  /** Settles a PaymentIntent as the card network would, returning the matching event. */
  succeed(paymentIntentId: string): Stripe.Event;
  fail(paymentIntentId: string, message?: string): Stripe.Event;
  /** An event with a fresh id for the PaymentIntent's current state. */
  event(type: string, paymentIntentId: string): Stripe.Event;
  /** The raw body and Stripe-Signature header of a webhook delivery of `event`. */
  sign(
    event: Stripe.Event,
    options?: { secret?: string; timestamp?: number },
  ): {
    payload: string;
    headers: Record<string, string>;
  };
  /**
   * POSTs the signed `event` to `webhookUrl`, retrying (as Stripe does) until it is answered
   * 2xx or the attempts run out; resolves with the last HTTP status (0: never reached).
   */
  deliver(event: Stripe.Event): Promise<number>;
  close(): Promise<void>;
}

export interface StripeServerOptions {
  apiKey?: string;
  webhookSecret?: string;
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Where `deliver` and POST /v1/payment_intents/:id/confirm send events (none: no delivery). */
  webhookUrl?: string;
  /** Delivery attempts and the first retry delay, doubling each time (default 6, 500 ms). */
  webhookAttempts?: number;
  webhookRetryMs?: number;
  /** Told about each delivery that was not answered 2xx. */
  /**
   * With `webhookUrl`: each new refund settles this long after it was answered (default
   * 20 ms) and its events are delivered there; `false`: refunds stay pending until
   * `settleRefund`.
   */
  refundSettleMs?: number | false;
  /** How a refund settles (default: every refund succeeds). */
  refundOutcome?: (refund: FakeRefund) => RefundOutcome;
  /**
   * Deliveries as Stripe makes them in practice: each event of a settled refund is sent a
   * second time with this probability, and the events of one refund go out in random
   * order, concurrently (default 0 and false). Stripe guarantees neither once-only nor
   * ordered delivery.
   */
  webhookDuplicateRate?: number;
  webhookReorder?: boolean;
  random?: () => number;
  onDeliveryFailure?: (info: {
    eventId: string;
    attempt: number;
    status: number;
    error?: unknown;
  }) => void;
}

/**
 * Stripe's test PaymentMethods (https://docs.stripe.com/testing): these decline; any other
 * (default `pm_card_visa`) succeeds.
 */
const DECLINING_PAYMENT_METHODS = ['pm_card_chargeDeclined', 'pm_card_visa_chargeDeclined'];
const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation'];

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/** Stripe's form encoding: `metadata[order_id]=1&automatic_payment_methods[enabled]=true`. */
function parseForm(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.replace(/\]/g, '').split('[');
    let node = out as Record<string, unknown>;
    path.slice(0, -1).forEach((part) => {
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    });
    node[path.at(-1)!] = value;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startStripeServer(
  options: StripeServerOptions = {},
): Promise<StripeTestServer> {
  const apiKey = options.apiKey ?? 'sk_test_local_server';
  const webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(16).toString('hex')}`;
  const paymentIntents = new Map<string, FakePaymentIntent>();
  const refunds: FakeRefund[] = [];
  const requests: StripeTestServer['requests'] = [];
  const idempotent = new Map<string, { params: string; status: number; body: unknown }>();
  const failures = new Map<string, number>();
  const hooks = new Map<string, () => Promise<void>>();
  const now = () => Math.floor(Date.now() / 1000);
  const stripe = new Stripe(apiKey);

  function event(type: string, paymentIntentId: string): Stripe.Event {
    const pi = paymentIntents.get(paymentIntentId);
    if (!pi) throw new Error(`unknown PaymentIntent ${paymentIntentId}`);
    return {
      id: id('evt'),
      object: 'event',
      api_version: '2025-01-01',
      created: now(),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: structuredClone(pi) },
    } as unknown as Stripe.Event;
  }

  function objectEvent(type: string, object: unknown): Stripe.Event {
    return {
      id: id('evt'),
      object: 'event',
      api_version: '2025-01-01',
      created: now(),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: structuredClone(object) },
    } as unknown as Stripe.Event;
  }

  /** The Charge of a PaymentIntent as `charge.refunded` carries it, its refunds listed. */
  function chargeOf(pi: FakePaymentIntent) {
    const own = refunds.filter((r) => r.payment_intent === pi.id);
    const refunded = own.filter((r) => r.status === 'succeeded').reduce((a, r) => a + r.amount, 0);
    return {
      id: pi.latest_charge,
      object: 'charge',
      amount: pi.amount,
      amount_captured: pi.amount_received,
      amount_refunded: refunded,
      currency: pi.currency,
      captured: true,
      paid: true,
      refunded: refunded >= pi.amount,
      payment_intent: pi.id,
      metadata: pi.metadata,
      status: 'succeeded',
      created: pi.created,
      livemode: false,
      refunds: {
        object: 'list',
        data: own.map((r) => structuredClone(r)),
        has_more: false,
        total_count: own.length,
        url: `/v1/charges/${pi.latest_charge}/refunds`,
      },
    };
  }

  function settleRefund(refundId: string, outcome?: RefundOutcome): Stripe.Event[] {
    const refund = refunds.find((r) => r.id === refundId);
    if (!refund) throw new Error(`unknown refund ${refundId}`);
    if (refund.status !== 'pending') return [];
    const result = outcome ?? options.refundOutcome?.(refund) ?? 'succeeded';
    refund.status = result;
    if (result === 'failed') {
      refund.failure_reason = 'expired_or_canceled_card';
      return [objectEvent('refund.updated', refund)];
    }
    refund.balance_transaction = id('txn');
    const pi = paymentIntents.get(refund.payment_intent)!;
    return [objectEvent('charge.refunded', chargeOf(pi)), objectEvent('refund.updated', refund)];
  }

  /** A settled refund's events to `webhookUrl`: duplicated and reordered as configured. */
  async function deliverRefundEvents(refundId: string): Promise<void> {
    const random = options.random ?? Math.random;
    const events = settleRefund(refundId);
    const sends = events.flatMap((e) =>
      random() < (options.webhookDuplicateRate ?? 0) ? [e, e] : [e],
    );
    if (options.webhookReorder) {
      for (let i = sends.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [sends[i], sends[j]] = [sends[j]!, sends[i]!];
      }
      await Promise.all(sends.map((e) => deliver(e)));
    } else {
      for (const e of sends) await deliver(e);
    }
  }

  function succeed(paymentIntentId: string): Stripe.Event {
    const pi = paymentIntents.get(paymentIntentId);
    if (!pi) throw new Error(`unknown PaymentIntent ${paymentIntentId}`);
    if (pi.status === 'canceled') throw new Error(`PaymentIntent ${paymentIntentId} is canceled`);
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.latest_charge = id('ch');
    pi.last_payment_error = null;
    return event('payment_intent.succeeded', paymentIntentId);
  }

  function fail(paymentIntentId: string, message = 'Your card was declined.'): Stripe.Event {
    const pi = paymentIntents.get(paymentIntentId);
    if (!pi) throw new Error(`unknown PaymentIntent ${paymentIntentId}`);
    pi.status = 'requires_payment_method';
    pi.last_payment_error = { code: 'card_declined', message };
    return event('payment_intent.payment_failed', paymentIntentId);
  }

  function sign(evt: Stripe.Event, opts: { secret?: string; timestamp?: number } = {}) {
    const payload = JSON.stringify(evt, null, 2);
    const header = stripe.webhooks.generateTestHeaderString({
      payload,
      secret: opts.secret ?? webhookSecret,
      ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
    });
    return {
      payload,
      headers: { 'stripe-signature': header, 'content-type': 'application/json' },
    };
  }

  async function deliver(evt: Stripe.Event): Promise<number> {
    const url = options.webhookUrl;
    if (!url) throw new Error('startStripeServer: no webhookUrl to deliver to');
    const attempts = options.webhookAttempts ?? 6;
    let delay = options.webhookRetryMs ?? 500;
    let status = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      // Signed per attempt: the signature carries the delivery's timestamp.
      const { payload, headers } = sign(evt);
      let failure: unknown;
      try {
        const res = await fetch(url, { method: 'POST', headers, body: payload });
        status = res.status;
        await res.body?.cancel();
        if (res.ok) return status;
      } catch (err) {
        failure = err;
      }
      options.onDeliveryFailure?.({ eventId: evt.id, attempt, status, error: failure });
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
    return status;
  }
  // Stripe takes the secret key as a bearer token or as the basic-auth user (`curl -u sk_…:`).
  const basic = `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}`;
  const authorized = (header: string | undefined) =>
    header === `Bearer ${apiKey}` || header === basic;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
    res.end(JSON.stringify(body));
  };
  const error = (status: number, type: string, message: string, extra: object = {}) => ({
    status,
    body: { error: { type, message, ...extra } },
  });

  function handle(method: string, path: string, params: Record<string, unknown>) {
    if (method === 'POST' && path === '/v1/payment_intents') {
      const amount = Number(params.amount);
      if (!Number.isInteger(amount) || amount < 50) {
        return error(400, 'invalid_request_error', 'Amount must be at least 50 cents', {
          param: 'amount',
        });
      }
      const pi: FakePaymentIntent = {
        id: id('pi'),
        object: 'payment_intent',
        amount,
        amount_received: 0,
        currency: String(params.currency ?? 'eur'),
        status: 'requires_payment_method',
        client_secret: '',
        metadata: (params.metadata as Record<string, string>) ?? {},
        description: (params.description as string) ?? null,
        latest_charge: null,
        created: now(),
        livemode: false,
        last_payment_error: null,
        canceled_at: null,
        cancellation_reason: null,
      };
      pi.client_secret = `${pi.id}_secret_${randomBytes(12).toString('hex')}`;
      paymentIntents.set(pi.id, pi);
      return { status: 200, body: pi };
    }
    const piMatch = /^\/v1\/payment_intents\/([A-Za-z0-9_]+)$/.exec(path);
    if (method === 'GET' && piMatch) {
      const pi = paymentIntents.get(piMatch[1]!);
      return pi
        ? { status: 200, body: pi }
        : error(404, 'invalid_request_error', `No such payment_intent: '${piMatch[1]}'`, {
            code: 'resource_missing',
          });
    }
    // POST /v1/payment_intents/:id/<action>: the intent, or Stripe's 404 for it.
    const actionMatch = /^\/v1\/payment_intents\/([A-Za-z0-9_]+)\/(cancel|confirm)$/.exec(path);
    const target = actionMatch && method === 'POST' ? paymentIntents.get(actionMatch[1]!) : null;
    if (actionMatch && method === 'POST' && !target) {
      return error(404, 'invalid_request_error', `No such payment_intent: '${actionMatch[1]}'`, {
        code: 'resource_missing',
        param: 'intent',
      });
    }
    // Stripe's answer to an action the intent's status does not allow.
    const unexpectedState = (pi: FakePaymentIntent, detail = '') =>
      error(
        400,
        'invalid_request_error',
        `You cannot ${actionMatch![2]} this PaymentIntent because it has a status of ${pi.status}.${detail}`,
        { code: 'payment_intent_unexpected_state', payment_intent: structuredClone(pi) },
      );
    if (target && actionMatch![2] === 'cancel') {
      const pi = target;
      const reason = params.cancellation_reason as string | undefined;
      if (reason !== undefined && !CANCELLATION_REASONS.includes(reason)) {
        return error(400, 'invalid_request_error', `Invalid cancellation_reason: ${reason}`, {
          param: 'cancellation_reason',
        });
      }
      if (!CANCELABLE.includes(pi.status)) {
        return unexpectedState(
          pi,
          ` Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
        );
      }
      pi.status = 'canceled';
      pi.canceled_at = now();
      pi.cancellation_reason = reason ?? null;
      return { status: 200, body: pi };
    }
    if (target) {
      // confirm
      const pi = target;
      if (!CONFIRMABLE.includes(pi.status)) return unexpectedState(pi);
      const paymentMethod = String(params.payment_method ?? 'pm_card_visa');
      const evt = DECLINING_PAYMENT_METHODS.includes(paymentMethod) ? fail(pi.id) : succeed(pi.id);
      // Stripe answers the confirmation first and sends the webhook on its own.
      void deliver(evt);
      return { status: 200, body: structuredClone(pi) };
    }
    const refundMatch = /^\/v1\/refunds\/([A-Za-z0-9_]+)$/.exec(path);
    if (method === 'GET' && refundMatch) {
      const refund = refunds.find((r) => r.id === refundMatch[1]);
      return refund
        ? { status: 200, body: structuredClone(refund) }
        : error(404, 'invalid_request_error', `No such refund: '${refundMatch[1]}'`, {
            code: 'resource_missing',
          });
    }
    if (method === 'POST' && path === '/v1/refunds') {
      const pi = paymentIntents.get(String(params.payment_intent));
      if (!pi) {
        return error(404, 'invalid_request_error', 'No such payment_intent', {
          code: 'resource_missing',
          param: 'payment_intent',
        });
      }
      if (pi.status !== 'succeeded') {
        return error(400, 'invalid_request_error', 'PaymentIntent has not succeeded', {
          code: 'charge_not_refundable',
        });
      }
      // Pending and succeeded refunds count against the charge; failed ones gave nothing.
      const already = refunds
        .filter(
          (r) => r.payment_intent === pi.id && (r.status === 'pending' || r.status === 'succeeded'),
        )
        .reduce((a, r) => a + r.amount, 0);
      if (already >= pi.amount) {
        return error(
          400,
          'invalid_request_error',
          `Charge ${pi.latest_charge} has already been refunded.`,
          {
            code: 'charge_already_refunded',
          },
        );
      }
      const amount = params.amount !== undefined ? Number(params.amount) : pi.amount - already;
      if (!Number.isInteger(amount) || amount <= 0 || already + amount > pi.amount) {
        return error(
          400,
          'invalid_request_error',
          `Refund amount (${amount}) is greater than unrefunded amount on charge (${pi.amount - already})`,
          { code: 'amount_too_large', param: 'amount' },
        );
      }
      const refund: FakeRefund = {
        id: id('re'),
        object: 'refund',
        amount,
        balance_transaction: null,
        charge: pi.latest_charge,
        currency: pi.currency,
        payment_intent: pi.id,
        status: 'pending',
        failure_reason: null,
        reason: (params.reason as string) ?? null,
        receipt_number: null,
        metadata: (params.metadata as Record<string, string>) ?? {},
        created: now(),
      };
      refunds.push(refund);
      const settleMs = options.refundSettleMs ?? 20;
      if (options.webhookUrl && settleMs !== false) {
        setTimeout(() => void deliverRefundEvents(refund.id), settleMs).unref();
      }
      return { status: 200, body: structuredClone(refund) };
    }
    return error(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path})`);
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      const key = req.headers['idempotency-key'] as string | undefined;
      requests.push({ method, path: url.pathname, idempotencyKey: key });
      if (!authorized(req.headers.authorization)) {
        const e = error(401, 'invalid_request_error', 'Invalid API Key provided');
        return send(res, e.status, e.body);
      }
      const hook = hooks.get(url.pathname);
      if (hook) {
        hooks.delete(url.pathname);
        await hook();
      }
      const pending = failures.get(url.pathname) ?? 0;
      if (pending > 0) {
        failures.set(url.pathname, pending - 1);
        const e = error(500, 'api_error', 'Something went wrong on Stripe’s end.');
        return send(res, e.status, e.body);
      }
      const params = method === 'GET' ? Object.fromEntries(url.searchParams) : parseForm(raw);
      if (method === 'POST' && key) {
        const cacheKey = `${url.pathname} ${key}`;
        const seen = idempotent.get(cacheKey);
        if (seen) {
          if (seen.params !== raw) {
            const e = error(
              400,
              'idempotency_error',
              'Keys for idempotent requests can only be used with the same parameters they were first used with.',
            );
            return send(res, e.status, e.body);
          }
          res.setHeader('idempotent-replayed', 'true');
          return send(res, seen.status, seen.body);
        }
        const result = handle(method, url.pathname, params);
        // Stripe does not store 5xx results; everything else is replayed.
        idempotent.set(cacheKey, { params: raw, ...result });
        return send(res, result.status, result.body);
      }
      const result = handle(method, url.pathname, params);
      return send(res, result.status, result.body);
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    webhookSecret,
    paymentIntents,
    refunds,
    settleRefund,
    requests,
    failNext(path, count = 1) {
      failures.set(path, count);
    },
    beforeNext(path, hook) {
      hooks.set(path, hook);
    },
    succeed,
    fail,
    event,
    sign,
    deliver,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
