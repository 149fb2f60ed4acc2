// The streamed report export (issue 26, E14-F1): does a CSV export run in constant memory
// and how close does it come to the database's own floor?
//
// A scratch database gets N sold seats by SQL (INSERT … SELECT generate_series: seats,
// inventory, orders of 4, order lines, tickets), at two sizes (BENCH_SIZES, default
// 100000,1000000; the second size adds rows to the first). At each size, in a fresh child
// process each (so peak RSS is the run's own):
//   - export: writeExport() of the SALES report, the code the export job runs (the
//     server's COPY … TO STDOUT of the formatted CSV through pg-copy-streams → the file
//     store), rows/s and peak RSS;
//   - floor: psql's \copy of the very same SELECT to a CSV file (the server's COPY), rows/s;
//   - baseline: the child's RSS and heap with every module loaded, before exporting;
//   - live heap: every 250 ms the child forces a full GC and samples the heap still alive.
// Constant memory: the live heap above the baseline (and so the peak RSS) stays the same
// from the small size to the large one. Results: bench/results/report-export-<date>.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { writeExport } from '../src/modules/reports/exports.service.ts';
import { salesLinesQuery } from '../src/modules/reports/sales-report.repo.ts';
import { createDatabase as openDatabase, type Database } from '../src/platform/db/database.ts';
import { localFileStore } from '../src/platform/files/file-store.ts';
import { writeResult } from './lib/results.ts';
import { openBenchWorld } from './lib/world.ts';

