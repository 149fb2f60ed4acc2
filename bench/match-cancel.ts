// npm run bench:match-cancel [-- --orders N]  (default 13000 orders ≈ 33,000 tickets, a
//   sold-out Poljud; BENCH_KILL_AT, default 0.4: the fraction of orders refunded after which
//   the worker is SIGKILLed and replaced; 0: no kill). See bench/README.md, "bench:match-cancel".
//
// Cancels a sold-out match end to end (E2-F7): N paid orders of 2 or 3 tickets (7 of 13
// orders have 3), each ticket named to a holder (the first the buyer, the others people
// of their own), seeded in bulk; a SUPER_ADMIN cancels it through the API (`serve`
// process); the cancellation job in a `worker` process tells every person once (email and
// push, through the outbox) and refunds every order in full through the refunds' Stripe
// job against the local Stripe-protocol server, whose refund events come back to the API.
// The worker is SIGKILLed mid-way and replaced. Reported: the request's time, the people
// told per second, the orders refunded per second, the time to the last refund (created
// and COMPLETED at Stripe), and: every order refunded exactly once in full (one Stripe
// refund each), every person told exactly once, every ticket CANCELLED_MATCH_CANCELLED,
// audit-invariants clean.
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
import { round } from './lib/stats.ts';
import { openBenchWorld } from './lib/world.ts';

const arg = process.argv.indexOf('--orders');
const N = Number(arg > 0 ? process.argv[arg + 1] : (process.env.BENCH_ORDERS ?? 13_000));
const KILL_AT = Number(process.env.BENCH_KILL_AT ?? 0.4);
const PRICE = 2500;
const FEE = 150;
const ticketsOf = (n: number) => (n % 13 < 7 ? 3 : 2);
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadAtStart = os.loadavg().map((l) => round(l, 2));

