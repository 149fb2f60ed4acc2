import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { generateOib } from '../../src/modules/identity/oib.ts';
import type { DrupalOidcServer } from '../../test/harness/servers/oidc.ts';
import type { StripeTestServer } from '../../src/platform/adapters/stripe/local-server.ts';
import { requestJson, type JsonResponse } from '../lib/http-client.ts';
import type { Counter, LatencyRecorder } from '../lib/stats.ts';

/** What every simulated fan shares: the live API instances, the providers, the recorders. */
export interface FanWorld {
  /** Base URLs of the API instances currently up (changes when one is killed). */
  instances(): string[];
  oidc: DrupalOidcServer;
  stripe: StripeTestServer;
  matchId: string;
  latency: LatencyRecorder;
  /** `<endpoint> <status> <code>` for every non-2xx answer, `<endpoint> network` for failures. */
  errors: Counter;
  /** Fans that leave with seats in the cart (they empty it, as closing checkout does). */
  abandonRate: number;
  /** Payments whose webhook is delivered twice, or the failure event after the success. */
  webhookChaosRate: number;
  random: () => number;
  /** Called once per completed order with the number of tickets. */
  onTickets(count: number): void;
  /** Why the sale is over for the fans still in it (stops them), or null while it is on. */
  stopped(): 'sold_out' | 'time_limit' | null;
}

export type FanOutcome = 'bought' | 'abandoned' | 'sold_out' | 'time_limit' | 'limit' | 'gave_up';

export interface Fan {
  index: number;
  email: string;
  token?: string;
}

interface Problem {
  code?: string;
}
interface LoginOut extends Problem {
  access_token: string;
}
interface QueueOut extends Problem {
  status: string;
}
interface CartOut extends Problem {
  cart: { id: string; seats: unknown[] };
}
interface OrderOut extends Problem {
  id: string;
}
interface PayOut extends Problem {
  payment_intent_id: string;
}
interface TicketsOut extends Problem {
  items?: Array<{ match_id?: string }>;
}

