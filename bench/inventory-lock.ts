// Locking a Poljud-sized match configuration (issue 5, E3-F1): validate + lock creates one
// match_seat_inventory row per seat (≈34,000) with its precomputed snake order. Measures the
// wall time of POST …/stadium/validate's use case (validateAndLock) and the process's peak
// memory while it runs, for a first lock and for a re-lock after an unlock (the upsert
// path), plus the CPU time of this process and of the PostgreSQL backends (load-independent:
// on a busy 2-core machine wall time mostly measures waiting for a core). Runs on a scratch
// database created from TEST_DATABASE_URL's server and dropped afterwards. Target: lock < 3 s.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { bulkUpdateMatchSectors } from '../src/modules/matches/match-sectors.service.ts';
import { createMatch } from '../src/modules/matches/matches.service.ts';
import { createPriceCategory } from '../src/modules/matches/price-categories.service.ts';
import {
  configureStadium,
  unlockConfiguration,
  validateAndLock,
} from '../src/modules/matches/stadium-config.service.ts';
import type { Database } from '../src/platform/db/database.ts';
import { writeResult } from './lib/results.ts';
import { openBenchWorld } from './lib/world.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TARGET_MS = 3000;

/**
 * Poljud from the venues seed (db/seeds/stadiums.ts: real sector layout, seat maps, snake
 * configurations) when that module is present; otherwise a generated stand of the same
 * size: 20 sectors × 34 rows × 50 seats with a centre-outward snake configuration.
 */
async function poljud(db: Database): Promise<{ stadiumId: string; source: string }> {
  try {
    const [{ STADIUMS }, { writeStadiumTemplate }] = await Promise.all([
      import('../db/seeds/stadiums.ts'),
      import('../src/modules/venues/venues.seed.ts'),
    ]);
    const def = STADIUMS.find((s: { name: string }) => /Poljud/.test(s.name));
    if (def) {
      const stadium = await db.transaction().execute((trx) => writeStadiumTemplate(trx, def));
      return { stadiumId: stadium.id, source: `venues seed: ${def.name}` };
    }
  } catch (err) {
    console.warn(`venues seed unavailable (${(err as Error).message}); generating seats`);
  }
  const stadium = await db
    .insertInto('stadiums')
    .values({ name: 'Poljud (generated)', city: 'Split', base_capacity: 34_000 })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let i = 0; i < 20; i++) {
    const sector = await db
      .insertInto('sectors')
      .values({
        stadium_id: stadium.id,
        name: `Sector ${i + 1}`,
        code: `P${String(i + 1).padStart(2, '0')}`,
        capacity: 1700,
        has_seat_map: true,
        seat_count: 1700,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`INSERT INTO seats (sector_id, row_identifier, seat_number, row_index, col_index)
              SELECT ${sector.id}::uuid, (r + 1)::text, c + 1, r, c
                FROM generate_series(0, 33) r, generate_series(0, 49) c`.execute(db);
    await db
      .insertInto('sector_snake_configs')
      .values({
        sector_id: sector.id,
        best_row_index: 10,
        traversal_direction: 'TOP_TO_BOTTOM',
        within_row_strategy: 'CENTER_OUTWARD',
      })
      .execute();
  }
  return { stadiumId: stadium.id, source: 'generated: 20 sectors × 34 rows × 50 seats' };
}

/**
 * CPU seconds spent so far by the PostgreSQL backends serving the bench database (the
 * server runs on this machine, so /proc has them). With other processes competing for the
 * 2 cores, wall time mostly measures the queue for a CPU; CPU time is what the lock costs.
 */
async function backendCpuMs(db: Database, database: string): Promise<Map<number, number>> {
  const pids = await sql<{ pid: number }>`
    SELECT pid FROM pg_stat_activity WHERE datname = ${database}`.execute(db);
  const out = new Map<number, number>();
  for (const { pid } of pids.rows) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    // Fields after the ")" of the command name: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS);
  }
  return out;
}
const CLOCK_TICKS = 100;

