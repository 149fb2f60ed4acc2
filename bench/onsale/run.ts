import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import type { AppDeps } from '../../src/deps.ts';
import {
  auditMatchInvariants,
  type IntegrityReport,
} from '../../src/modules/integrity/integrity.service.ts';
import { QUEUE_TICK_JOB } from '../../src/modules/queue/queue.jobs.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { createDatabase as openDatabase } from '../../src/platform/db/database.ts';
import { migrate } from '../../src/platform/db/migrator.ts';
import { createJobQueue } from '../../src/platform/jobs.ts';
import { createLogger } from '../../src/platform/logging.ts';
import { createRedis } from '../../src/platform/redis.ts';
import { createTokenService } from '../../src/platform/auth/tokens.ts';
import {
  TEST_DB_PREFIX,
  createDatabase,
  databaseUrl,
  dropDatabase,
} from '../../test/harness/databases.ts';
import { startLocalLoki } from '../../test/harness/servers/loki.ts';
import { startDrupalOidc } from '../../test/harness/servers/oidc.ts';
import { startLocalSmtp } from '../../test/harness/servers/smtp.ts';
import { startEracuniServer } from '../../src/platform/adapters/eracuni/local-server.ts';
import { startStripeServer } from '../../src/platform/adapters/stripe/local-server.ts';
import {
  autovacuumIsOff,
  startAutovacuumStandIn,
  type AutovacuumStandIn,
} from '../lib/autovacuum.ts';
import {
  startPrivatePostgres,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from '../lib/private-servers.ts';
import { sampleMemory, startService, stopService, type ServiceProcess } from '../lib/processes.ts';
import { Counter, LatencyRecorder, round } from '../lib/stats.ts';
import { bareClaimLimit } from '../lib/bare-claim.ts';
import { createCostCollector, type CostReport } from './costs.ts';
import { buyTickets, prepareFan, type Fan, type FanOutcome, type FanWorld } from './fan.ts';
import { seededRandom } from './random.ts';
import { rawClaimLimit, rawSaleLimit } from './raw-limits.ts';
import { setupSaleMatch, type StadiumChoice } from './setup.ts';

export interface OnsaleOptions {
  stadium: StadiumChoice;
  fans: number;
  instances: number;
  workers: number;
  /** SIGKILL one API instance when this share of seats is sold, then restart it (0 = never). */
  killAt: number;
  /** Drop every Redis client connection once when this share of seats is sold (0 = never). */
  dropRedisAt: number;
  /**
   * Restart PostgreSQL (pg_ctl stop -m fast, down `dbDownMs`, start) when this share of seats
   * is sold (0 = never). The run then uses a private PostgreSQL of its own.
   */
  restartDbAt?: number;
  /** How long PostgreSQL stays down in that restart (default 3,000 ms). */
  dbDownMs?: number;
  /**
   * Restart Redis without its data (SIGKILL, start empty) when this share of seats is sold
   * (0 = never). The run then uses a private redis-server of its own.
   */
  restartRedisAt?: number;
  abandonRate: number;
  webhookChaosRate: number;
  admissionRatePerMinute: number;
  maxActiveBuyers: number;
  /**
   * Connect the services to PostgreSQL over its Unix socket in this directory instead of
   * TCP (both on one machine: saves the loopback TCP work in the kernel).
   */
  dbSocketDir?: string;
  /** Connections per service process (DATABASE_POOL_MAX; default 20). */
  poolMax?: number;
  /** Give up the sale after this long. */
  timeLimitSeconds: number;
  /** Skip the raw limits and the bare claim (A/B runs of the API alone; ratios then 0). */
  skipFloor?: boolean;
  /** Seconds of the bare claim after the raw limits (default 15; 0 skips it). */
  bareClaimSeconds?: number;
  /** Connections of the raw SQL runs (default: the API instances' pools, 20 each). */
  rawConcurrency?: number;
  log: (msg: string) => void;
}

export interface OnsaleResult {
  match_id: string;
  stadium: string;
  seats: number;
  fans: number;
  instances: number;
  workers: number;
  sellout_seconds: number | null;
  sale_seconds: number;
  seats_sold: number;
  orders_completed: number;
  seats_per_second: number;
  orders_per_second: number;
  queue_join_per_second: number;
  raw_claim_seats_per_second: number;
  raw_ratio: number;
  /**
   * The sale floor (raw-limits.ts): hold, order and sale with tickets straight on the
   * database; `sellout_floor_seconds` is the time it takes to sell every seat at that rate,
   * the least any implementation needs on this machine.
   */
  raw_sale_seats_per_second: number;
  raw_sale_ratio: number;
  sellout_floor_seconds: number | null;
  /**
   * The bare claim on the same server (bench/lib/bare-claim.ts, pgbench over the Unix
   * socket) and the issue-28 ratio sale floor ÷ bare claim; null when pgbench is missing.
   */
  bare_claim_seats_per_second: number | null;
  sale_floor_vs_bare_claim: number | null;
  /** Where the sale's cost went, per request type and per completed order (costs.ts). */
  costs: CostReport;
  latency_ms: ReturnType<LatencyRecorder['summary']>;
  errors: Record<string, number>;
  outcomes: Record<string, number>;
  peak_memory_mb: Record<string, number>;
  faults: string[];
  /**
   * Per restart: the longest time with no seat sold from the fault until 30 s after it
   * (sales as the fans see them: tickets shown, polled once a second), and the longest such
   * gap of the sale before the first fault, for comparison.
   */
  fault_stalls: Array<{ fault: string; at_s: number; stall_s: number }>;
  baseline_gap_s: number | null;
  /** Service processes that exited by themselves during the sale (the SIGKILLed one aside). */
  unexpected_exits: string[];
  /** Answers 500 during the sale (any endpoint). */
  http_500: number;
  /**
   * The server runs without autovacuum (this machine's CI setting): what the bench's
   * stand-in did (bench/lib/autovacuum.ts); null when the server's own autovacuum ran.
   */
  autovacuum_standin: { runs: number; analyzed: number; vacuumed: number } | null;
  violations: Record<string, number>;
  invariants_ok: boolean;
  timeline: Array<{ t: number; sold: number; p99_ms: number }>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

/**
 * A national-team on-sale, end to end through the real HTTP API of separate API and worker
 * processes on one PostgreSQL and Redis, with an instance killed and Redis connections
 * dropped mid-sale; then the raw SQL claim limit on the same database and the invariant
 * auditor. Used by `npm run bench:onsale` and, at small scale, by the test suite.
 */
export async function runOnsale(opts: OnsaleOptions): Promise<OnsaleResult> {
  const log = opts.log;
  const dbName = `${TEST_DB_PREFIX}${Date.now()}_onsale`;
  const services: ServiceProcess[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  const faults: string[] = [];
  const restartDbAt = opts.restartDbAt ?? 0;
  const restartRedisAt = opts.restartRedisAt ?? 0;

  try {
    // A fault that restarts a server gets servers of the run's own: the machine's are shared.
    let privatePg: PrivatePostgres | null = null;
    let dbUrl = databaseUrl(dbName);
    let socketDir = opts.dbSocketDir;
    if (restartDbAt > 0) {
      privatePg = await startPrivatePostgres({ settings: { max_connections: 300 } });
      closers.push(() => privatePg!.stop());
      dbUrl = privatePg.url(dbName);
      if (socketDir) socketDir = privatePg.dir;
      const admin = new pg.Client({ connectionString: privatePg.url('postgres') });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${dbName}"`);
      await admin.end();
      log(`private PostgreSQL on port ${privatePg.port} (${privatePg.dir}), database ${dbName}`);
    } else {
      log(`database ${dbName}`);
      await createDatabase(dbName);
      closers.push(() => dropDatabase(dbName));
    }
    let privateRedis: PrivateRedis | null = null;
    let redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
    if (restartRedisAt > 0) {
      privateRedis = await startPrivateRedis();
      closers.push(() => privateRedis!.stop());
      redisUrl = privateRedis.url;
      log(`private redis-server at ${redisUrl}`);
    }
    const redisPrefix = `onsale:${randomBytes(4).toString('hex')}:`;
    await migrate(dbUrl);

    const [oidc, stripe, smtp, loki, eracuni] = await Promise.all([
      startDrupalOidc('hns-ticketing-bench'),
      startStripeServer(),
      startLocalSmtp({ parse: false }),
      startLocalLoki(),
      // Every paid order is invoiced through e-računi by the workers (invoicing module).
      startEracuniServer({
        credentials: {
          username: 'bench',
          password: randomBytes(12).toString('hex'),
          token: randomBytes(12).toString('hex'),
        },
      }),
    ]);
    closers.push(
      () => oidc.close(),
      () => stripe.close(),
      () => smtp.close(),
      () => loki.close(),
      () => eracuni.close(),
    );

    const secrets = {
      JWT_SECRETS: randomBytes(32).toString('hex'),
      PII_KEYS: `bench:${randomBytes(32).toString('base64')}`,
      PII_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      TICKET_SIGNING_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    };
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: socketDir ? socketUrl(dbUrl, socketDir) : dbUrl,
      DATABASE_POOL_MAX: String(opts.poolMax ?? 20),
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: redisPrefix,
      RATE_LIMIT_MAX: '1000000',
      ...secrets,
      DRUPAL_JWKS_URL: oidc.jwksUrl,
      DRUPAL_ISSUER: oidc.issuer,
      DRUPAL_AUDIENCE: oidc.audience,
      DRUPAL_USERINFO_URL: oidc.userinfoUrl,
      STRIPE_API_BASE: stripe.url,
      STRIPE_API_KEY: stripe.apiKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      SMTP_URL: smtp.url,
      LOKI_URL: loki.url,
      ERACUNI_URL: eracuni.url,
      ERACUNI_USERNAME: eracuni.credentials.username,
      ERACUNI_PW: eracuni.credentials.password,
      ERACUNI_TOKEN: eracuni.credentials.token,
      ERACUNI_CALLS_PER_WINDOW: '100000', // the local server has no rate limit
      QUEUE_TICK_MS: '500',
      BENCH_COST_ACCOUNT: 'true',
    };

    // The bench's own connection: setup through the services, the raw limits, the auditor.
    // It reaches the database the way the services do, so the raw limits compare like with like.
    const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
    const logger = createLogger('silent');
    const database = openDatabase(env.DATABASE_URL!, 40);
    closers.push(() => database.close());
    const redis = createRedis(redisUrl, redisPrefix);
    closers.push(async () => redis.disconnect());
    const jobs = createJobQueue({
      connectionString: dbUrl,
      schema: config.JOBS_SCHEMA,
      logger,
      supervise: false,
    });
    await jobs.start();
    closers.push(() => jobs.stop({ graceful: false }));
    let autovacuum: AutovacuumStandIn | null = null;
    if (await autovacuumIsOff(database.db)) {
      const standIn = startAutovacuumStandIn(database.db);
      closers.push(() => standIn.stop());
      autovacuum = standIn;
      log('autovacuum is off on this server: the bench stands in for it (bench/lib/autovacuum.ts)');
    }
    const tokens = createTokenService({
      secrets: config.JWT_SECRETS,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ttlSeconds: 900,
    });
    const deps: AppDeps = {
      config,
      db: database.db,
      pool: database.pool,
      redis,
      jobs,
      clock: systemClock,
      logger,
      tokens,
    };

    // Processes: workers first (they install queues), then the API instances.
    for (let i = 0; i < opts.workers; i++)
      services.push(await startService(`worker-${i + 1}`, 'worker', env));
    const ports: number[] = [];
    for (let i = 0; i < opts.instances; i++) {
      ports.push(await freePort());
      services.push(await startService(`api-${i + 1}`, 'serve', env, ports[i]));
    }
    closers.push(async () => Promise.all(services.map((s) => stopService(s))));
    const stopSampling = sampleMemory(() => services);
    closers.push(async () => stopSampling());
    log(`${opts.workers} worker(s), ${opts.instances} API instance(s) up`);

    const sale = await setupSaleMatch(deps, opts.stadium, {
      ratePerMinute: opts.admissionRatePerMinute,
      maxActiveBuyers: opts.maxActiveBuyers,
    });
    log(`match ${sale.matchId}: ${sale.sellableSeats} seats in ${sale.zones.length} zones`);
    // The admission loop is a per-minute cron job: start this minute's now rather than make
    // the line wait up to a minute for the next one (a second loop just waits for the lease).
    await jobs.enqueue(deps.db, QUEUE_TICK_JOB, {});

    const latency = new LatencyRecorder();
    const errors = new Counter();
    let sold = 0;
    let ordersCompleted = 0;
    /** When each order's tickets reached the fan (s into the sale). */
    const saleTimes: number[] = [];
    let stopped: 'sold_out' | 'time_limit' | null = null;
    const random = seededRandom(42);
    const down = new Set<string>();
    const world: FanWorld = {
      instances: () =>
        services.filter((s) => s.role === 'serve' && s.url && !down.has(s.name)).map((s) => s.url!),
      oidc,
      stripe,
      matchId: sale.matchId,
      latency,
      errors,
      abandonRate: opts.abandonRate,
      webhookChaosRate: opts.webhookChaosRate,
      random,
      onTickets: (n) => {
        sold += n;
        ordersCompleted++;
        saleTimes.push(elapsed());
      },
      stopped: () => stopped,
    };

    // Before the on-sale: every fan has logged in and has a profile.
    const fans: Fan[] = Array.from({ length: opts.fans }, (_, i) => ({
      index: i,
      email: `fan${i}@bench.hns.hr`,
    }));
    const prepStart = performance.now();
    await pool(fans, 64, (fan) => prepareFan(world, fan));
    log(
      `${fans.length} fans logged in with profiles in ${round((performance.now() - prepStart) / 1000)} s`,
    );

    // The on-sale: every fan at once; the cost account counts from here (logins excluded).
    const costs = createCostCollector();
    await costs.start(services);
    const outcomes = new Counter();
    const timeline: OnsaleResult['timeline'] = [];
    const saleStart = performance.now();
    const elapsed = () => (performance.now() - saleStart) / 1000;
    let selloutSeconds: number | null = null;
    let killed = false;
    let dropped = false;
    let dbRestarted = false;
    let redisRestarted = false;
    const faultMarks: Array<{ fault: string; at: number }> = [];
    let lastLatencyCount = 0;

    // Once a second: the count scans the match's inventory (~16 ms in Poljud), and at 500 ms
    // this measurement took ~2.5 % of the database's time from the sale it measures.
    const monitor = setInterval(async () => {
      try {
        const row = await sql<{ sold: number; claimable: number }>`
          SELECT count(*) FILTER (WHERE status = 'SOLD')::int AS sold,
                 count(*) FILTER (WHERE status = 'AVAILABLE' OR (status = 'RESERVED' AND held_until < now()))::int AS claimable
            FROM match_seat_inventory WHERE match_id = ${sale.matchId}
             AND match_sector_id = ANY(${sale.zones}::uuid[])`.execute(deps.db);
        const { sold: dbSold, claimable } = row.rows[0]!;
        const recent = latency.summary()['POST /cart/add'];
        timeline.push({
          t: round(elapsed()),
          sold: dbSold,
          p99_ms: recent && recent.count > lastLatencyCount ? recent.p99 : 0,
        });
        lastLatencyCount = recent?.count ?? 0;
        if (claimable === 0 && selloutSeconds === null) {
          const held = await sql<{ n: number }>`SELECT count(*)::int AS n FROM match_seat_inventory
            WHERE match_id = ${sale.matchId} AND match_sector_id = ANY(${sale.zones}::uuid[])
              AND status = 'RESERVED'`.execute(deps.db);
          if (held.rows[0]!.n === 0) {
            selloutSeconds = round(elapsed());
            stopped = 'sold_out';
          }
        }
        const share = dbSold / sale.sellableSeats;
        if (opts.killAt > 0 && !killed && share >= opts.killAt) {
          killed = true;
          const victim = services.find((s) => s.name === 'api-1')!;
          down.add(victim.name);
          await costs.keep(victim);
          await stopService(victim, 'SIGKILL');
          faults.push(`SIGKILL api-1 at ${round(elapsed())} s (${dbSold} seats sold)`);
          log(faults.at(-1)!);
          const restarted = await startService('api-1', 'serve', env, ports[0]);
          restarted.restarts = victim.restarts + 1;
          restarted.peakRssKb = victim.peakRssKb;
          services[services.indexOf(victim)] = restarted;
          down.delete('api-1');
          faults.push(`api-1 back at ${round(elapsed())} s`);
        }
        if (privatePg && !dbRestarted && share >= restartDbAt) {
          dbRestarted = true;
          const downMs = opts.dbDownMs ?? 3_000;
          faultMarks.push({ fault: 'PostgreSQL restart', at: elapsed() });
          faults.push(
            `PostgreSQL stopped (fast) at ${round(elapsed())} s (${dbSold} seats sold), down ${downMs} ms`,
          );
          log(faults.at(-1)!);
          // Not awaited: the monitor goes on counting (and failing) while it is down.
          void privatePg.restart(downMs).then(
            () => {
              faults.push(`PostgreSQL back at ${round(elapsed())} s`);
              log(faults.at(-1)!);
            },
            (err: Error) => log(`PostgreSQL restart failed: ${err.message}`),
          );
        }
        if (privateRedis && !redisRestarted && share >= restartRedisAt) {
          redisRestarted = true;
          faultMarks.push({ fault: 'Redis restart without data', at: elapsed() });
          await privateRedis.restartEmpty();
          faults.push(
            `Redis restarted empty at ${round(faultMarks.at(-1)!.at)} s (${dbSold} seats sold), back at ${round(elapsed())} s`,
          );
          log(faults.at(-1)!);
        }
        if (opts.dropRedisAt > 0 && !dropped && share >= opts.dropRedisAt) {
          dropped = true;
          const admin = new Redis(redisUrl);
          const killedNormal = await admin.call(
            'CLIENT',
            'KILL',
            'TYPE',
            'normal',
            'SKIPME',
            'yes',
          );
          const killedPubsub = await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
          admin.disconnect();
          faults.push(
            `dropped ${Number(killedNormal) + Number(killedPubsub)} Redis connections at ${round(elapsed())} s`,
          );
          log(faults.at(-1)!);
        }
      } catch (err) {
        log(`monitor: ${(err as Error).message}`);
      }
    }, 1_000);

    const joinStart = performance.now();
    let joined = 0;
    const deadline = setTimeout(() => {
      stopped ??= 'time_limit';
      log('time limit reached');
    }, opts.timeLimitSeconds * 1000);
    await Promise.all(
      fans.map(async (fan) => {
        let outcome: FanOutcome;
        try {
          outcome = await buyTickets(world, fan, sale.zones);
        } catch (err) {
          errors.add(`fan exception ${(err as Error).message.slice(0, 60)}`);
          outcome = 'gave_up';
        }
        joined++;
        outcomes.add(outcome);
      }),
    );
    clearTimeout(deadline);
    clearInterval(monitor);
    const saleSeconds = elapsed();
    const unexpectedExits = services
      .filter((s) => s.child.exitCode !== null || s.child.signalCode !== null)
      .map((s) => `${s.name} exited (${s.child.exitCode ?? s.child.signalCode})`);
    for (const e of unexpectedExits) log(e);
    // Sold out: the sale's end is its last sale, not the fans' winding down after it.
    const saleEnd =
      selloutSeconds !== null && saleTimes.length > 0 ? Math.max(...saleTimes) : saleSeconds;
    const stalls = faultMarks.map((m) => ({
      fault: m.fault,
      at_s: round(m.at),
      stall_s: round(longestGap(saleTimes, m.at, Math.min(m.at + 30, saleEnd))),
    }));
    const firstFault = Math.min(saleSeconds, ...faultMarks.map((m) => m.at));
    const baselineGap =
      saleTimes.length > 1 && saleTimes[0]! < firstFault
        ? round(longestGap(saleTimes, saleTimes[0]!, firstFault))
        : null;
    const joins = latency.summary()['POST /queue/:id/join'];
    const joinSpan = joins ? Math.max(0.001, (performance.now() - joinStart) / 1000) : 1;
    log(
      `sale over after ${round(saleSeconds)} s; ${sold} seats sold to ${ordersCompleted} orders (${joined} fans done)`,
    );

    // Let the sweeper and webhooks settle, then audit.
    await new Promise((r) => setTimeout(r, 2_000));
    const audit: IntegrityReport = await auditMatchInvariants(deps, sale.matchId, {
      graceSeconds: 120,
    });
    log(`invariants: ${audit.ok ? 'all hold' : 'VIOLATIONS'}`);

    const costReport = await costs.finish(services, ordersCompleted);
    log(
      `API CPU ${costReport.api_cpu_ms_per_order} ms and ${costReport.api_statements_per_order} statements per completed order`,
    );

    // The service processes are done: stop them so the raw run has their connections.
    stopSampling();
    const peak: Record<string, number> = {};
    for (const s of services) peak[s.name] = round(s.peakRssKb / 1024);
    for (const s of services)
      await writeFile(path.join(os.tmpdir(), `${dbName}-${s.name}.log`), s.output());
    await Promise.all(services.map((s) => stopService(s)));

    // The raw limits: the database alone, same concurrency, on fresh copies of the match.
    const rawOpts = {
      stadium: opts.stadium,
      concurrency: opts.rawConcurrency ?? opts.instances * (opts.poolMax ?? 20),
      log,
    };
    const raw = opts.skipFloor ? 0 : (await rawClaimLimit(deps, rawOpts)).seatsPerSecond;
    const rawSale = opts.skipFloor ? 0 : (await rawSaleLimit(deps, rawOpts)).seatsPerSecond;
    const bare =
      opts.bareClaimSeconds === 0 || opts.skipFloor
        ? null
        : await bareClaimLimit({
            seconds: opts.bareClaimSeconds ?? 15,
            socketDir: privatePg?.dir,
            port: privatePg?.port,
          });
    if (bare) log(`bare claim: ${bare.seats_per_second} seats/s`);

    peak.driver = round(process.memoryUsage().rss / 2 ** 20);
    const soldSeconds = selloutSeconds ?? saleSeconds;
    return {
      match_id: sale.matchId,
      stadium:
        'template' in opts.stadium
          ? opts.stadium.template
          : `${opts.stadium.sectors}x${opts.stadium.rows}x${opts.stadium.seatsPerRow}`,
      seats: sale.sellableSeats,
      fans: opts.fans,
      instances: opts.instances,
      workers: opts.workers,
      sellout_seconds: selloutSeconds,
      sale_seconds: round(saleSeconds),
      seats_sold: sold,
      orders_completed: ordersCompleted,
      seats_per_second: round(sold / soldSeconds),
      orders_per_second: round(ordersCompleted / soldSeconds),
      queue_join_per_second: round((joins?.count ?? 0) / joinSpan),
      raw_claim_seats_per_second: raw,
      raw_ratio: raw > 0 ? round(sold / soldSeconds / raw, 3) : 0,
      raw_sale_seats_per_second: rawSale,
      raw_sale_ratio: rawSale > 0 ? round(sold / soldSeconds / rawSale, 3) : 0,
      sellout_floor_seconds: rawSale > 0 ? round(sale.sellableSeats / rawSale) : null,
      bare_claim_seats_per_second: bare?.seats_per_second ?? null,
      sale_floor_vs_bare_claim: bare ? round(rawSale / bare.seats_per_second, 4) : null,
      costs: costReport,
      latency_ms: latency.summary(),
      errors: errors.counts,
      outcomes: outcomes.counts,
      peak_memory_mb: peak,
      faults,
      fault_stalls: stalls,
      baseline_gap_s: baselineGap,
      unexpected_exits: unexpectedExits,
      http_500: Object.entries(errors.counts)
        .filter(([k]) => / 500\b/.test(k))
        .reduce((n, [, v]) => n + v, 0),
      autovacuum_standin: autovacuum?.stats() ?? null,
      violations: Object.fromEntries(audit.invariants.map((i) => [i.name, i.violations])),
      invariants_ok: audit.ok,
      timeline,
    };
  } finally {
    // Keep each process's warnings and errors for the post-mortem.
    for (const s of services)
      await writeFile(path.join(os.tmpdir(), `${dbName}-${s.name}.log`), s.output()).catch(
        () => {},
      );
    for (const close of closers.reverse()) await close().catch(() => {});
  }
}

/**
 * The longest time in [from, to] with no sale: the gaps between consecutive sale times,
 * `from` counting as a sale (a fault's stall starts at the fault) and `to` closing the last.
 */
export function longestGap(times: readonly number[], from: number, to: number): number {
  let previous = from;
  let longest = 0;
  for (const t of [...times].sort((a, b) => a - b)) {
    if (t <= from) continue;
    if (t > to) break;
    longest = Math.max(longest, t - previous);
    previous = t;
  }
  return Math.max(longest, to - previous);
}

/** The same database reached over the server's Unix socket in `dir`. */
function socketUrl(url: string, dir: string): string {
  const u = new URL(url);
  u.hostname = 'localhost';
  u.searchParams.set('host', dir);
  return u.toString();
}
