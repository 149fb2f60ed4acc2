// Cart additions under an on-sale rush (issue 7, E4-F3/E4-F4): BENCH_FANS concurrent fans
// (default 256) add carts in one sector through the HTTP API (real listener, whole app:
// auth, rate limit hook, limit lock, snake claim, audit outbox) until it sells out, each
// cart by a different fan asking for 1–4 seats. In the same run, the raw claim statement
// (claim.repo.ts, SKIP LOCKED, adjacent run then separated fallback) is driven directly
// with the same concurrency and pool on an identical sector: the ratio shows what the use
// case and HTTP cost on top of the bare SQL. Runs on a scratch database created on
// TEST_DATABASE_URL's server and dropped afterwards; Redis from TEST_REDIS_URL.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import { claimAdjacentRun, claimSeparated } from '../src/modules/sales/claim.repo.ts';
import { createLockedMatch } from '../test/factories/matches.ts';
import { requestJson } from './lib/http-client.ts';
import { randomSuffix } from '../test/harness/databases.ts';
import { openBenchWorld } from './lib/world.ts';
import { writeResult } from './lib/results.ts';
import { LatencyRecorder } from './lib/stats.ts';

const FANS = Number(process.env.BENCH_FANS ?? 256);
const ROWS = Number(process.env.BENCH_ROWS ?? 40);
const SEATS_PER_ROW = Number(process.env.BENCH_SEATS_PER_ROW ?? 50);
const POOL = Number(process.env.BENCH_POOL ?? 20);
const QUANTITIES = [2, 3, 1, 4, 2, 2, 3, 1];

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

