// The MUP list import (issue 24, E11-F2): does a 50,000-row CSV import in one request
// within seconds, and how close does it come to a bare bulk insert of the same rows?
//
// A scratch database (openBenchWorld) and the app in-process. A CSV of BENCH_ROWS (default
// 50000) people with valid OIBs, 1 % of the lines invalid and 1 % repeated, is POSTed to
// /admin/blacklist/import as a supervisor (parse, checksum, encryption and blind index per
// row, dedupe, one set-based insert with its audit rows, the batch, the E11-F4 ticket
// lookup of the new entries, the JSON answer). Then, in the same run:
//   - replay: the same file again (answers the first batch, changes nothing);
//   - overlap: the same people in another file (every line a duplicate on the list);
//   - floor: one INSERT … SELECT FROM unnest of the very same pre-encrypted rows into an
//     empty copy of the blacklist table (the database's own cost of the rows);
//   - floor_with_crypto: the floor plus the AES-GCM encryption and HMAC of each OIB.
// Results: bench/results/blacklist-import-<date>.json (rows/s and the ratio to the floor).
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import { generateOib } from '../src/modules/identity/oib.ts';
import { getPiiCipher } from '../src/platform/crypto.ts';
import { createUser } from '../test/factories/users.ts';
import { writeResult } from './lib/results.ts';
import { openBenchWorld } from './lib/world.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const log = (m: string) => console.log(`[blacklist-import] ${m}`);
const round = (n: number) => Math.round(n);