/** Runs `work`, sampling the process's memory every 5 ms; peak values in MB. */
async function measured<T>(db: Database, database: string, work: () => Promise<T>) {
  const dbBefore = await backendCpuMs(db, database);
  const cpuBefore = process.cpuUsage();
  const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
  const start = process.memoryUsage();
  let peakRss = start.rss;
  let peakHeap = start.heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 5);
  const t0 = performance.now();
  const result = await work();
  const wall = performance.now() - t0;
  clearInterval(timer);
  const cpu = process.cpuUsage(cpuBefore);
  const dbAfter = await backendCpuMs(db, database);
  let dbCpu = 0;
  for (const [pid, ms] of dbAfter) dbCpu += ms - (dbBefore.get(pid) ?? 0);
  const end = process.memoryUsage();
  peakRss = Math.max(peakRss, end.rss);
  peakHeap = Math.max(peakHeap, end.heapUsed);
  return {
    result,
    wall_ms: Math.round(wall),
    node_cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
    postgres_cpu_ms: Math.round(dbCpu),
    peak_rss_mb: mb(peakRss),
    peak_heap_used_mb: mb(peakHeap),
    heap_growth_mb: mb(peakHeap - start.heapUsed),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (import.meta.main) {
  const world = await openBenchWorld({ pool: 4 });
  const { deps, databaseName: name } = world;
  const { db } = deps;
  try {
    const actor = { userId: null };
    const { stadiumId, source } = await poljud(db);

    const loadBefore = os.loadavg()[0];
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const match = await createMatch(deps, actor, {
        home_team: 'HNK Hajduk Split',
        away_team: `Opponent ${i + 1}`,
        competition: 'Benchmark',
        kick_off_time: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        match_type: 'HOME',
      });
      const category = await createPriceCategory(deps, actor, match.id, {
        name: 'Standard',
        price: 2500,
        currency: 'EUR',
      });
      const config = await configureStadium(deps, actor, match.id, {
        stadium_template_id: stadiumId,
      });
      await bulkUpdateMatchSectors(deps, actor, match.id, {
        sectors: config.sectors.map((s) => ({ id: s.id, price_category_id: category.id })),
      });
      const lock = await measured(db, name, () => validateAndLock(deps, actor, match.id));
      if (!lock.result.valid) {
        throw new Error(`configuration invalid: ${JSON.stringify(lock.result.issues)}`);
      }
      await unlockConfiguration(deps, actor, match.id);
      const relock = await measured(db, name, () => validateAndLock(deps, actor, match.id));
      runs.push({
        seats: lock.result.inventory_seats,
        sectors: config.sectors.length,
        lock: { ...lock, result: undefined },
        relock: { ...relock, result: undefined },
      });
      console.log(
        `run ${i + 1}: ${lock.result.inventory_seats} seats, lock ${lock.wall_ms} ms (CPU node ${lock.node_cpu_ms} + pg ${lock.postgres_cpu_ms} ms), re-lock ${relock.wall_ms} ms, peak RSS ${lock.peak_rss_mb} MB`,
      );
    }
    const lockMedian = median(runs.map((r) => r.lock.wall_ms));
    const summary = {
      stadium: source,
      seats: runs[0]!.seats,
      runs: RUNS,
      lock_ms_median: lockMedian,
      lock_ms_max: Math.max(...runs.map((r) => r.lock.wall_ms)),
      relock_ms_median: median(runs.map((r) => r.relock.wall_ms)),
      // Load-independent cost: CPU of this process plus the PostgreSQL backends.
      lock_cpu_ms_median: median(runs.map((r) => r.lock.node_cpu_ms + r.lock.postgres_cpu_ms)),
      relock_cpu_ms_median: median(
        runs.map((r) => r.relock.node_cpu_ms + r.relock.postgres_cpu_ms),
      ),
      peak_rss_mb: Math.max(...runs.map((r) => Math.max(r.lock.peak_rss_mb, r.relock.peak_rss_mb))),
      target_ms: TARGET_MS,
      // Other processes on this 2-core machine inflate wall times; record how busy it was.
      load_average_1m: { before: loadBefore, after: os.loadavg()[0] },
      meets_target: lockMedian < TARGET_MS,
      details: runs,
    };
    const file = await writeResult('inventory-lock', summary);
    console.log(JSON.stringify({ ...summary, details: undefined }), `\nwrote ${file}`);
  } finally {
    await world.close();
  }
}