if (import.meta.main) {
  const world = await openBenchWorld({
    pool: POOL,
    tokenTtlSeconds: 3600,
    env: { RATE_LIMIT_MAX: '100000000' },
  });
  const { deps } = world;
  const { tokens } = deps;
  try {
    // One match, two identical sectors: S1 for the API, S2 for the raw statement.
    const match = await createLockedMatch(deps, {
      rows: ROWS,
      seatsPerRow: SEATS_PER_ROW,
      sectors: 2,
      status: 'PUBLISHED',
    });
    const now = new Date();
    await deps.db
      .insertInto('sales_phases')
      .values({
        match_id: match.matchId,
        phase_type: 'GENERAL_PUBLIC',
        name: 'Bench',
        start_at: new Date(now.getTime() - 3_600_000),
        end_at: new Date(now.getTime() + 86_400_000),
      })
      .execute();
    await sql`INSERT INTO queue_settings (match_id, enabled, admission_rate_per_minute, max_active_buyers)
              VALUES (${match.matchId}, false, 1000, 1000)`.execute(deps.db);
    const seats = ROWS * SEATS_PER_ROW;
    const api = match.sectors[0]!.matchSectorId;
    const raw = match.sectors[1]!.matchSectorId;

    // A fan per cart (the per-match limit is 4): more than the sector can take.
    const fanCount = Math.ceil(seats / 1.5) + FANS;
    const { rows: users } = await sql<{ id: string }>`
      INSERT INTO users (drupal_user_id, email)
      SELECT 'bench-' || g || '-' || ${randomSuffix()}, 'bench-' || g || '-' || ${randomUUID()} || '@example.test'
        FROM generate_series(1, ${fanCount}::int) g
      RETURNING id`.execute(deps.db);
    const fanTokens = await Promise.all(
      users.map((u) => tokens.sign({ userId: u.id, roles: ['FAN'] })),
    );

    const app = await buildApp(deps);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const base = `http://127.0.0.1:${port}`;

    // --- API: fans adding carts until the sector is sold out -----------------------------
    const latency = new LatencyRecorder();
    const claimedByApi: string[] = [];
    let next = 0;
    let soldOut = false;
    let carts = 0;
    let adjacent = 0;
    let errors = 0;
    const apiStart = performance.now();
    await Promise.all(
      Array.from({ length: FANS }, async () => {
        while (!soldOut) {
          const index = next++;
          const token = fanTokens[index];
          if (!token) return;
          let quantity = QUANTITIES[index % QUANTITIES.length]!;
          for (;;) {
            const t0 = performance.now();
            const res = await requestJson<{
              added?: string[];
              warnings?: string[];
              code?: string;
              available?: number;
            }>(base, 'POST', '/cart/add', {
              token,
              body: { match_id: match.matchId, match_sector_id: api, quantity },
            });
            latency.record('cart_add', performance.now() - t0);
            if (res.status === 200) {
              carts++;
              if (res.body.warnings?.length === 0) adjacent++;
              claimedByApi.push(...(res.body.added ?? []));
              break;
            }
            if (res.body.code === 'SEATS_INSUFFICIENT') {
              if (!res.body.available) {
                soldOut = true;
                break;
              }
              quantity = Math.min(quantity, res.body.available);
              continue;
            }
            errors++;
            break;
          }
        }
      }),
    );
    const apiSeconds = (performance.now() - apiStart) / 1000;
    await app.close();

    // --- Raw: the same claim statements, same concurrency, same pool ----------------------
    const rawLatency = new LatencyRecorder();
    const claimedRaw: string[] = [];
    let rawClaims = 0;
    let rawDone = false;
    let rawIndex = 0;
    const rawStart = performance.now();
    await Promise.all(
      Array.from({ length: FANS }, async () => {
        while (!rawDone) {
          let quantity = QUANTITIES[rawIndex++ % QUANTITIES.length]!;
          const target = () => ({
            matchSectorId: raw,
            quantity,
            holdKind: 'CART' as const,
            holdOwnerId: randomUUID(),
            heldUntil: new Date(Date.now() + 20 * 60_000),
            now: new Date(),
            actorId: null,
          });
          const t0 = performance.now();
          for (;;) {
            const tg = target();
            let result = await claimAdjacentRun(deps.db, tg);
            if (!result.claimed.length && result.runs === 0) {
              if (result.free === 0) {
                rawDone = true;
                break;
              }
              quantity = Math.min(quantity, result.free);
              result = await claimSeparated(deps.db, { ...tg, quantity });
              if (!result.claimed.length && result.free === 0) {
                rawDone = true;
                break;
              }
            }
            if (result.claimed.length) {
              rawClaims++;
              claimedRaw.push(...result.claimed.map((s) => s.id));
              break;
            }
          }
          rawLatency.record('raw_claim', performance.now() - t0);
        }
      }),
    );
    const rawSeconds = (performance.now() - rawStart) / 1000;

    const twice = (ids: string[]) => ids.length - new Set(ids).size;
    const { rows: dbCheck } = await sql<{ sector: string; held: number; owners: number }>`
      SELECT match_sector_id AS sector, count(*)::int AS held, count(DISTINCT hold_owner_id)::int AS owners
        FROM match_seat_inventory WHERE match_id = ${match.matchId} AND status = 'RESERVED'
       GROUP BY match_sector_id`.execute(deps.db);
    const apiHeld = dbCheck.find((r) => r.sector === api)?.held ?? 0;
    const stats = latency.summary().cart_add!;
    const rawStats = rawLatency.summary().raw_claim!;
    const cartsPerSecond = round(carts / apiSeconds);
    const rawPerSecond = round(rawClaims / rawSeconds);
    const result = {
      fans: FANS,
      sector_seats: seats,
      pool_connections: POOL,
      carts,
      seats_claimed: claimedByApi.length,
      seats_left: seats - apiHeld,
      adjacent_carts_share: round(adjacent / Math.max(1, carts), 3),
      errors,
      duration_s: round(apiSeconds, 2),
      carts_per_second: cartsPerSecond,
      p50_ms: stats.p50,
      p99_ms: stats.p99,
      max_ms: stats.max,
      raw_claims: rawClaims,
      raw_duration_s: round(rawSeconds, 2),
      raw_claims_per_second: rawPerSecond,
      raw_p50_ms: rawStats.p50,
      raw_p99_ms: rawStats.p99,
      ratio: round(cartsPerSecond / rawPerSecond, 3),
      // Little's law: FANS clients that always have a claim outstanding, served at the raw
      // rate, wait FANS / rate on average. No cart addition can beat the statement it runs,
      // so this is the least mean latency any layer above the database could show here.
      raw_mean_latency_floor_ms: round((FANS / rawPerSecond) * 1000),
      seats_sold_twice: twice(claimedByApi) + twice(claimedRaw),
      db_held_rows_match_responses:
        apiHeld === claimedByApi.length &&
        (dbCheck.find((r) => r.sector === raw)?.held ?? 0) === claimedRaw.length,
    };
    const file = await writeResult('cart', result);
    console.log(JSON.stringify(result, null, 2), `\nwrote ${file}`);
  } finally {
    await world.close();
  }
}
