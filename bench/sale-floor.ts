// What the database alone sustains for an on-sale on a fresh database (the same limits the
// on-sale bench measures after its sale, bench/onsale/raw-limits.ts): the raw claim limit
// (claim statements only) and the sale floor (hold + order + sale with tickets, the least
// database work any implementation must do per seat), on a fresh copy of the stadium per
// run, from BENCH_CONCURRENCY (40: two API pools) connections; and the least sell-out time
// the floor allows; then the bare claim on the same server (bench/lib/bare-claim.ts) and
// the issue-28 ratio sale floor ÷ bare claim. BENCH_STADIUM (Poljud), BENCH_RUNS (2),
// BENCH_BARE_SECONDS (15; 0 skips the bare claim).
import { bareClaimLimit } from './lib/bare-claim.ts';
import { autovacuumIsOff, startAutovacuumStandIn } from './lib/autovacuum.ts';
import { round } from './lib/stats.ts';
import { writeResult } from './lib/results.ts';
import { openBenchWorld } from './lib/world.ts';
import {
  inventoryHotShare,
  rawClaimLimit,
  rawSaleLimit,
  saleFloorWrites,
} from './onsale/raw-limits.ts';

const STADIUM = process.env.BENCH_STADIUM ?? 'Poljud';
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 40);
const BARE_SECONDS = Number(process.env.BENCH_BARE_SECONDS ?? 15);

const world = await openBenchWorld({ pool: CONCURRENCY, env: { LOG_LEVEL: 'silent' } });
// As in bench:onsale: without autovacuum (this machine's CI setting) the later runs would
// plan against the statistics of empty tables.
const standIn = (await autovacuumIsOff(world.deps.db))
  ? startAutovacuumStandIn(world.deps.db)
  : null;
try {
  const opts = {
    // A template's name, or `sectors x rows x seats` (e.g. 2x10x20) for a small smoke run.
    stadium: /^\d+x\d+x\d+$/.test(STADIUM)
      ? (([sectors, rows, seatsPerRow]) => ({ sectors, rows, seatsPerRow }))(
          STADIUM.split('x').map(Number) as [number, number, number],
        )
      : { template: STADIUM },
    concurrency: CONCURRENCY,
    log: (m: string) => console.log(m),
  };
  const runs: Array<{ claim: number; sale: number; seats: number }> = [];
  const hotBefore = await inventoryHotShare(world.deps);
  let lastSale = null;
  for (let i = 0; i < RUNS; i++) {
    const claim = await rawClaimLimit(world.deps, opts);
    const sale = await rawSaleLimit(world.deps, opts);
    lastSale = sale;
    runs.push({ claim: claim.seatsPerSecond, sale: sale.seatsPerSecond, seats: sale.seats });
  }
  const best = runs.reduce((a, b) => (b.sale > a.sale ? b : a));
  const bare = BARE_SECONDS > 0 ? await bareClaimLimit({ seconds: BARE_SECONDS }) : null;
  if (bare) console.log(`bare claim: ${bare.seats_per_second} seats/s`);
  // The statistics of the runs' backends arrive within ~10 s of their going idle.
  if (!bare) await new Promise((r) => setTimeout(r, 11_000));
  const hotAfter = await inventoryHotShare(world.deps);
  const updates = hotAfter.upd - hotBefore.upd;
  const writes = await saleFloorWrites(
    world.deps,
    lastSale!.matchId,
    lastSale!.seats,
    updates > 0 ? round((hotAfter.hot - hotBefore.hot) / updates, 3) : 0,
  );
  const result = {
    stadium: STADIUM,
    concurrency: CONCURRENCY,
    runs,
    raw_claim_seats_per_second: Math.max(...runs.map((r) => r.claim)),
    raw_sale_seats_per_second: best.sale,
    sellout_floor_seconds: round(best.seats / best.sale),
    bare_claim_seats_per_second: bare?.seats_per_second ?? null,
    sale_floor_vs_bare_claim: bare ? round(best.sale / bare.seats_per_second, 4) : null,
    // Counted, not timed: what the floor writes per seat sold (bench/onsale/raw-limits.ts).
    writes_per_seat: writes,
    autovacuum_standin: standIn?.stats() ?? null,
  };
  const file = await writeResult('sale-floor', result);
  console.log(JSON.stringify(result, null, 2), `\nwrote ${file}`);
} finally {
  await standIn?.stop();
  await world.close();
}
