// The per-sector status summary of a Poljud-sized match (issue 5, E3-F5):
// GET /admin/matches/{matchId}/sectors/status-summary over ≈34,000 inventory rows in a
// realistic mix of statuses (sold, live and expired cart holds, blocked, technical, …).
// Measures latency through the whole app (auth, validation, serialization) with
// app.inject, one call at a time: uncached (the cache key deleted before every call, so
// each call runs the SQL) and cached (Redis hit), p50/p99; then cached and uncached
// throughput on a real listener with autocannon; the summary statement's own execution
// time (the repo function called directly); and the process's peak memory. Runs on a scratch database on
// TEST_DATABASE_URL's server, dropped afterwards. Target: p99 < 50 ms.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { CompiledQuery, sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import {
  sectorStatusSummary,
  sectorStatusSummaryQuery,
} from '../src/modules/inventory/inventory.repo.ts';
import { summaryCacheKey } from '../src/modules/inventory/inventory.service.ts';
import type { Database } from '../src/platform/db/database.ts';
import { writeResult } from './lib/results.ts';
import { LatencyRecorder } from './lib/stats.ts';
import { openBenchWorld } from './lib/world.ts';

const UNCACHED_CALLS = Number(process.env.BENCH_UNCACHED_CALLS ?? 300);
const CACHED_CALLS = Number(process.env.BENCH_CACHED_CALLS ?? 3000);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const TARGET_P99_MS = 50;

const SECTORS = 20;
const ROWS = 34;
const SEATS_PER_ROW = 50;

/**
 * A Poljud-sized match by SQL: 20 sectors × 34 rows × 50 seats = 34,000 seats, a locked
 * match with one match sector per sector and one inventory row per seat, then a sale-day
 * mix of statuses: ~55% SOLD, ~4% live cart holds, ~2% expired holds, ~3% ALLOCATED,
 * ~2% BLOCKED, ~1% each TECHNICAL/OFFICIAL/MAINTENANCE, the rest AVAILABLE.
 */
