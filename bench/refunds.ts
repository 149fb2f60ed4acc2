// npm run bench:refunds  (BENCH_N orders, default 10000; BENCH_CONCURRENCY, default 32;
//   BENCH_KILL_AT, default 0.4: the fraction of Stripe refunds after which the worker is
//   SIGKILLed and replaced; 0: no kill). See bench/README.md, "bench:refunds".
//
// Refunds N paid one-ticket orders end to end: staff requests through the API
// (POST /admin/orders/{id}/refund on a `serve` process), the Stripe refund job in a
// `worker` process against the local Stripe-protocol server, which settles each refund
// and delivers `charge.refunded` and `refund.updated` to the API's /webhooks/stripe,
// duplicated (10 %) and reordered. Reported: the request rate, the job's refunds/s, the
// webhook events/s handled in the same window, and after the SIGKILL of the worker
// mid-way: every refund COMPLETED with exactly one Stripe refund, none twice, the money
// per payment at most what was paid, every invariant of the match holding.
//
// Runs on a scratch database on TEST_DATABASE_URL's server, dropped afterwards.
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { auditMatchInvariants } from '../src/modules/integrity/integrity.service.ts';
import { emailTemplatesSeed } from '../src/modules/notifications/email-templates.ts';
import {
  startStripeServer,
  type FakePaymentIntent,
} from '../src/platform/adapters/stripe/local-server.ts';
import { createLockedMatch } from '../test/factories/matches.ts';
import { createUser } from '../test/factories/users.ts';
import { TEST_REDIS_URL } from '../test/harness/context.ts';
import { startLocalLoki } from '../test/harness/servers/loki.ts';
import { startLocalSmtp } from '../test/harness/servers/smtp.ts';
import { freePort } from './lib/private-servers.ts';
import { startService, stopService, type ServiceProcess } from './lib/processes.ts';
import { writeResult } from './lib/results.ts';
import { LatencyRecorder, round } from './lib/stats.ts';
import { openBenchWorld } from './lib/world.ts';

const N = Number(process.env.BENCH_N ?? 10_000);
const C = Number(process.env.BENCH_CONCURRENCY ?? 32);
const KILL_AT = Number(process.env.BENCH_KILL_AT ?? 0.4);
const PRICE = 2500;
const FEE = 150;
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadAtStart = os.loadavg().map((l) => round(l, 2));

const apiPort = await freePort();
// Deliveries the API did not answer 2xx, by status (0: no answer), and events given up.
const deliveryFailures: Record<string, number> = {};
let deliveriesGivenUp = 0;
const ATTEMPTS = 8;
const stripe = await startStripeServer({
  webhookUrl: `http://127.0.0.1:${apiPort}/webhooks/stripe`,
  refundSettleMs: 20,
  webhookDuplicateRate: 0.1,
  webhookReorder: true,
  webhookAttempts: ATTEMPTS,
  webhookRetryMs: 250,
  onDeliveryFailure: ({ attempt, status }) => {
    deliveryFailures[status] = (deliveryFailures[status] ?? 0) + 1;
    if (attempt === ATTEMPTS) deliveriesGivenUp++;
  },
});
const smtp = await startLocalSmtp({ parse: false });
const loki = await startLocalLoki();
const shared = {
  STRIPE_API_BASE: stripe.url,
  STRIPE_API_KEY: stripe.apiKey,
  STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
  SMTP_URL: smtp.url,
  LOKI_URL: loki.url,
  RATE_LIMIT_MAX: '10000000',
};
const world = await openBenchWorld({ pool: C + 4, env: { LOG_LEVEL: 'silent', ...shared } });
const services: ServiceProcess[] = [];
const env = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'error',
  DATABASE_URL: world.databaseUrl,
  DATABASE_POOL_MAX: '20',
  REDIS_URL: TEST_REDIS_URL,
  REDIS_KEY_PREFIX: world.redisPrefix,
  ...shared,
};

