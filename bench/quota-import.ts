// The quota CSV import (issue 22, E7-F2): BENCH_ROWS rows (default 1,000; 2 seats each, an
// invitation email each) uploaded as a multipart form to POST /admin/quotas/import through
// the whole app (in-process inject: auth, upload parsing, validation, allocation, report).
// Floor, in the same run: a bare bulk INSERT of the same quota rows and their seat rows
// (two statements, rolled back) on an identical match. For comparison, the row-by-row path
// the import took before (placeQuota per row: an allocation statement and four writes per
// row, one transaction, rolled back). Reports rows/s and the ratio to the floor. Runs on a
// scratch database on TEST_DATABASE_URL's server, dropped afterwards.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql, type Transaction } from 'kysely';
import { buildApp } from '../src/app.ts';
import { lockMatchForQuota } from '../src/modules/quotas/quotas.repo.ts';
import { createQuotaBody } from '../src/modules/quotas/quotas.schemas.ts';
import { checkQuotaMatch, placeQuota } from '../src/modules/quotas/quotas.service.ts';
import type { Database } from '../src/platform/db/database.ts';
import type { DB } from '../src/platform/db/types.generated.ts';
import { createLockedMatch } from '../test/factories/matches.ts';
import { createUser } from '../test/factories/users.ts';
import { writeResult } from './lib/results.ts';
import { openBenchWorld } from './lib/world.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ROW_BY_ROW_RUNS = Number(process.env.BENCH_ROW_BY_ROW_RUNS ?? 1);
const SEATS_PER_ROW_OF_CSV = 2;

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Rolls the transaction back after `fn` (the floor and the old path write nothing). */
class Rollback extends Error {}
async function rolledBack(db: Database, fn: (trx: Transaction<DB>) => Promise<void>) {
  await db
    .transaction()
    .execute(async (trx) => {
      await fn(trx);
      throw new Rollback();
    })
    .catch((err: unknown) => {
      if (!(err instanceof Rollback)) throw err;
    });
}

if (import.meta.main) {
  const world = await openBenchWorld({ pool: 4, env: { RATE_LIMIT_MAX: '100000000' } });
  const { deps } = world;
  try {
    const manager = await createUser(deps, { roles: ['MATCH_MANAGER'] });
    const app = await buildApp(deps);
    await app.ready();
    const seatRows = Math.ceil((ROWS * SEATS_PER_ROW_OF_CSV * 1.25) / 100);
    const freshMatch = () =>
      createLockedMatch(deps, { rows: seatRows, seatsPerRow: 100, sectors: 1 });
    const csvOf = (tag: string) =>
      [
        'recipient_email,recipient_name,sector_codes,quantity',
        ...Array.from(
          { length: ROWS },
          (_, i) => `partner${i}.${tag}@bench.hr,Partner ${i},S1,${SEATS_PER_ROW_OF_CSV}`,
        ),
      ].join('\n');

    // The import through the app, a multipart upload as a browser sends it.
    const importMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const match = await freshMatch();
      const form = new FormData();
      form.append('match_ids', match.matchId);
      form.append('file', new Blob([csvOf(`r${run}`)], { type: 'text/csv' }), 'partners.csv');
      const response = new Response(form);
      const payload = Buffer.from(await response.arrayBuffer());
      const started = performance.now();
      const res = await app.inject({
        method: 'POST',
        url: '/admin/quotas/import',
        headers: {
          authorization: `Bearer ${manager.token}`,
          'content-type': response.headers.get('content-type')!,
        },
        payload,
      });
      const ms = performance.now() - started;
      const body = res.json() as { successful_rows?: number };
      if (res.statusCode !== 201 || body.successful_rows !== ROWS) {
        throw new Error(`import answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
      }
      importMs.push(ms);
      console.log(`import run ${run + 1}: ${ROWS} rows in ${Math.round(ms)} ms`);
    }

    // The floor: the same quota rows and seat rows, bulk-inserted bare, rolled back.
    const floorMatch = await freshMatch();
    const { rows: inventory } = await sql<{ id: string }>`
      SELECT id FROM match_seat_inventory WHERE match_id = ${floorMatch.matchId}
       ORDER BY snake_order LIMIT ${ROWS * SEATS_PER_ROW_OF_CSV}`.execute(deps.db);
    const sectorId = floorMatch.sectors[0]!.matchSectorId;
    const floorMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      await rolledBack(deps.db, async (trx) => {
        const ids = Array.from({ length: ROWS }, () => randomUUID());
        await sql`
            INSERT INTO quotas (id, match_id, recipient_email, recipient_name, total_quantity,
                                sector_ids, discount_percent, allocation_algorithm, status,
                                created_by, created_at)
            SELECT id, ${floorMatch.matchId}::uuid, 'partner' || n || '@bench.hr',
                   'Partner ' || n, ${SEATS_PER_ROW_OF_CSV}, ARRAY[${sectorId}::uuid], 0,
                   'REDOM', 'ACTIVE', ${manager.id}::uuid, now()
              FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS t(id, n)`.execute(trx);
        await sql`
            INSERT INTO quota_seats (quota_id, match_seat_inventory_id)
            SELECT * FROM unnest(
              ${inventory.map((_, i) => ids[Math.floor(i / SEATS_PER_ROW_OF_CSV)]!)}::uuid[],
              ${inventory.map((s) => s.id)}::uuid[])`.execute(trx);
      });
      floorMs.push(performance.now() - started);
    }

    // The row-by-row path the import took before (one allocation and four writes per row).
    const rowByRowMs: number[] = [];
    for (let run = 0; run < ROW_BY_ROW_RUNS; run++) {
      const started = performance.now();
      await rolledBack(deps.db, async (trx) => {
        const now = new Date();
        const match = checkQuotaMatch(await lockMatchForQuota(trx, floorMatch.matchId), now);
        for (let i = 0; i < ROWS; i++) {
          const body = createQuotaBody.parse({
            match_id: match.id,
            recipient_email: `partner${i}@bench.hr`,
            recipient_name: `Partner ${i}`,
            total_quantity: SEATS_PER_ROW_OF_CSV,
            sector_ids: [sectorId],
          });
          const placed = await placeQuota(deps, trx, {
            body,
            match,
            actorId: manager.id,
            batchId: null,
            now,
          });
          if ('available' in placed) throw new Error('row-by-row: out of seats');
        }
      });
      rowByRowMs.push(performance.now() - started);
    }
    await app.close();

    const rate = (ms: number) => round((ROWS / ms) * 1000, 0);
    const result = {
      rows: ROWS,
      seats: ROWS * SEATS_PER_ROW_OF_CSV,
      emails: ROWS,
      runs: RUNS,
      import_ms: importMs.map((ms) => Math.round(ms)),
      import_median_ms: Math.round(median(importMs)),
      import_rows_per_s: rate(median(importMs)),
      floor: 'bare bulk INSERT of the quota rows and their seat rows (2 statements, rolled back)',
      floor_ms: floorMs.map((ms) => Math.round(ms)),
      floor_median_ms: Math.round(median(floorMs)),
      floor_rows_per_s: rate(median(floorMs)),
      ratio_import_to_floor: round(median(floorMs) / median(importMs), 3),
      row_by_row_ms: rowByRowMs.map((ms) => Math.round(ms)),
      row_by_row_rows_per_s: rowByRowMs.length ? rate(median(rowByRowMs)) : null,
      speedup_over_row_by_row: rowByRowMs.length
        ? round(median(rowByRowMs) / median(importMs), 1)
        : null,
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(`wrote ${await writeResult('quota-import', result)}`);
  } finally {
    await world.close();
  }
}