export async function poljudMatch(db: Database, managerId: string): Promise<string> {
  const stadium = await db
    .insertInto('stadiums')
    .values({
      name: 'Poljud (bench)',
      city: 'Split',
      base_capacity: SECTORS * ROWS * SEATS_PER_ROW,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const match = await db
    .insertInto('matches')
    .values({
      home_team: 'HNK Hajduk Split',
      away_team: 'GNK Dinamo Zagreb',
      competition: 'SuperSport HNL',
      kick_off_time: new Date(Date.now() + 30 * 86_400_000),
      venue_id: stadium.id,
      match_type: 'HOME',
      stadium_config_status: 'LOCKED',
      created_by: managerId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let i = 0; i < SECTORS; i++) {
    const code = `P${String(i + 1).padStart(2, '0')}`;
    const capacity = ROWS * SEATS_PER_ROW;
    const sector = await db
      .insertInto('sectors')
      .values({
        stadium_id: stadium.id,
        name: `Sector ${code}`,
        code,
        capacity,
        has_seat_map: true,
        seat_count: capacity,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`INSERT INTO seats (sector_id, row_identifier, seat_number, row_index, col_index)
              SELECT ${sector.id}::uuid, (r + 1)::text, c + 1, r, c
                FROM generate_series(0, ${ROWS - 1}::int) r,
                     generate_series(0, ${SEATS_PER_ROW - 1}::int) c`.execute(db);
    const ms = await db
      .insertInto('match_sectors')
      .values({
        match_id: match.id,
        sector_id: sector.id,
        name: `Sector ${code}`,
        code,
        total_capacity: capacity,
        sellable_capacity: capacity,
        has_seat_map: true,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`INSERT INTO match_seat_inventory
                (match_id, seat_id, match_sector_id, row_index, col_index, snake_order)
              SELECT ${match.id}::uuid, s.id, ${ms.id}::uuid, s.row_index, s.col_index,
                     row_number() OVER (ORDER BY s.row_index, s.col_index)
                FROM seats s WHERE s.sector_id = ${sector.id}::uuid`.execute(db);
  }
  await sql`
    WITH r AS (SELECT id, random() AS x FROM match_seat_inventory WHERE match_id = ${match.id}::uuid)
    UPDATE match_seat_inventory i SET
      status = CASE WHEN r.x < 0.55 THEN 'SOLD'
                    WHEN r.x < 0.61 THEN 'RESERVED'
                    WHEN r.x < 0.64 THEN 'ALLOCATED'
                    WHEN r.x < 0.66 THEN 'BLOCKED'
                    WHEN r.x < 0.67 THEN 'TECHNICAL'
                    WHEN r.x < 0.68 THEN 'OFFICIAL'
                    WHEN r.x < 0.69 THEN 'MAINTENANCE'
                    ELSE 'AVAILABLE' END::seat_status,
      hold_kind = CASE WHEN r.x >= 0.55 AND r.x < 0.61 THEN 'CART'::hold_kind END,
      hold_owner_id = CASE WHEN r.x >= 0.55 AND r.x < 0.61 THEN gen_random_uuid() END,
      held_until = CASE WHEN r.x >= 0.55 AND r.x < 0.59 THEN now() + interval '20 minutes'
                        WHEN r.x >= 0.59 AND r.x < 0.61 THEN now() - interval '1 minute' END
      FROM r WHERE r.id = i.id`.execute(db);
  // The steady state autovacuum reaches between the lock and the sale (visibility map set).
  await sql`VACUUM ANALYZE match_seat_inventory`.execute(db);
  return match.id;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The node type that reads match_seat_inventory in an EXPLAIN (FORMAT JSON) plan. */
function inventoryScan(node: unknown): string | null {
  const n = node as { 'Node Type'?: string; 'Relation Name'?: string; Plans?: unknown[] };
  if (n['Relation Name'] === 'match_seat_inventory') return n['Node Type'] ?? null;
  for (const child of n.Plans ?? []) {
    const found = inventoryScan(child);
    if (found) return found;
  }
  return null;
}

function memorySampler() {
  const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 5);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peak_rss_mb: mb(peakRss), peak_heap_used_mb: mb(peakHeap) };
    },
  };
}

async function throughput(url: string, token: string, before?: () => void) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { authorization: `Bearer ${token}` },
    setupClient: before ? () => before() : undefined,
  });
  return {
    requests_per_second: Math.round(result.requests.average),
    latency_ms: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors + result.non2xx,
    total_requests: result.requests.total,
  };
}

if (import.meta.main) {
  const memory = memorySampler();
  const loadBefore = os.loadavg()[0]!;
  const world = await openBenchWorld({ pool: 10 });
  const { deps } = world;
  const { db, redis, tokens } = deps;
  const app = await buildApp(deps).catch(async (err: unknown) => {
    await world.close();
    throw err;
  });
  try {
    const manager = await db
      .insertInto('users')
      .values({ drupal_user_id: 'bench-manager', email: 'bench-manager@example.test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const token = await tokens.sign({ userId: manager.id, roles: ['MATCH_MANAGER'] });
    const t0 = performance.now();
    const matchId = await poljudMatch(db, manager.id);
    const setupMs = Math.round(performance.now() - t0);
    const rows = await db
      .selectFrom('match_seat_inventory')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .where('match_id', '=', matchId)
      .executeTakeFirstOrThrow();
    console.log(`set up ${rows.n} inventory rows in ${setupMs} ms`);

    const path = `/admin/matches/${matchId}/sectors/status-summary`;
    const key = summaryCacheKey(matchId);
    const headers = { authorization: `Bearer ${token}` };
    let cacheSurprises = 0;
    const call = async (expectCached: boolean) => {
      const res = await app.inject({ method: 'GET', url: path, headers });
      if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
      // Under heavy machine load a cache read/write can hit its 250 ms deadline: counted.
      if (res.json().cached !== expectCached) cacheSurprises += 1;
    };

    // Warm-up: JIT, connection pool, PostgreSQL buffers.
    for (let i = 0; i < 20; i++) {
      await redis.del(key);
      await call(false);
    }
    const latency = new LatencyRecorder();
    for (let i = 0; i < UNCACHED_CALLS; i++) {
      await redis.del(key);
      await latency.time('uncached', () => call(false));
    }
    await redis.del(key);
    await call(false);
    for (let i = 0; i < CACHED_CALLS; i++) await latency.time('cached', () => call(true));

    // Mid-sale: 10% of the seats changed since the last vacuum (sales, holds), so part of
    // the visibility map is cleared and the index-only scan visits those heap pages.
    await sql`UPDATE match_seat_inventory SET version = version + 1,
                status = CASE WHEN status = 'AVAILABLE' THEN 'SOLD'::seat_status ELSE status END
               WHERE match_id = ${matchId}::uuid AND random() < 0.10`.execute(db);
    for (let i = 0; i < UNCACHED_CALLS; i++) {
      await redis.del(key);
      await latency.time('uncached_after_10pct_churn', () => call(false));
    }

    // The summary statement alone: round trip via the repo function, and PostgreSQL's own
    // execution time (EXPLAIN ANALYZE; its minimum is the least disturbed by other load).
    const sqlLatency = new LatencyRecorder();
    for (let i = 0; i < 100; i++) {
      await sqlLatency.time('summary_sql', () => sectorStatusSummary(db, matchId, new Date()));
    }
    const compiled = sectorStatusSummaryQuery(matchId, new Date()).compile(db);
    const executionMs: number[] = [];
    let scan = '';
    for (let i = 0; i < 50; i++) {
      const explained = await db.executeQuery<{
        'QUERY PLAN': [{ 'Execution Time': number; Plan: unknown }];
      }>(
        CompiledQuery.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${compiled.sql}`, [
          ...compiled.parameters,
        ]),
      );
      const plan = explained.rows[0]!['QUERY PLAN'][0];
      executionMs.push(plan['Execution Time']);
      scan = inventoryScan(plan.Plan) ?? scan;
    }
    executionMs.sort((a, b) => a - b);

    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const target = `http://127.0.0.1:${port}${path}`;
    await redis.del(key);
    const cachedLoad = await throughput(target, token);
    // Uncached under load: a second app instance with a cache TTL of 0 is not possible, so
    // the key is deleted continuously in the background while autocannon runs.
    let stop = false;
    const evictor = (async () => {
      while (!stop) {
        await redis.del(key);
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const evictedLoad = await throughput(target, token);
    stop = true;
    await evictor;

    const summary = latency.summary();
    const result = {
      endpoint: 'GET /admin/matches/{matchId}/sectors/status-summary',
      inventory_rows: rows.n,
      sectors: SECTORS,
      setup_ms: setupMs,
      sequential_inject: {
        uncached: summary.uncached,
        uncached_after_10pct_churn: summary.uncached_after_10pct_churn,
        cached: summary.cached,
      },
      summary_sql_only: sqlLatency.summary().summary_sql,
      summary_sql_execution_ms: {
        min: round2(executionMs[0]!),
        p50: round2(executionMs[Math.floor(executionMs.length / 2)]!),
        max: round2(executionMs.at(-1)!),
        inventory_scan: scan,
      },
      calls_with_unexpected_cache_state: cacheSurprises,
      autocannon: {
        connections: CONNECTIONS,
        duration_seconds: DURATION,
        cached: cachedLoad,
        cache_continuously_evicted: evictedLoad,
      },
      memory: memory.stop(),
      // 2-core machine shared with other work: a 1-minute load far above 2 inflates every figure
      load_average_1m: { before: round2(loadBefore), after: round2(os.loadavg()[0]!) },
      target_p99_ms: TARGET_P99_MS,
      meets_target: summary.uncached!.p99 < TARGET_P99_MS && summary.cached!.p99 < TARGET_P99_MS,
    };
    const file = await writeResult('inventory-summary', result);
    console.log(JSON.stringify(result, null, 2), `\nwrote ${file}`);
  } finally {
    await app.close();
    await world.close();
  }
}