const SIZES = (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
// How often the child forces a full GC and samples the heap that is still alive (each
// forced GC costs the export CPU: on a busy machine BENCH_LIVE_SAMPLE_MS=2000 measures the
// throughput with less of that cost).
const LIVE_SAMPLE_MS = Number(process.env.BENCH_LIVE_SAMPLE_MS ?? 250);
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** The match, sector and buyer the generated sales belong to. */
export async function seedMatch(db: Database) {
  const user = await db
    .insertInto('users')
    .values({ drupal_user_id: 'bench-buyer', email: 'bench-buyer@example.test' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const stadium = await db
    .insertInto('stadiums')
    .values({ name: 'Maksimir (bench)', city: 'Zagreb' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const sector = await db
    .insertInto('sectors')
    .values({ stadium_id: stadium.id, name: 'Sector B', code: 'B', capacity: 0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  const match = await db
    .insertInto('matches')
    .values({
      home_team: 'Hrvatska',
      away_team: 'Bench',
      competition: 'Friendly',
      kick_off_time: new Date(Date.now() + 30 * 86_400_000),
      venue_id: stadium.id,
      match_type: 'HOME',
      stadium_config_status: 'LOCKED',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ms = await db
    .insertInto('match_sectors')
    .values({
      match_id: match.id,
      sector_id: sector.id,
      name: 'Sector B',
      code: 'B',
      total_capacity: 0,
      sellable_capacity: 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { userId: user.id, sectorId: sector.id, matchId: match.id, matchSectorId: ms.id };
}

type Seeded = Awaited<ReturnType<typeof seedMatch>>;

/** Lines [from, to) as sold seats: 4 per order, each with its ticket. Foreign key triggers off. */
export async function seedLines(db: Database, s: Seeded, from: number, to: number) {
  await db.connection().execute(async (c) => {
    await sql`SET session_replication_role = replica`.execute(c);
    const g = sql`generate_series(${from}::int, ${to - 1}::int) g`;
    await sql`INSERT INTO seats (id, sector_id, row_identifier, seat_number, row_index, col_index)
              SELECT md5('s' || g)::uuid, ${s.sectorId}::uuid, (g / 1000 + 1)::text, g % 1000 + 1, g / 1000, g % 1000
                FROM ${g}`.execute(c);
    await sql`INSERT INTO match_seat_inventory
                (id, match_id, seat_id, match_sector_id, row_index, col_index, snake_order, status)
              SELECT md5('i' || g)::uuid, ${s.matchId}::uuid, md5('s' || g)::uuid, ${s.matchSectorId}::uuid,
                     g / 1000, g % 1000, g, 'SOLD'
                FROM ${g}`.execute(c);
    await sql`INSERT INTO orders (id, match_id, user_id, status, completed_at, ticket_amount,
                                  ticket_vat_amount, ticket_vat_bp, fee_amount, fee_percent_bp,
                                  fee_vat_amount, fee_vat_bp, total_amount)
              SELECT md5('o' || o)::uuid, ${s.matchId}::uuid, ${s.userId}::uuid, 'COMPLETED',
                     now() - make_interval(secs => 10000000 - o), 10000, 476, 500, 600, 600, 120, 2500, 10600
                FROM generate_series(${from / 4}::int, ${to / 4 - 1}::int) o`.execute(c);
    await sql`INSERT INTO order_items (order_id, position, match_seat_inventory_id, match_sector_id,
                                       unit_price, fee_amount, ticket_vat_amount, fee_vat_amount,
                                       holder_full_name, holder_date_of_birth, holder_nationality,
                                       holder_is_minor, holder_source, holder_passport_encrypted)
              SELECT md5('o' || (g / 4))::uuid, g % 4 + 1, md5('i' || g)::uuid, ${s.matchSectorId}::uuid,
                     2500, 150, 119, 30, 'Holder ' || g, '1990-01-01', 'HR', false, 'MANUAL_ENTRY', 'x'
                FROM ${g}`.execute(c);
    await sql`INSERT INTO tickets (order_id, match_id, match_seat_inventory_id, owner_user_id,
                                   price_amount, fee_amount, barcode, qr_code_data, status)
              SELECT md5('o' || (g / 4))::uuid, ${s.matchId}::uuid, md5('i' || g)::uuid, ${s.userId}::uuid,
                     2500, 150, lpad(g::text, 18, '0'), 'HNS1:bench:' || g, 'SOLD'
                FROM ${g}`.execute(c);
    await sql`SET session_replication_role = origin`.execute(c);
  });
  await sql`ANALYZE`.execute(db);
}

/** Child: one export into `dir`, reporting rows, seconds and its own memory. */
async function child(url: string, dir: string) {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, LOG_LEVEL: 'silent' });
  const handle = openDatabase(url, 2);
  await sql`SELECT 1`.execute(handle.db); // connected: the baseline includes the pool
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  const baselineRss = process.memoryUsage().rss;
  const baselineHeap = process.memoryUsage().heapUsed;
  let peakRss = baselineRss;
  let peakHeap = 0;
  let peakLive = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 5);
  // What the export keeps alive: the heap right after a full collection, above the baseline.
  const live = setInterval(() => {
    gc();
    peakLive = Math.max(peakLive, process.memoryUsage().heapUsed - baselineHeap);
  }, LIVE_SAMPLE_MS);
  const started = performance.now();
  const { rows, bytes } = await writeExport(
    handle,
    localFileStore(dir),
    'SALES',
    { from: null, until: null },
    'export.csv',
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  clearInterval(live);
  await handle.close();
  void config;
  process.stdout.write(
    JSON.stringify({
      rows,
      bytes,
      seconds,
      baseline_rss_mb: mb(baselineRss),
      peak_rss_mb: mb(Math.max(peakRss, process.resourceUsage().maxRSS * 1024)),
      peak_heap_used_mb: mb(peakHeap),
      peak_live_heap_mb: mb(peakLive),
    }),
  );
}

function runChild(url: string, dir: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const args = ['--expose-gc', import.meta.filename, '--child', url, dir];
    const p = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`)),
    );
  });
}

/** The floor: the server's COPY of the same SELECT, through psql, to a file. */
async function copyFloor(url: string, db: Database, dir: string) {
  const query = salesLinesQuery({ from: null, until: null }).compile(db);
  if (query.parameters.length > 0) throw new Error('the floor needs a query without parameters');
  const file = path.join(dir, 'copy.csv');
  const started = performance.now();
  const r = spawnSync(
    'psql',
    [
      url,
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `\\copy (${query.sql.replace(/\s+/g, ' ')}) TO '${file}' WITH CSV HEADER`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  const seconds = (performance.now() - started) / 1000;
  const rows = Number(/COPY (\d+)/.exec(r.stdout)?.[1] ?? 0);
  return { rows, seconds, bytes: (await stat(file)).size };
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4]!);
} else if (import.meta.main) {
  const world = await openBenchWorld({ pool: 4 });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hns-report-export-'));
  const sizes: Record<string, unknown>[] = [];
  try {
    const seeded = await seedMatch(world.deps.db);
    let have = 0;
    for (const size of SIZES) {
      const seedStart = performance.now();
      await seedLines(world.deps.db, seeded, have, size);
      have = size;
      const seedSeconds = (performance.now() - seedStart) / 1000;
      const exp = await runChild(world.databaseUrl, dir);
      const floor = await copyFloor(world.databaseUrl, world.deps.db, dir);
      if (exp.rows !== size || floor.rows !== size) {
        throw new Error(`expected ${size} rows, export ${exp.rows}, copy ${floor.rows}`);
      }
      const exportRate = Math.round(exp.rows! / exp.seconds!);
      const floorRate = Math.round(floor.rows / floor.seconds);
      const entry = {
        rows: size,
        seed_seconds: Math.round(seedSeconds * 10) / 10,
        export: {
          seconds: Math.round(exp.seconds! * 100) / 100,
          rows_per_second: exportRate,
          file_mb: mb(exp.bytes!),
          baseline_rss_mb: exp.baseline_rss_mb,
          peak_rss_mb: exp.peak_rss_mb,
          rss_above_baseline_mb: Math.round((exp.peak_rss_mb! - exp.baseline_rss_mb!) * 10) / 10,
          peak_heap_used_mb: exp.peak_heap_used_mb,
          peak_live_heap_above_baseline_mb: exp.peak_live_heap_mb,
        },
        copy_floor: {
          seconds: Math.round(floor.seconds * 100) / 100,
          rows_per_second: floorRate,
          file_mb: mb(floor.bytes),
        },
        export_vs_floor_rows_per_second: Math.round((exportRate / floorRate) * 100) / 100,
      };
      console.log(JSON.stringify(entry));
      sizes.push(entry);
    }
    const [small, large] = sizes as unknown as Array<{
      export: { peak_rss_mb: number; peak_live_heap_above_baseline_mb: number };
    }>;
    const file = await writeResult('report-export', {
      method:
        'COPY (SELECT <formatted columns> FROM (<report query>) q) TO STDOUT WITH CSV via pg-copy-streams',
      sizes,
      ...(small && large
        ? {
            peak_rss_ratio_large_vs_small:
              Math.round((large.export.peak_rss_mb / small.export.peak_rss_mb) * 100) / 100,
            live_heap_ratio_large_vs_small:
              Math.round(
                (large.export.peak_live_heap_above_baseline_mb /
                  Math.max(0.1, small.export.peak_live_heap_above_baseline_mb)) *
                  100,
              ) / 100,
          }
        : {}),
      note:
        'export = the export job’s writeExport (server COPY of the formatted CSV → pg-copy-streams → file store) ' +
        'in its own process; copy_floor = psql \\copy of the same SELECT (server COPY). ' +
        'peak_live_heap_above_baseline_mb: the heap still alive after a forced full GC every ' +
        `${LIVE_SAMPLE_MS} ms, above the child's baseline — what the export holds; constant ` +
        'memory = the same at both sizes. The child forces those GCs, so its RSS stays ' +
        'near the live set too.',
    });
    console.log(`wrote ${file}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await world.close();
  }
}