const loadAtStart = os.loadavg().map((x) => Math.round(x * 10) / 10);
const world = await openBenchWorld({ pool: 6, env: { LOG_LEVEL: 'silent' } });
try {
  const { deps } = world;
  const app = await buildApp(deps, { revocations: false });
  await app.ready();
  const sup = await createUser(deps, { roles: ['SUPPORT_SUPERVISOR'] });

  const valid = new Set<string>();
  while (valid.size < ROWS) valid.add(generateOib());
  const oibs = [...valid];
  const lines = ['oib,first_name,last_name,date_of_birth,notes'];
  oibs.forEach((oib, i) => {
    const bad = i % 100 === 7; // 1 %: a wrong check digit
    const shown = bad ? oib.slice(0, 10) + String((Number(oib[10]) + 1) % 10) : oib;
    lines.push(
      `${shown},Ime${i},Prezime${i},1990-01-${String((i % 28) + 1).padStart(2, '0')},MUP ${i}`,
    );
    if (i % 100 === 42) lines.push(`${oib},Ime${i},Ponovljeni,,`); // 1 %: a repeated line
  });
  const csv = `${lines.join('\n')}\n`;
  log(`${lines.length - 1} lines, ${(csv.length / 2 ** 20).toFixed(1)} MiB`);

  const post = async (body: string) => {
    const t0 = performance.now();
    const res = await app.inject({
      method: 'POST',
      url: '/admin/blacklist/import',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${sup.token}` },
      payload: body,
    });
    const ms = performance.now() - t0;
    if (res.statusCode >= 300)
      throw new Error(`import: ${res.statusCode} ${res.body.slice(0, 500)}`);
    return { ms, body: res.json() as Record<string, number | boolean | unknown[]> };
  };

  const first = await post(csv);
  log(
    `import ${first.ms.toFixed(0)} ms: ${JSON.stringify({ imported: first.body.imported, duplicates: first.body.duplicates, failed: first.body.failed })}`,
  );
  const count = async () =>
    Number(
      (await sql<{ n: string }>`SELECT count(*) AS n FROM blacklist`.execute(deps.db)).rows[0]!.n,
    );
  const afterFirst = await count();
  const replay = await post(csv);
  const overlapCsv = `oib,first_name,last_name\n${oibs.map((o, i) => `${o},X${i},Y${i}`).join('\n')}\n`;
  const overlap = await post(overlapCsv);
  const afterAll = await count();
  log(
    `replay ${replay.ms.toFixed(0)} ms, overlap ${overlap.ms.toFixed(0)} ms (${overlap.body.duplicates} duplicates), entries ${afterFirst} → ${afterAll}`,
  );

  // The floor: the same rows, already encrypted, in one statement into an empty copy.
  const pii = getPiiCipher(deps.config);
  const c0 = performance.now();
  const rows = oibs.map((oib, i) => ({
    enc: pii.encrypt(oib),
    bi: pii.blindIndex(oib),
    last4: oib.slice(-4),
    first: `Ime${i}`,
    last: `Prezime${i}`,
  }));
  const cryptoMs = performance.now() - c0;
  await sql`CREATE TABLE blacklist_floor (LIKE blacklist INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`.execute(
    deps.db,
  );
  const f0 = performance.now();
  await sql`
    INSERT INTO blacklist_floor (oib_encrypted, oib_blind_index, oib_last4, first_name, last_name, source)
    SELECT x.e, x.b, x.l4, x.f, x.l, 'IMPORT'
      FROM unnest(${rows.map((r) => r.enc)}::text[], ${rows.map((r) => r.bi)}::text[],
                  ${rows.map((r) => r.last4)}::text[], ${rows.map((r) => r.first)}::text[],
                  ${rows.map((r) => r.last)}::text[]) AS x(e, b, l4, f, l)`.execute(deps.db);
  const floorMs = performance.now() - f0;

  // The same rows into the blacklist table itself, with its foreign keys (created_by,
  // import_batch_id) and indexes but nothing else, rolled back: the table's own cost.
  const others = new Set<string>();
  while (others.size < rows.length) {
    const oib = generateOib();
    if (!valid.has(oib)) others.add(oib);
  }
  const otherRows = [...others].map((oib) => ({ enc: pii.encrypt(oib), bi: pii.blindIndex(oib) }));
  const batchId = String(first.body.batch_id);
  let tableMs = 0;
  await deps.db
    .transaction()
    .execute(async (trx) => {
      const t0 = performance.now();
      await sql`
        INSERT INTO blacklist (oib_encrypted, oib_blind_index, oib_last4, first_name, last_name,
                               source, created_by, import_batch_id)
        SELECT x.e, x.b, right(x.b, 4), x.f, x.l, 'IMPORT', ${sup.id}::uuid, ${batchId}::uuid
          FROM unnest(${otherRows.map((r) => r.enc)}::text[], ${otherRows.map((r) => r.bi)}::text[],
                      ${rows.map((r) => r.first)}::text[], ${rows.map((r) => r.last)}::text[]) AS x(e, b, f, l)`.execute(
        trx,
      );
      tableMs = performance.now() - t0;
      throw new Error('rollback');
    })
    .catch((err: Error) => {
      if (err.message !== 'rollback') throw err;
    });
  await app.close();

  const importedRows = Number(first.body.imported);
  const result = {
    load_average_1_5_15: {
      start: loadAtStart,
      end: os.loadavg().map((x) => Math.round(x * 10) / 10),
    },
    cpus: os.cpus().length,
    rows_in_file: lines.length - 1,
    csv_bytes: csv.length,
    import: {
      ms: round(first.ms),
      imported: first.body.imported,
      duplicates: first.body.duplicates,
      failed: first.body.failed,
      rows_per_s: round(((lines.length - 1) / first.ms) * 1000),
    },
    replay: {
      ms: round(replay.ms),
      replayed: replay.body.replayed,
      entries_changed: afterAll - afterFirst - Number(overlap.body.imported),
    },
    overlap: {
      ms: round(overlap.ms),
      imported: overlap.body.imported,
      duplicates: overlap.body.duplicates,
      rows_per_s: round((oibs.length / overlap.ms) * 1000),
    },
    floor: {
      ms: round(floorMs),
      rows: importedRows,
      rows_per_s: round((importedRows / floorMs) * 1000),
    },
    floor_blacklist_table: {
      ms: round(tableMs),
      rows_per_s: round((importedRows / tableMs) * 1000),
      note: 'the same INSERT into blacklist itself (foreign keys, indexes), rolled back',
    },
    floor_with_crypto: {
      ms: round(floorMs + cryptoMs),
      rows_per_s: round((importedRows / (floorMs + cryptoMs)) * 1000),
    },
    import_to_floor_ratio: Math.round((first.ms / floorMs) * 100) / 100,
    import_to_floor_with_crypto_ratio: Math.round((first.ms / (floorMs + cryptoMs)) * 100) / 100,
    import_to_table_floor_with_crypto_ratio:
      Math.round((first.ms / (tableMs + cryptoMs)) * 100) / 100,
    entries: { after_import: afterFirst, after_replay_and_overlap: afterAll },
  };
  const file = await writeResult('blacklist-import', result);
  console.log(JSON.stringify(result, null, 2));
  log(`wrote ${file}`);
} finally {
  await world.close();
}
