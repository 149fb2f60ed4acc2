import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeReportReaders } from '../../src/modules/reports/report-reader.ts';
import { reportJobs } from '../../src/modules/reports/reports.jobs.ts';
import { createDatabase as openDatabase } from '../../src/platform/db/database.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import {
  TEST_DB_PREFIX,
  createDatabase,
  databaseUrl,
  dropDatabase,
  randomSuffix,
} from '../harness/databases.ts';
import { waitFor } from '../harness/wait.ts';
import { createSale, useStripeTestContext, type SaleFixture } from '../sales/helpers.ts';
import { buy } from './helpers.ts';

/**
 * DATABASE_REPLICA_URL: a second database stands in for the read replica. It gets a
 * snapshot of the primary's rows (as a lagging replica would have them); sales after the
 * snapshot exist only on the primary. Reports must show the replica's figures, and the
 * export's own row must still be written on the primary.
 */
const replicaName = `${TEST_DB_PREFIX}${Date.now()}_${randomSuffix()}_replica`;
await createDatabase(replicaName, inject('templateDatabase'));
const replica = openDatabase(databaseUrl(replicaName), 2);
afterAll(async () => {
  await closeReportReaders();
  await replica.close();
  await dropDatabase(replicaName);
});

const { t, stripe } = await useStripeTestContext({
  env: { DATABASE_REPLICA_URL: databaseUrl(replicaName) },
});

/** Copies every row of the primary's public tables into the replica (FK checks off). */
async function snapshotToReplica() {
  const { rows: tables } = await sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`.execute(t.deps.db);
  await replica.db.connection().execute(async (c) => {
    await sql`SET session_replication_role = replica`.execute(c);
    await sql`TRUNCATE ${sql.join(tables.map((x) => sql.table(x.name)))}`.execute(c);
    for (const { name } of tables) {
      const { rows } = await sql<{ data: unknown[] | null }>`
        SELECT json_agg(x) AS data FROM ${sql.table(name)} x`.execute(t.deps.db);
      if (!rows[0]?.data) continue;
      await sql`INSERT INTO ${sql.table(name)} OVERRIDING SYSTEM VALUE
                SELECT * FROM json_populate_recordset(NULL::${sql.table(name)}, ${JSON.stringify(rows[0].data)}::json)`.execute(
        c,
      );
    }
    await sql`SET session_replication_role = origin`.execute(c);
  });
}

let sale: SaleFixture;
let finance: TestUser;

beforeAll(async () => {
  finance = await createUser(t.deps, { roles: ['FINANCE'] });
  sale = await createSale(t.deps);
  await buy(t, stripe, sale, 2);
  await snapshotToReplica();
  // Sold after the snapshot: on the primary only.
  await buy(t, stripe, sale, 3);
}, 60_000);

describe('reports read the replica when DATABASE_REPLICA_URL is set (E14-F1)', () => {
  it('shows the replica figures, not the primary', async () => {
    const res = await t.request({
      method: 'GET',
      url: `/admin/reports/sales?match_id=${sale.matchId}`,
      token: finance.token,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().totals.tickets).toBe(2);
    const primary = await t.deps.db
      .selectFrom('tickets')
      .select((e) => e.fn.countAll<number>().as('n'))
      .where('match_id', '=', sale.matchId)
      .executeTakeFirstOrThrow();
    expect(Number(primary.n)).toBe(5);
  });

  it('streams the export from the replica and records the job on the primary', async () => {
    await t.startWorker(reportJobs(t.deps));
    const res = await t.request({
      method: 'POST',
      url: '/admin/reports/sales/export',
      token: finance.token,
      payload: { report_type: 'SALES', match_id: sale.matchId },
    });
    expect(res.statusCode).toBe(202);
    const id = res.json().id as string;
    await waitFor(async () => {
      const row = await t.deps.db
        .selectFrom('report_export_jobs')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirst();
      return row?.status === 'COMPLETED';
    });
    const job = await t.deps.db
      .selectFrom('report_export_jobs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(Number(job.row_count)).toBe(2);
    expect(
      await replica.db.selectFrom('report_export_jobs').select('id').where('id', '=', id).execute(),
    ).toEqual([]);
  });

  it('a match only the primary has yet is unknown to the reports', async () => {
    const fresh = await createSale(t.deps);
    const res = await t.request({
      method: 'GET',
      url: `/admin/reports/sales?match_id=${fresh.matchId}`,
      token: finance.token,
    });
    expect(res.json().code).toBe('MATCH_NOT_FOUND');
  });
});