/** How long a fan keeps retrying answers of 503 with Retry-After before giving up. */
const BUSY_RETRY_MS = 60_000;
const pick = <T>(list: T[], random: () => number) => list[Math.floor(random() * list.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One HTTP call to a random live instance, as through a load balancer. Connection failures
 * (an instance just died) are retried on another instance; a 503 with Retry-After (the
 * database or Redis restarting) is retried after that long, jittered, for up to a minute,
 * as the apps do; other HTTP errors are returned.
 */
async function call<T = Problem>(
  world: FanWorld,
  endpoint: string,
  method: string,
  path: string,
  options: Parameters<typeof requestJson>[3] & { retryNetwork?: boolean; retryBusy?: boolean } = {},
): Promise<JsonResponse<T>> {
  const busyUntil = Date.now() + BUSY_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    const base = pick(world.instances(), world.random);
    const start = performance.now();
    try {
      const res = await requestJson<T>(base, method, path, options);
      world.latency.record(endpoint, performance.now() - start);
      if (res.status >= 400) {
        const code = (res.body as Problem | null)?.code ?? '';
        world.errors.add(`${endpoint} ${res.status} ${code}`.trim());
      }
      if (
        res.status === 503 &&
        res.retryAfter !== undefined &&
        options.retryBusy !== false &&
        Date.now() < busyUntil
      ) {
        await sleep(res.retryAfter * 1000 * (0.5 + world.random()));
        continue;
      }
      return res;
    } catch (err) {
      world.errors.add(`${endpoint} network`);
      if (attempt >= 8 || options.retryNetwork === false) throw err;
      await sleep(world.random() * 200 * attempt); // jittered, as the WebSocket below
    }
  }
}

/** Before the sale: log in through Drupal SSO and create the default ticketing profile. */
export async function prepareFan(world: FanWorld, fan: Fan): Promise<void> {
  const drupalToken = await world.oidc.issue({
    sub: `drupal-${fan.index}`,
    email: fan.email,
    status: 1,
  });
  const login = await call<LoginOut>(world, 'POST /auth/login', 'POST', '/auth/login', {
    body: { drupal_token: drupalToken, device_id: `bench-device-${fan.index}` },
  });
  if (login.status !== 200)
    throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  fan.token = login.body.access_token;
  const profile = await call(world, 'POST /users/me/profile', 'POST', '/users/me/profile', {
    token: fan.token,
    body: {
      full_name: `Navijač ${fan.index}`,
      date_of_birth: '1990-05-17',
      nationality: 'HR',
      oib: generateOib(world.random),
    },
  });
  if (profile.status !== 201 && profile.status !== 409) {
    throw new Error(`profile failed: ${profile.status} ${JSON.stringify(profile.body)}`);
  }
}

/**
 * How long a fan's app waits before reconnecting the queue WebSocket after its `failures`-th
 * failure in a row: exponential backoff with full jitter, as the queue README asks of
 * clients. When an instance dies, its thousands of sockets reconnect spread over seconds
 * instead of in one burst that overflows the survivors' accept queues.
 */
export function reconnectDelayMs(failures: number, random: () => number): number {
  const ceiling = Math.min(WS_RECONNECT_MAX_MS, WS_RECONNECT_BASE_MS * 2 ** (failures - 1));
  return random() * ceiling;
}
const WS_RECONNECT_BASE_MS = 1_000;
const WS_RECONNECT_MAX_MS = 15_000;

/** Waits on the queue WebSocket until the fan is admitted (status ACTIVE). */
async function waitForAdmission(world: FanWorld, fan: Fan, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let failures = 0;
  while (Date.now() < deadline && !world.stopped()) {
    const base = pick(world.instances(), world.random).replace(/^http/, 'ws');
    const admitted = await new Promise<boolean | null>((resolve) => {
      const ws = new WebSocket(`${base}/queue/${world.matchId}/ws?access_token=${fan.token}`);
      const timer = setTimeout(() => finish(null), Math.max(1, deadline - Date.now()));
      const stopPoll = setInterval(() => world.stopped() && finish(false), 500);
      function finish(value: boolean | null) {
        clearTimeout(timer);
        clearInterval(stopPoll);
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        resolve(value);
      }
      ws.on('message', (data) => {
        failures = 0; // connected and served: the next drop starts the backoff afresh
        const msg = JSON.parse(String(data)) as { status?: string };
        if (msg.status === 'ACTIVE') finish(true);
        else if (msg.status === 'EXPIRED' || msg.status === 'LEFT' || msg.status === 'COMPLETED')
          finish(false);
      });
      // The instance went away (killed): reconnect elsewhere; the place in line is kept.
      ws.on('close', () => finish(null));
      ws.on('error', (err) => {
        // By reason: a refused handshake ("Unexpected server response: 503") is not a reset.
        world.errors.add(`WS /queue/:id/ws ${err.message.replace(/\d{4,}/g, 'N').slice(0, 48)}`);
        finish(null);
      });
    });
    if (admitted !== null) return admitted;
    failures += 1;
    await sleep(Math.min(reconnectDelayMs(failures, world.random), deadline - Date.now()));
  }
  return false;
}

async function deliverWebhook(world: FanWorld, event: ReturnType<StripeTestServer['succeed']>) {
  const { payload, headers } = world.stripe.sign(event);
  const res = await call(world, 'POST /webhooks/stripe', 'POST', '/webhooks/stripe', {
    rawBody: payload,
    headers,
  });
  return res.status;
}

/**
 * The whole purchase as a fan's app does it: join the line, wait for the turn, take 1–4
 * seats in a zone, name the holders, pay, receive the tickets. Some fans abandon the cart.
 */
export async function buyTickets(world: FanWorld, fan: Fan, zones: string[]): Promise<FanOutcome> {
  const token = fan.token!;
  const join = await call<QueueOut>(
    world,
    'POST /queue/:id/join',
    'POST',
    `/queue/${world.matchId}/join`,
    {
      token,
    },
  );
  if (join.status !== 200 && join.status !== 201) return 'gave_up';
  if (join.body.status !== 'ACTIVE' && !(await waitForAdmission(world, fan, 10 * 60_000))) {
    return world.stopped() ?? 'gave_up';
  }

  const quantity = 1 + Math.floor(world.random() * 4);
  let cart: JsonResponse<CartOut> | undefined;
  for (let attempt = 0; attempt < 6 && !world.stopped(); attempt++) {
    const zone = pick(zones, world.random);
    // With its Idempotency-Key the addition is safe to send again after no answer (a
    // timeout, an instance gone) or a 503 (the database went away, maybe after the
    // commit): the retry gets the seats already held instead of a second set.
    const key = `bench-${fan.index}-${attempt}-${Math.floor(world.random() * 1e9)}`;
    try {
      cart = await call<CartOut>(world, 'POST /cart/add', 'POST', '/cart/add', {
        token,
        headers: { 'idempotency-key': key },
        body: { match_id: world.matchId, match_sector_id: zone, quantity },
      });
    } catch {
      // No answer eight times over: the app looks at the cart before giving up.
      cart = await currentCart(world, token);
      if (cart) break;
      continue;
    }
    if (cart.status === 200) break;
    const code = cart.body?.code;
    if (code === 'PURCHASE_LIMIT_EXCEEDED') return 'limit';
    if (code !== 'SEATS_INSUFFICIENT' && cart.status < 500) return 'gave_up';
    // That zone is out (or a transient error): try another zone, as a fan would.
  }
  if (!cart || cart.status !== 200) return world.stopped() ?? 'sold_out';
  const cartId = cart.body.cart.id;
  const seats = cart.body.cart.seats.length;

  if (world.random() < world.abandonRate) {
    await call(world, 'DELETE /cart', 'DELETE', `/cart?match_id=${world.matchId}`, { token });
    return 'abandoned';
  }

  const holders = [
    { source: 'DEFAULT_PROFILE' },
    ...Array.from({ length: seats - 1 }, (_, i) => ({
      source: 'MANUAL_ENTRY',
      full_name: `Pratitelj ${fan.index}-${i + 1}`,
      date_of_birth: '1992-03-08',
      nationality: 'HR',
      oib: generateOib(world.random),
    })),
  ];
  const order = await call<OrderOut>(
    world,
    'POST /checkout/ticket-holders',
    'POST',
    '/checkout/ticket-holders',
    {
      token,
      body: { cart_id: cartId, holders },
    },
  );
  if (order.status !== 200 && order.status !== 201) return 'gave_up';
  const orderId = order.body.id;

  // Some apps retry the payment call: the Idempotency-Key makes that safe.
  const idempotencyKey = randomUUID();
  let pay: JsonResponse<PayOut> | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    pay = await call<PayOut>(world, 'POST /checkout/pay', 'POST', '/checkout/pay', {
      token,
      body: { order_id: orderId },
      headers: { 'idempotency-key': idempotencyKey },
    });
    if (pay.status === 200) break;
    if (pay.status < 500) return 'gave_up';
  }
  if (!pay || pay.status !== 200) return 'gave_up';

  // The card is charged; Stripe tells the backend (sometimes twice, sometimes with a late
  // failure event for the same intent after the success).
  const succeeded = world.stripe.succeed(pay.body.payment_intent_id);
  const chaos = world.random() < world.webhookChaosRate;
  if (chaos && world.random() < 0.5) {
    await Promise.all([deliverWebhook(world, succeeded), deliverWebhook(world, succeeded)]);
  } else if (chaos) {
    await deliverWebhook(
      world,
      world.stripe.event('payment_intent.payment_failed', pay.body.payment_intent_id),
    );
    await deliverWebhook(world, succeeded);
  } else {
    for (let attempt = 0; attempt < 5 && (await deliverWebhook(world, succeeded)) >= 500; attempt++)
      await sleep(200);
  }

  // The app shows the tickets once the order is completed (it polls once a second
  // until the "tickets ready" push arrives).
  for (let attempt = 0; attempt < 30; attempt++) {
    const tickets = await call<TicketsOut>(
      world,
      'GET /users/me/tickets',
      'GET',
      '/users/me/tickets',
      {
        token,
      },
    );
    const mine = tickets.body?.items ?? [];
    const count = mine.filter((t) => !t.match_id || t.match_id === world.matchId).length;
    if (tickets.status === 200 && count >= seats) {
      world.onTickets(seats);
      return 'bought';
    }
    await sleep(1_000);
  }
  return 'gave_up';
}

/** The fan's live cart of this match with seats in it, as a cart answer, or undefined. */
async function currentCart(world: FanWorld, token: string) {
  const res = await call<{ carts?: Array<CartOut['cart'] & { match_id: string }> }>(
    world,
    'GET /cart',
    'GET',
    '/cart',
    { token },
  ).catch(() => undefined);
  const cart = res?.body?.carts?.find((c) => c.match_id === world.matchId && c.seats.length > 0);
  return cart ? ({ status: 200, body: { cart } } as JsonResponse<CartOut>) : undefined;
}