const apiPort = await freePort();
const stripe = await startStripeServer({
  webhookUrl: `http://127.0.0.1:${apiPort}/webhooks/stripe`,
  refundSettleMs: 20,
  webhookAttempts: 8,
  webhookRetryMs: 250,
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
const world = await openBenchWorld({ pool: 8, env: { LOG_LEVEL: 'silent', ...shared } });
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

  const ticketTotal = Array.from({ length: N }, (_, n) => ticketsOf(n)).reduce((a, b) => a + b, 0);
  log(`seeding ${N} paid orders, ${ticketTotal} tickets`);
  const seatsPerRow = 100;
  const match = await createLockedMatch(deps, {
    rows: Math.ceil(ticketTotal / seatsPerRow),
    seatsPerRow,
    price: PRICE,
    status: 'ACTIVE',
  });
  const seats = await db
    .selectFrom('match_seat_inventory')
    .select(['id', 'match_sector_id'])
    .where('match_id', '=', match.matchId)
    .orderBy('snake_order')
    .limit(ticketTotal)
    .execute();
  const tag = randomBytes(4).toString('hex');
  let seat = 0;
  const people = new Set<string>();
  for (let from = 0; from < N; from += 1000) {
    const orders = Array.from({ length: Math.min(1000, N - from) }, (_, i) => {
      const n = from + i;
      const k = ticketsOf(n);
      return { n, k, user: randomUUID(), order: randomUUID(), intent: `pi_mc_${tag}_${n}` };
    });
    const tickets = orders.flatMap((o) =>
      Array.from({ length: o.k }, (_, pos) => {
        const s = seats[seat++]!;
        const email =
          pos === 0
            ? `bench-${tag}-${o.n}@example.test`
            : `holder-${tag}-${o.n}-${pos}@example.test`;
        people.add(email);
        return {
          order: o.order,
          user: o.user,
          pos: pos + 1,
          seat: s.id,
          sector: s.match_sector_id,
          email,
          barcode: String(100_000_000_000 + seat).padStart(18, '9'),
        };
      }),
    );
    const oc = <K extends keyof (typeof orders)[number]>(k: K) => orders.map((r) => r[k]);
    const tc = <K extends keyof (typeof tickets)[number]>(k: K) => tickets.map((r) => r[k]);
    await sql`
      WITH o_in AS (
        SELECT * FROM unnest(${oc('n')}::int[], ${oc('k')}::int[], ${oc('user')}::uuid[],
                             ${oc('order')}::uuid[], ${oc('intent')}::text[])
               AS x(n, k, user_id, order_id, intent)
      ),
      t_in AS (
        SELECT * FROM unnest(${tc('order')}::uuid[], ${tc('user')}::uuid[], ${tc('pos')}::int[],
                             ${tc('seat')}::uuid[], ${tc('sector')}::uuid[], ${tc('email')}::text[],
                             ${tc('barcode')}::text[])
               AS x(order_id, user_id, pos, seat, sector, email, barcode)
      ),
      u AS (
        INSERT INTO users (id, drupal_user_id, email)
        SELECT user_id, 'mc-' || ${tag} || '-' || n, 'bench-' || ${tag} || '-' || n || '@example.test' FROM o_in
      ),
      o AS (
        INSERT INTO orders (id, user_id, match_id, status, ticket_amount, ticket_vat_amount, fee_amount,
                            fee_vat_amount, total_amount, fee_percent_bp, ticket_vat_bp, fee_vat_bp, completed_at)
        SELECT order_id, user_id, ${match.matchId}, 'COMPLETED', k * ${PRICE}, k * 119, k * ${FEE}, k * 30,
               k * ${PRICE + FEE}, 600, 500, 2500, now() FROM o_in
      ),
      oi AS (
        INSERT INTO order_items (order_id, position, match_seat_inventory_id, match_sector_id, unit_price,
                                 ticket_vat_amount, fee_amount, fee_vat_amount, holder_full_name,
                                 holder_date_of_birth, holder_nationality, holder_passport_encrypted,
                                 holder_is_minor, holder_source)
        SELECT order_id, pos, seat, sector, ${PRICE}, 119, ${FEE}, 30, 'Bench Holder ' || pos, '1990-01-01', 'HR',
               'bench', false, 'MANUAL_ENTRY' FROM t_in
      ),
      p AS (
        INSERT INTO payments (order_id, stripe_payment_intent_id, stripe_charge_id, amount, status, completed_at)
        SELECT order_id, intent, 'ch_' || intent, k * ${PRICE + FEE}, 'SUCCEEDED', now() FROM o_in
      ),
      inv AS (
        INSERT INTO e_racuni_requests (document_type, local_reference_id, order_id, next_attempt_at)
        SELECT 'INVOICE', order_id, order_id, now() + interval '1 day' FROM o_in
      ),
      t AS (
        INSERT INTO tickets (order_id, match_id, match_seat_inventory_id, owner_user_id, barcode,
                             qr_code_data, status, price_amount, fee_amount)
        SELECT order_id, ${match.matchId}, seat, user_id, barcode, 'bench', 'SOLD', ${PRICE}, ${FEE}
          FROM t_in
        RETURNING id, match_seat_inventory_id
      ),
      h AS (
        INSERT INTO ticket_holders (ticket_id, full_name, date_of_birth, nationality, email, is_minor, source)
        SELECT t.id, 'Bench Holder ' || t_in.pos, '1990-01-01', 'HR', t_in.email, false, 'MANUAL_ENTRY'
          FROM t JOIN t_in ON t_in.seat = t.match_seat_inventory_id
      )
      UPDATE match_seat_inventory m SET status = 'SOLD' FROM t_in WHERE m.id = t_in.seat`.execute(
      db,
    );
    for (const r of orders) {
      const pi: FakePaymentIntent = {
        id: r.intent,
        object: 'payment_intent',
        amount: r.k * (PRICE + FEE),
        amount_received: r.k * (PRICE + FEE),
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
  await sql`ANALYZE`.execute(db);
  const admin = await createUser(deps, { roles: ['SUPER_ADMIN'] });

  // The request, on the API (no worker yet).
  services.push(await startService('api', 'serve', env, apiPort));
  log('cancelling through the API');
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${apiPort}/admin/matches/${match.matchId}/cancel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'bench: stadium closed by the safety inspection' }),
  });
  const requestMs = performance.now() - t0;
  if (res.status !== 200) throw new Error(`cancel ${res.status}: ${await res.text()}`);
  log(`cancelled in ${round(requestMs, 0)} ms`);

  const counts = async () => {
    const { rows } = await sql<{ refunds: number; completed: number; told: number }>`
      SELECT (SELECT count(*) FROM refunds WHERE source = 'SYSTEM')::int AS refunds,
             (SELECT count(*) FROM refunds WHERE source = 'SYSTEM' AND status = 'COMPLETED')::int AS completed,
             (SELECT count(notified_at) FROM match_update_notice_recipients r
                JOIN match_cancellations c ON c.notice_id = r.notice_id
               WHERE c.match_id = ${match.matchId})::int AS told`.execute(db);
    return rows[0]!;
  };
  const jobStart = performance.now();
  let worker = await startService('worker-1', 'worker', env);
  services.push(worker);
  let killed: { at_refunds: number; at_told: number; at_seconds: number } | null = null;
  let restartedAt = 0;
  let lastProgress = performance.now();
  let lastKey = '';
  for (;;) {
    const c = await counts();
    const key = `${c.refunds}/${c.completed}/${c.told}`;
    if (key !== lastKey) {
      lastKey = key;
      lastProgress = performance.now();
    }
    if (!killed && KILL_AT > 0 && c.refunds >= N * KILL_AT) {
      killed = {
        at_refunds: c.refunds,
        at_told: c.told,
        at_seconds: round((performance.now() - jobStart) / 1000, 1),
      };
      log(`SIGKILL of the worker after ${c.refunds} refunds`);
      await stopService(worker, 'SIGKILL');
      worker = await startService('worker-2', 'worker', env);
      services.push(worker);
      restartedAt = performance.now();
    }
    if (c.completed >= N) break;
    if (performance.now() - lastProgress > 240_000)
      throw new Error(`no progress for 240 s (${key})`);
    await sleep(500);
  }
  const totalSeconds = (performance.now() - t0) / 1000;
  // The cancellation marks itself DONE after its last order; wait for it.
  for (let i = 0; i < 240; i++) {
    const row = await db
      .selectFrom('match_cancellations')
      .select('status')
      .where('match_id', '=', match.matchId)
      .executeTakeFirstOrThrow();
    if (row.status === 'DONE') break;
    await sleep(500);
  }

  const { rows: windows } = await sql<{
    started: Date;
    first_told: Date;
    last_told: Date;
    first_refund: Date;
    last_refund: Date;
    last_completed: Date;
    done_at: Date | null;
    cancelled_at: Date;
  }>`
    SELECT c.started_at AS started, c.completed_at AS done_at, c.cancelled_at,
           (SELECT min(notified_at) FROM match_update_notice_recipients WHERE notice_id = c.notice_id) AS first_told,
           (SELECT max(notified_at) FROM match_update_notice_recipients WHERE notice_id = c.notice_id) AS last_told,
           (SELECT min(created_at) FROM refunds WHERE source = 'SYSTEM') AS first_refund,
           (SELECT max(created_at) FROM refunds WHERE source = 'SYSTEM') AS last_refund,
           (SELECT max(completed_at) FROM refunds WHERE source = 'SYSTEM') AS last_completed
      FROM match_cancellations c WHERE c.match_id = ${match.matchId}`.execute(db);
  const w = windows[0]!;
  const secs = (a: Date, b: Date) => (b.getTime() - a.getTime()) / 1000;
  const toldSeconds = secs(w.first_told, w.last_told) || 1;
  const refundSeconds = secs(w.first_refund, w.last_refund) || 1;

  // Exactly once, everywhere.
  const perRefund = new Map<string, number>();
  const perIntent = new Map<string, number>();
  for (const r of stripe.refunds) {
    perRefund.set(r.metadata.refund_id!, (perRefund.get(r.metadata.refund_id!) ?? 0) + 1);
    perIntent.set(r.payment_intent, (perIntent.get(r.payment_intent) ?? 0) + r.amount);
  }
  const { rows: check } = await sql<{
    orders_with_one_refund: number;
    orders_refunded_in_full: number;
    refunds_completed: number;
    tickets_cancelled: number;
    tickets_valid: number;
    email_people: number;
    emails_twice: number;
    push_users: number;
    pushes_twice: number;
    refunded_total: number;
    expected_total: number;
    emails_sent: number;
  }>`
    WITH per_order AS (
      SELECT o.id, o.total_amount,
             (SELECT count(*) FROM refunds r WHERE r.order_id = o.id AND r.source = 'SYSTEM') AS n,
             (SELECT coalesce(sum(r.refund_amount), 0) FROM refunds r
               WHERE r.order_id = o.id AND r.source = 'SYSTEM') AS amount
        FROM orders o WHERE o.match_id = ${match.matchId}
    ),
    emails AS (
      SELECT recipient_email, count(*) AS n FROM email_logs
       WHERE template_key = 'match_update' AND variables_json->>'match_url' LIKE ${`%${match.matchId}`}
       GROUP BY recipient_email
    ),
    pushes AS (
      SELECT user_id, count(DISTINCT job_id) AS n FROM push_logs
       WHERE notification_type = 'match_cancelled' AND data_json->>'match_id' = ${match.matchId}
       GROUP BY user_id
    )
    SELECT (SELECT count(*) FROM per_order WHERE n = 1)::int AS orders_with_one_refund,
           (SELECT count(*) FROM per_order WHERE amount = total_amount)::int AS orders_refunded_in_full,
           (SELECT count(*) FROM refunds WHERE source = 'SYSTEM' AND status = 'COMPLETED')::int AS refunds_completed,
           (SELECT count(*) FROM tickets WHERE match_id = ${match.matchId}
              AND status = 'CANCELLED_MATCH_CANCELLED')::int AS tickets_cancelled,
           (SELECT count(*) FROM tickets WHERE match_id = ${match.matchId}
              AND status IN ('SOLD', 'ATTENDED'))::int AS tickets_valid,
           (SELECT count(*) FROM emails)::int AS email_people,
           (SELECT count(*) FROM emails WHERE n > 1)::int AS emails_twice,
           (SELECT count(*) FROM pushes)::int AS push_users,
           (SELECT count(*) FROM pushes WHERE n > 1)::int AS pushes_twice,
           (SELECT coalesce(sum(amount), 0) FROM per_order)::bigint::int AS refunded_total,
           (SELECT coalesce(sum(total_amount), 0) FROM per_order)::bigint::int AS expected_total,
           (SELECT count(*) FROM email_logs WHERE status IN ('SENT', 'DELIVERED'))::int AS emails_sent`.execute(
    db,
  );
  const c = check[0]!;
  const audit = await auditMatchInvariants(deps, match.matchId);
  const integrity = {
    orders: N,
    tickets: ticketTotal,
    people: people.size,
    orders_with_exactly_one_refund: c.orders_with_one_refund,
    orders_refunded_in_full_fee_included: c.orders_refunded_in_full,
    refunds_completed: c.refunds_completed,
    stripe_refunds: stripe.refunds.length,
    refunds_with_more_than_one_stripe_refund: [...perRefund.values()].filter((n) => n > 1).length,
    payments_refunded_beyond_amount: [...perIntent.entries()].filter(
      ([intent, amount]) => amount > (stripe.paymentIntents.get(intent)?.amount ?? 0),
    ).length,
    refunded_total_cents: c.refunded_total,
    expected_total_cents: c.expected_total,
    tickets_cancelled_match_cancelled: c.tickets_cancelled,
    tickets_still_valid: c.tickets_valid,
    people_emailed: c.email_people,
    people_emailed_twice: c.emails_twice,
    buyers_pushed: c.push_users,
    buyers_pushed_twice: c.pushes_twice,
    emails_delivered_to_smtp_by_the_end: c.emails_sent,
    invariants_ok: audit.ok,
    invariant_violations: audit.invariants.filter((i) => i.violations > 0),
  };
  const ok =
    c.orders_with_one_refund === N &&
    c.orders_refunded_in_full === N &&
    c.refunds_completed === N &&
    stripe.refunds.length === N &&
    integrity.refunds_with_more_than_one_stripe_refund === 0 &&
    integrity.payments_refunded_beyond_amount === 0 &&
    c.refunded_total === c.expected_total &&
    c.tickets_cancelled === ticketTotal &&
    c.tickets_valid === 0 &&
    c.email_people === people.size &&
    c.emails_twice === 0 &&
    c.push_users === N &&
    c.pushes_twice === 0 &&
    audit.ok;
  const result = {
    orders: N,
    tickets: ticketTotal,
    people: people.size,
    load_at_start: loadAtStart,
    cpus: os.cpus().length,
    cancel_request_ms: round(requestMs, 0),
    notifications: {
      people_told: people.size,
      seconds: round(toldSeconds, 2),
      people_per_second: round(people.size / toldSeconds, 1),
      outbox_rows_per_second: round((people.size + N) / toldSeconds, 1),
      note: 'people told = each one email (hr/en) and, for an account, one push written to the outbox by the job; delivery loops send at the providers’ pace',
    },
    refunds: {
      seconds_first_to_last_created: round(refundSeconds, 2),
      orders_refunded_per_second: round(N / refundSeconds, 1),
      seconds_cancel_to_last_created: round(secs(w.cancelled_at, w.last_refund), 2),
      seconds_cancel_to_last_completed_at_stripe: round(secs(w.cancelled_at, w.last_completed), 2),
    },
    seconds_cancel_to_last_refund_completed_observed: round(totalSeconds, 2),
    job: {
      started_after_cancel_s: round(secs(w.cancelled_at, w.started), 2),
      done_after_cancel_s: w.done_at ? round(secs(w.cancelled_at, w.done_at), 2) : null,
      sigkill: killed,
      restarted_worker_after_s: killed ? round((restartedAt - jobStart) / 1000, 1) : null,
      resume: 'lease 30 s, resume job every minute',
    },
    integrity,
    ok,
  };
  const file = await writeResult(N === 13_000 ? 'match-cancel' : `match-cancel-${N}`, result);
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
