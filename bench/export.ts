// The turnstile export of a Poljud-sized match (issue 21, E2-F8, E13-F1): ≈33,000 valid
// tickets plus 1,000 extra codes streamed as a one-column .xlsx over real HTTP. Measures
// wall time and the process's peak memory growth of GET …/access-control-export, against
// a floor measured in the same run on the same data: a bare keyset SELECT of the same
// barcodes (the export's own pages, nothing written). Ratios are what to compare between
// runs (the 2-core machine is shared, so absolute times move with its load). For contrast
// one run builds the same workbook in memory (exceljs Workbook + writeBuffer), which is
// what streaming avoids. Short: 3 runs of each, on a scratch database.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import ExcelJS from 'exceljs';
import { buildApp } from '../src/app.ts';
import { extraCodePage, ticketBarcodePage } from '../src/modules/access-control/export.repo.ts';
import { createLockedMatch } from '../test/factories/matches.ts';
import { issueTickets } from '../test/factories/tickets.ts';
import { createUser } from '../test/factories/users.ts';
import { writeResult } from './lib/results.ts';
import { openBenchWorld } from './lib/world.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TICKETS = Number(process.env.BENCH_TICKETS ?? 33_000);
const EXTRA = 1_000;
const PAGE = 5_000;

const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;

/** Runs `work`, sampling memory every 5 ms: wall time and peak growth over the start. */
async function measured<T>(work: () => Promise<T>) {
  globalThis.gc?.();
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
  const end = process.memoryUsage();
  return {
    result,
    wall_ms: Math.round(wall),
    peak_heap_growth_mb: mb(Math.max(peakHeap, end.heapUsed) - start.heapUsed),
    peak_rss_growth_mb: mb(Math.max(peakRss, end.rss) - start.rss),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = (a: number, b: number) => Math.round((a / Math.max(b, 0.1)) * 100) / 100;

if (import.meta.main) {
  const world = await openBenchWorld({ pool: 4 });
  const { deps } = world;
  const app = await buildApp(deps);
  try {
    // 20 sectors × 34 rows × 50 seats = 34,000 seats, as Poljud (34,198)
    const match = await createLockedMatch(deps, {
      status: 'ACTIVE',
      sectors: 20,
      rows: 34,
      seatsPerRow: 50,
    });
    const buyer = await createUser(deps);
    await issueTickets(deps, { matchId: match.matchId, buyerId: buyer.id, count: TICKETS });
    const manager = await createUser(deps, { roles: ['MATCH_MANAGER'] });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address() as { port: number };
    const url = `http://127.0.0.1:${address.port}/admin/matches/${match.matchId}/access-control-export?extra_codes=${EXTRA}`;

    // the floor: the export's own keyset pages, read and dropped
    const floor = () =>
      deps.db
        .transaction()
        .setIsolationLevel('repeatable read')
        .setAccessMode('read only')
        .execute(async (trx) => {
          let rows = 0;
          for (const page of [ticketBarcodePage, extraCodePage]) {
            for (let after = ''; ;) {
              const barcodes = await page(trx, match.matchId, after, PAGE);
              rows += barcodes.length;
              if (barcodes.length < PAGE) break;
              after = barcodes.at(-1)!;
            }
          }
          return rows;
        });
    // the export over HTTP, the body streamed and counted, never held
    const exportOnce = async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${manager.token}` } });
      if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
      let bytes = 0;
      for await (const chunk of res.body!) bytes += (chunk as Uint8Array).length;
      return { bytes, file: res.headers.get('content-disposition') };
    };

    await floor(); // warm the caches and the plans once, so both sides start alike
    await exportOnce();
    const loadBefore = os.loadavg()[0];
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const f = await measured(floor);
      const e = await measured(exportOnce);
      runs.push({
        floor: { ...f, rows: f.result, result: undefined },
        export: { ...e, ...e.result, result: undefined },
      });
      console.log(
        `run ${i + 1}: floor ${f.result} rows ${f.wall_ms} ms +${f.peak_heap_growth_mb} MB heap; export ${e.result.bytes} bytes ${e.wall_ms} ms +${e.peak_heap_growth_mb} MB heap, +${e.peak_rss_growth_mb} MB RSS`,
      );
    }

    // once, for contrast: the same workbook built in memory
    const inMemory = await measured(async () => {
      const barcodes: string[] = [];
      await deps.db.transaction().execute(async (trx) => {
        for (const page of [ticketBarcodePage, extraCodePage]) {
          for (let after = ''; ;) {
            const got = await page(trx, match.matchId, after, PAGE);
            barcodes.push(...got);
            if (got.length < PAGE) break;
            after = got.at(-1)!;
          }
        }
      });
      const workbook = new ExcelJS.Workbook();
      const sheet = workbook.addWorksheet('Barcodes');
      sheet.columns = [{ header: 'barcode', key: 'barcode', width: 22 }];
      for (const b of barcodes) sheet.addRow([b]);
      return (await workbook.xlsx.writeBuffer()).byteLength;
    });

    // the file is what it should be: read it back once (not measured)
    const res = await fetch(url, { headers: { authorization: `Bearer ${manager.token}` } });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const rowsInFile = workbook.worksheets[0]!.actualRowCount - 1;

    const floorMs = median(runs.map((r) => r.floor.wall_ms));
    const exportMs = median(runs.map((r) => r.export.wall_ms));
    const floorHeap = median(runs.map((r) => r.floor.peak_heap_growth_mb));
    const exportHeap = median(runs.map((r) => r.export.peak_heap_growth_mb));
    const summary = {
      tickets: TICKETS,
      extra_codes: EXTRA,
      rows_in_file: rowsInFile,
      file_bytes: runs[0]!.export.bytes,
      runs: RUNS,
      floor: 'keyset SELECT of the same barcodes (5,000 per page, one REPEATABLE READ snapshot)',
      floor_ms_median: floorMs,
      export_ms_median: exportMs,
      time_ratio: ratio(exportMs, floorMs),
      floor_peak_heap_growth_mb_median: floorHeap,
      export_peak_heap_growth_mb_median: exportHeap,
      memory_ratio: ratio(exportHeap, floorHeap),
      export_peak_rss_growth_mb_max: Math.max(...runs.map((r) => r.export.peak_rss_growth_mb)),
      in_memory_reference: {
        what: 'the same rows as an exceljs Workbook in memory, then writeBuffer',
        wall_ms: inMemory.wall_ms,
        peak_heap_growth_mb: inMemory.peak_heap_growth_mb,
        memory_ratio_to_floor: ratio(inMemory.peak_heap_growth_mb, floorHeap),
      },
      load_average_1m: { before: loadBefore, after: os.loadavg()[0] },
      details: runs,
    };
    const file = await writeResult('export', summary);
    console.log(JSON.stringify({ ...summary, details: undefined }, null, 2), `\nwrote ${file}`);
  } finally {
    await app.close();
    await world.close();
  }
}