try {
  const { deps } = world;
  const db = deps.db;
  await emailTemplatesSeed.run({ db } as never);

  // N paid one-ticket orders of one match, written in bulk (the purchase flow has its own
  // benches); their PaymentIntents succeeded at the local Stripe server.
  log(`seeding ${N} paid orders`);
  const seatsPerRow = 100;
  const match = await createLockedMatch(deps, {
    rows: Math.ceil(N / seatsPerRow),
    seatsPerRow,
    price: PRICE,
    status: 'PUBLISHED',
  });
  const seats = await db
    .selectFrom('match_seat_inventory')
    .select(['id', 'match_sector_id'])
    .where('match_id', '=', match.matchId)
    .orderBy('snake_order')
    .limit(N)
    .execute();
  const tag = randomBytes(4).toString('hex');
  const orders: Array<{ id: string; intent: string }> = [];
  for (let from = 0; from < N; from += 1000) {
    const chunk = seats.slice(from, from + 1000);
    const rows = chunk.map((seat, i) => ({
      n: from + i,
      seat: seat.id,
      sector: seat.match_sector_id,
      user: randomUUID(),
      order: randomUUID(),
      intent: `pi_bench_${tag}_${from + i}`,
    }));
    const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
    await sql`
      WITH input AS (
        SELECT * FROM unnest(${col('n')}::int[], ${col('seat')}::uuid[], ${col('sector')}::uuid[],
                             ${col('user')}::uuid[], ${col('order')}::uuid[], ${col('intent')}::text[])
               AS x(n, seat, sector, user_id, order_id, intent)
      ),
      u AS (
        INSERT INTO users (id, drupal_user_id, email)
        SELECT user_id, 'bench-' || ${tag} || '-' || n, 'bench-' || ${tag} || '-' || n || '@example.test' FROM input
      ),
      o AS (
        INSERT INTO orders (id, user_id, match_id, status, ticket_amount, ticket_vat_amount, fee_amount,
                            fee_vat_amount, total_amount, fee_percent_bp, ticket_vat_bp, fee_vat_bp, completed_at)
        SELECT order_id, user_id, ${match.matchId}, 'COMPLETED', ${PRICE}, 119, ${FEE}, 30, ${PRICE + FEE},
               600, 500, 2500, now() FROM input
      ),
      oi AS (
        INSERT INTO order_items (order_id, position, match_seat_inventory_id, match_sector_id, unit_price,
                                 ticket_vat_amount, fee_amount, fee_vat_amount, holder_full_name,
                                 holder_date_of_birth, holder_nationality, holder_passport_encrypted,
                                 holder_is_minor, holder_source)
        SELECT order_id, 1, seat, sector, ${PRICE}, 119, ${FEE}, 30, 'Bench Fan ' || n, '1990-01-01', 'HR',
               'bench', false, 'MANUAL_ENTRY' FROM input
      ),
      p AS (
        INSERT INTO payments (order_id, stripe_payment_intent_id, stripe_charge_id, amount, status, completed_at)
        SELECT order_id, intent, 'ch_' || intent, ${PRICE + FEE}, 'SUCCEEDED', now() FROM input
      ),
      inv AS (
        -- the invoice request settlement queues with every paid order (invoicing's outbox;
        -- no worker here sends it, so e-računi is not part of what is measured)
        INSERT INTO e_racuni_requests (document_type, local_reference_id, order_id, next_attempt_at)
        SELECT 'INVOICE', order_id, order_id, now() + interval '1 day' FROM input
      ),
      t AS (
        INSERT INTO tickets (order_id, match_id, match_seat_inventory_id, owner_user_id, barcode,
                             qr_code_data, status, price_amount, fee_amount)
        SELECT order_id, ${match.matchId}, seat, user_id, lpad((n + 100000000000)::text, 18, '9'),
               'bench', 'SOLD', ${PRICE}, ${FEE} FROM input
      )
      UPDATE match_seat_inventory m SET status = 'SOLD' FROM input WHERE m.id = input.seat`.execute(
      db,
    );
    for (const r of rows) {
      orders.push({ id: r.order, intent: r.intent });
      const pi: FakePaymentIntent = {
        id: r.intent,
        object: 'payment_intent',
        amount: PRICE + FEE,
        amount_received: PRICE + FEE,
        currency: 'eur',
        status: 'succeeded',
        client_secret: `${r.intent}_secret`,
        metadata: { order_id: r.order },
        description: null,
        latest_charge: `ch_${r.intent}`,
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        last_payment_error: null,
        canceled_at: null,
        cancellation_reason: null,
      };
      stripe.paymentIntents.set(pi.id, pi);
    }
  }
  const admin = await createUser(deps, { roles: ['SUPPORT_AGENT'] });

  // Phase 1: the API only (no worker yet), C staff requests at a time.
  services.push(await startService('api', 'serve', env, apiPort));
  log(`requesting ${N} refunds through the API (${C} at a time)`);
  const latency = new LatencyRecorder();
  let next = 0;
  let refused = 0;
  const requestStart = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < orders.length) {
        const order = orders[next++]!;
        const t0 = performance.now();
        const res = await fetch(`http://127.0.0.1:${apiPort}/admin/orders/${order.id}/refund`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ reason: 'bench: match moved' }),
        });
        await res.body?.cancel();
        latency.record('POST /admin/orders/{id}/refund', performance.now() - t0);
        if (res.status !== 201) refused++;
      }
    }),
  );
  const requestSeconds = (performance.now() - requestStart) / 1000;
  log(`requested in ${round(requestSeconds, 1)} s (${refused} refused)`);

  // Phase 2: the worker refunds at Stripe; Stripe's events come back to the API.
  const counts = async () => {
    const { rows } = await sql<{ completed: number; events: number }>`
      SELECT (SELECT count(*) FROM refunds WHERE status = 'COMPLETED')::int AS completed,
             (SELECT count(*) FROM stripe_webhook_events
               WHERE type IN ('charge.refunded', 'refund.updated'))::int AS events`.execute(db);
    return rows[0]!;
  };
  const jobStart = performance.now();
  let worker = await startService('worker-1', 'worker', env);
  services.push(worker);
  let killed: { at_stripe_refunds: number; at_seconds: number } | null = null;
  let lastProgress = performance.now();
  let last = 0;
  for (;;) {
    const { completed } = await counts();
    if (completed !== last) {
      last = completed;
      lastProgress = performance.now();
    }
    if (!killed && KILL_AT > 0 && stripe.refunds.length >= N * KILL_AT) {
      killed = {
        at_stripe_refunds: stripe.refunds.length,
        at_seconds: round((performance.now() - jobStart) / 1000, 1),
      };
      log(`SIGKILL of the worker after ${killed.at_stripe_refunds} Stripe refunds`);
      await stopService(worker, 'SIGKILL');
      worker = await startService('worker-2', 'worker', env);
      services.push(worker);
    }
    if (completed >= N - refused) break;
    if (performance.now() - lastProgress > 240_000) throw new Error('no progress for 240 s');
    await sleep(250);
  }
  const jobSeconds = (performance.now() - jobStart) / 1000;
  // The last duplicated deliveries may still be on their way.
  await sleep(2_000);
  const { events } = await counts();
  const { rows: eventWindow } = await sql<{ first: Date; last: Date }>`
    SELECT min(processed_at) AS first, max(processed_at) AS last FROM stripe_webhook_events
     WHERE type IN ('charge.refunded', 'refund.updated')`.execute(db);
  const eventSeconds =
    (eventWindow[0]!.last.getTime() - eventWindow[0]!.first.getTime()) / 1000 || jobSeconds;

  // Nothing lost, nothing twice.
  const perRefund = new Map<string, number>();
  const perIntent = new Map<string, number>();
  for (const r of stripe.refunds) {
    perRefund.set(r.metadata.refund_id!, (perRefund.get(r.metadata.refund_id!) ?? 0) + 1);
    perIntent.set(r.payment_intent, (perIntent.get(r.payment_intent) ?? 0) + r.amount);
  }
  const { rows: check } = await sql<{
    refunds: number;
    completed: number;
    stripe_ids: number;
    tickets_refunded: number;
    seats_available: number;
    credit_notes: number;
    refunded_total: number;
  }>`
    SELECT (SELECT count(*) FROM refunds)::int AS refunds,
           (SELECT count(*) FROM refunds WHERE status = 'COMPLETED')::int AS completed,
           (SELECT count(DISTINCT stripe_refund_id) FROM refunds)::int AS stripe_ids,
           (SELECT count(*) FROM tickets WHERE status = 'REFUNDED')::int AS tickets_refunded,
           (SELECT count(*) FROM match_seat_inventory
             WHERE match_id = ${match.matchId} AND status = 'AVAILABLE')::int AS seats_available,
           (SELECT count(*) FROM credit_note_requests)::int AS credit_notes,
           (SELECT coalesce(sum(refunded_amount), 0) FROM orders)::int AS refunded_total`.execute(
    db,
  );
  const report = await auditMatchInvariants(deps, match.matchId);
  const c = check[0]!;
  const integrity = {
    refunds_requested: N - refused,
    refund_rows: c.refunds,
    completed: c.completed,
    stripe_refunds: stripe.refunds.length,
    refunds_with_more_than_one_stripe_refund: [...perRefund.values()].filter((n) => n > 1).length,
    payments_refunded_beyond_amount: [...perIntent.values()].filter((a) => a > PRICE + FEE).length,
    distinct_stripe_refund_ids: c.stripe_ids,
    tickets_refunded: c.tickets_refunded,
    seats_available_again: c.seats_available,
    credit_notes: c.credit_notes,
    refunded_amount_total: c.refunded_total,
    expected_refunded_amount_total: (N - refused) * PRICE,
    invariants_ok: report.ok,
    invariant_violations: report.invariants.filter((i) => i.violations > 0),
  };
  const ok =
    refused === 0 &&
    c.completed === N &&
    stripe.refunds.length === N &&
    integrity.refunds_with_more_than_one_stripe_refund === 0 &&
    integrity.payments_refunded_beyond_amount === 0 &&
    c.stripe_ids === N &&
    c.tickets_refunded === N &&
    c.credit_notes === N &&
    c.refunded_total === N * PRICE &&
    report.ok;
  const result = {
    orders: N,
    concurrency: C,
    load_at_start: loadAtStart,
    requests: {
      seconds: round(requestSeconds, 2),
      per_second: round(N / requestSeconds, 1),
      latency_ms: latency.summary(),
      refused,
    },
    stripe_job: {
      seconds: round(jobSeconds, 2),
      refunds_per_second: round(N / jobSeconds, 1),
      batch_size: 16,
      workers: 1,
      sigkill: killed,
    },
    webhooks: {
      events_handled: events,
      seconds: round(eventSeconds, 2),
      events_per_second: round(events / eventSeconds, 1),
      deliveries_include: '10 % duplicated, each refund’s two events in random order',
      failed_deliveries_by_status: deliveryFailures,
      events_given_up_after_retries: deliveriesGivenUp,
    },
    refunds_per_second_vs_webhook_events_per_second: round(
      N / jobSeconds / (events / eventSeconds),
      2,
    ),
    integrity,
    ok,
  };
  const file = await writeResult('refunds', result);
  console.log(JSON.stringify(result, null, 2));
  log(`wrote ${file}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  for (const s of services) await stopService(s).catch(() => undefined);
  await world.close();
  await stripe.close();
  await smtp.close();
  await loki.close();
}
