import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDownloadToken } from '../../src/modules/reports/download-token.ts';
import { runExport, writeExport } from '../../src/modules/reports/exports.service.ts';
import {
  copyCsvStatement,
  csvEuros,
  csvInstant,
  csvText,
  csvYesNo,
} from '../../src/modules/reports/exports.repo.ts';
import { to as copyTo } from 'pg-copy-streams';
import { localFileStore } from '../../src/platform/files/file-store.ts';
import { reportJobs } from '../../src/modules/reports/reports.jobs.ts';
import { createQuota } from '../factories/quotas.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { waitFor } from '../harness/wait.ts';
import { createSale, useStripeTestContext, type SaleFixture } from '../sales/helpers.ts';
import { buy, soldFromDb } from './helpers.ts';

const dir = await mkdtemp(path.join(tmpdir(), 'hns-exports-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const { t, stripe } = await useStripeTestContext({ env: { FILE_STORE_DIR: dir } });

let sale: SaleFixture;
let finance: TestUser;

beforeAll(async () => {
  finance = await createUser(t.deps, { roles: ['FINANCE'] });
  sale = await createSale(t.deps, { sectors: 2 });
  for (let i = 0; i < 3; i++) await buy(t, stripe, sale, 2);
  await buy(t, stripe, sale, 1, sale.zoneIds[1]);
  await t.startWorker(reportJobs(t.deps));
}, 60_000);

const start = (body: Record<string, unknown>, token = finance.token) =>
  t.request({ method: 'POST', url: '/admin/reports/sales/export', token, payload: body });

async function finished(id: string, token = finance.token) {
  let view: Record<string, unknown> = {};
  await waitFor(
    async () => {
      view = (
        await t.request({ method: 'GET', url: `/admin/reports/exports/${id}`, token })
      ).json();
      return view.status === 'COMPLETED' || view.status === 'FAILED';
    },
    { what: `export ${id} finished` },
  );
  return view as { status: string; download_url: string; row_count: number; file_bytes: number };
}

const download = (url: string, token?: string) =>
  t.request({ method: 'GET', url: url.replace(t.config.PUBLIC_BASE_URL, ''), token });

describe('report exports (E14-F1)', () => {
  it('runs the export job: a CSV of every line in the file store, the admin told by email and push', async () => {
    const res = await start({ report_type: 'SALES', match_id: sale.matchId });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({
      report_type: 'SALES',
      status: 'PENDING',
      download_url: null,
    });
    const job = await finished(res.json().id);
    expect(job.status).toBe('COMPLETED');
    const db = await soldFromDb(t, sale.matchId);
    expect(job.row_count).toBe(db.tickets);

    const file = await download(job.download_url, finance.token);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toContain('text/csv');
    expect(Number(file.headers['content-length'])).toBe(job.file_bytes);
    const rows = parse(file.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(db.tickets);
    const cents = rows.reduce((n, r) => n + Math.round(Number(r.total_eur) * 100), 0);
    expect(cents).toBe(db.paid);
    expect(new Set(rows.map((r) => r.sector_code))).toEqual(new Set(['S1', 'S2']));

    // Notified: the report_export_ready email and a push, both with the link.
    const email = await t.deps.db
      .selectFrom('email_logs')
      .selectAll()
      .where('template_key', '=', 'report_export_ready')
      .where('recipient_email', '=', finance.email)
      .executeTakeFirstOrThrow();
    const vars = email.variables_json as Record<string, string>;
    expect(vars.download_url).toContain(`/admin/reports/exports/${res.json().id}/download?token=`);
    expect(vars.report_name).toContain(`${db.tickets} rows`);
    const push = await t.deps.db
      .selectFrom('push_logs')
      .selectAll()
      .where('user_id', '=', finance.id)
      .where('notification_type', '=', 'report_export_ready')
      .executeTakeFirstOrThrow();
    expect((push.data_json as Record<string, string>).export_id).toBe(res.json().id);
    // The emailed link opens the same file.
    expect((await download(vars.download_url, finance.token)).body).toBe(file.body);

    // A re-delivered job of a completed export writes nothing and tells nobody again.
    await runExport(t.deps, res.json().id);
    const emails = await t.deps.db
      .selectFrom('email_logs')
      .select('id')
      .where('template_key', '=', 'report_export_ready')
      .where('recipient_email', '=', finance.email)
      .execute();
    expect(emails).toHaveLength(1);
  });

  it('marks an export that could not be written FAILED, with no file and no notice', async () => {
    const job = await t.deps.db
      .transaction()
      .execute((trx) =>
        trx
          .insertInto('report_export_jobs')
          .values({ report_type: 'SALES', requested_by: finance.id, requested_role: 'FINANCE' })
          .returning('id')
          .executeTakeFirstOrThrow(),
      );
    const broken = { ...t.deps, config: { ...t.config, FILE_STORE_DIR: '/dev/null/exports' } };
    await expect(runExport(broken, job.id)).rejects.toThrow();
    const row = await t.deps.db
      .selectFrom('report_export_jobs')
      .selectAll()
      .where('id', '=', job.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'FAILED', file_url: null, completed_at: null });
    expect(row.error_message).toMatch(/ENOTDIR|EEXIST|ENOENT/);
    const pushes = await t.deps.db
      .selectFrom('push_logs')
      .select('id')
      .where('data_json', '@>', JSON.stringify({ export_id: job.id }))
      .execute();
    expect(pushes).toEqual([]);
  });

  it('exports FINANCIAL: one line per payment', async () => {
    const res = await start({ report_type: 'FINANCIAL', match_id: sale.matchId });
    expect(res.statusCode).toBe(202);
    const job = await finished(res.json().id);
    const rows = parse((await download(job.download_url, finance.token)).body, {
      columns: true,
    }) as Record<string, string>[];
    const payments = await t.deps.db
      .selectFrom('payments')
      .innerJoin('orders', 'orders.id', 'payments.order_id')
      .select(['payments.id', 'payments.amount'])
      .where('orders.match_id', '=', sale.matchId)
      .execute();
    expect(rows.map((r) => r.payment_id).sort()).toEqual(payments.map((p) => p.id).sort());
    expect(rows.every((r) => r.payment_status === 'SUCCEEDED')).toBe(true);
  });

  it('opens the download only for the requester or their role, and only until the link expires', async () => {
    const res = await start({ report_type: 'SALES', match_id: sale.matchId, sector: 'S2' });
    const job = await finished(res.json().id);
    expect(job.row_count).toBe(1);
    const colleague = await createUser(t.deps, { roles: ['FINANCE'] });
    const manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
    const fan = await createUser(t.deps);
    expect((await download(job.download_url, colleague.token)).statusCode).toBe(200);
    expect((await download(job.download_url, manager.token)).json().code).toBe('NOT_FOUND');
    // Someone else's login with the link: as for a missing export.
    expect((await download(job.download_url, fan.token)).json().code).toBe('NOT_FOUND');
    // The link alone opens for its requester (the emailed link in a browser).
    expect((await download(job.download_url)).statusCode).toBe(200);
    // A token of another export, a forged one, none: refused.
    const other = await finished((await start({ report_type: 'SALES' })).json().id);
    const otherToken = new URL(other.download_url).searchParams.get('token')!;
    const wrong = `/admin/reports/exports/${res.json().id}/download?token=${otherToken}`;
    expect((await download(wrong, finance.token)).json().code).toBe('DOWNLOAD_LINK_INVALID');
    const forged = job.download_url.replace(/.{6}$/, 'AAAAAA');
    expect((await download(forged, finance.token)).json().code).toBe('DOWNLOAD_LINK_INVALID');
    // Past REPORT_DOWNLOAD_TTL_SECONDS the link is dead; asking the status gives a new one.
    t.clock.advance((t.config.REPORT_DOWNLOAD_TTL_SECONDS + 1) * 1000);
    // (Access tokens follow the clock too: a fresh login.)
    finance = { ...finance, token: await t.token(finance.id, ['FINANCE']) };
    manager.token = await t.token(manager.id, ['MATCH_MANAGER']);
    const expired = await download(job.download_url, finance.token);
    expect(expired.statusCode).toBe(403);
    expect(expired.json().code).toBe('DOWNLOAD_LINK_INVALID');
    const again = await finished(res.json().id);
    expect((await download(again.download_url, finance.token)).statusCode).toBe(200);
    // The status is another admin's business only within the role.
    const status = await t.request({
      method: 'GET',
      url: `/admin/reports/exports/${res.json().id}`,
      token: manager.token,
    });
    expect(status.json().code).toBe('NOT_FOUND');
  });

  it('the emailed link opens in a browser without a bearer header, for its requester only, until it expires', async () => {
    const admin = await createUser(t.deps, { roles: ['FINANCE'] });
    const res = await start({ report_type: 'SALES', match_id: sale.matchId }, admin.token);
    const job = await finished(res.json().id, admin.token);
    const email = await t.deps.db
      .selectFrom('email_logs')
      .select('variables_json')
      .where('template_key', '=', 'report_export_ready')
      .where('recipient_email', '=', admin.email)
      .executeTakeFirstOrThrow();
    const link = (email.variables_json as Record<string, string>).download_url!;
    const id = res.json().id as string;

    // As a browser opens it: no Authorization header, no cookie.
    const opened = await download(link);
    expect(opened.statusCode).toBe(200);
    expect(opened.headers['content-type']).toContain('text/csv');
    expect(opened.headers['content-disposition']).toContain(`sales-${id}.csv`);
    expect(opened.headers['cache-control']).toBe('no-store');
    expect(opened.headers['referrer-policy']).toBe('no-referrer');
    expect(parse(opened.body, { columns: true })).toHaveLength(job.row_count);
    // It can be opened again while it lasts (a browser retries a download).
    expect((await download(link)).statusCode).toBe(200);

    const token = new URL(link).searchParams.get('token')!;
    const at = (exportId: string, tk: string) =>
      `/admin/reports/exports/${exportId}/download?token=${encodeURIComponent(tk)}`;
    const refused = async (url: string) => {
      const r = await download(url);
      expect(r.statusCode, url).toBe(403);
      expect(r.json().code).toBe('DOWNLOAD_LINK_INVALID');
    };
    // Another job: the link names its export.
    const other = await finished(
      (await start({ report_type: 'FINANCIAL' }, admin.token)).json().id,
      admin.token,
    );
    await refused(at(other.download_url.match(/exports\/([^/]+)\//)![1]!, token));
    // Tampered: a changed payload (another export id) or signature.
    const [h, p, sig] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const swapped = Buffer.from(JSON.stringify({ ...claims, uid: crypto.randomUUID() })).toString(
      'base64url',
    );
    await refused(at(id, `${h}.${swapped}.${sig}`));
    await refused(at(id, `${h}.${p}.${sig!.slice(0, -4)}AAAA`));
    await refused(at(id, 'not-a-token'));
    // An access token is not a link (another audience), nor is the link an access token.
    await refused(at(id, admin.token));
    const asBearer = await t.request({
      method: 'GET',
      url: `/admin/reports/exports/${id}`,
      token,
    });
    expect(asBearer.statusCode).toBe(401);
    // Another user: a link properly signed for a colleague does not open this export
    // without a login (it is bound to the requester), nor for a stranger with one.
    const colleague = await createUser(t.deps, { roles: ['FINANCE'] });
    const forColleague = await signDownloadToken(t.config, {
      exportId: id,
      userId: colleague.id,
      role: 'FINANCE',
      expiresAt: new Date(t.clock.now().getTime() + 60_000),
    });
    await refused(at(id, forColleague));
    const manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
    expect((await download(link, manager.token)).json().code).toBe('NOT_FOUND');
    // The requester lost the role (or was suspended): the link died with the access.
    await t.deps.db.deleteFrom('user_roles').where('user_id', '=', admin.id).execute();
    await refused(link);
    await t.deps.db
      .insertInto('user_roles')
      .values({ user_id: admin.id, role: 'FINANCE' })
      .execute();
    expect((await download(link)).statusCode).toBe(200);
    await t.deps.db
      .updateTable('users')
      .set({ status: 'suspended' })
      .where('id', '=', admin.id)
      .execute();
    await refused(link);
    await t.deps.db
      .updateTable('users')
      .set({ status: 'active' })
      .where('id', '=', admin.id)
      .execute();
    // Expired: REPORT_DOWNLOAD_TTL_SECONDS after it was signed.
    t.clock.advance(t.config.REPORT_DOWNLOAD_TTL_SECONDS * 1000 - 5_000);
    expect((await download(link)).statusCode).toBe(200);
    t.clock.advance(10_000);
    await refused(link);
    // (Access tokens follow the clock too: a fresh login for the tests after this one.)
    finance = { ...finance, token: await t.token(finance.id, ['FINANCE']) };
  });

  it('the database writes the CSV (COPY): fields quoted, amounts and instants formatted, filters inlined safely', async () => {
    // A holder whose name needs CSV quoting, diacritics and a line break.
    const line = await t.deps.db
      .selectFrom('order_items')
      .innerJoin('orders', 'orders.id', 'order_items.order_id')
      .select(['order_items.id', 'orders.id as order_id'])
      .where('orders.match_id', '=', sale.matchId)
      .orderBy('order_items.id')
      .executeTakeFirstOrThrow();
    const name = 'Đurđa "Mala", Šimić\nml.';
    await t.deps.db
      .updateTable('order_items')
      .set({ holder_full_name: name })
      .where('id', '=', line.id)
      .execute();
    const { rows, bytes } = await writeExport(
      { db: t.deps.db, pool: t.deps.pool },
      localFileStore(dir),
      'SALES',
      { matchId: sale.matchId, from: null, until: null },
      'copy-check.csv',
    );
    const text = await (
      await import('node:fs/promises')
    ).readFile(path.join(dir, 'copy-check.csv'), 'utf8');
    expect(Buffer.byteLength(text)).toBe(bytes);
    const parsed = parse(text, { columns: true }) as Record<string, string>[];
    expect(parsed).toHaveLength(rows);
    const mine = parsed.find((r) => r.holder === name)!;
    expect(mine).toBeDefined();
    const db = await t.deps.db
      .selectFrom('order_items')
      .innerJoin('orders', 'orders.id', 'order_items.order_id')
      .select(['order_items.unit_price', 'order_items.fee_amount', 'orders.completed_at'])
      .where('order_items.id', '=', line.id)
      .executeTakeFirstOrThrow();
    const euros = (c: number) => `${Math.trunc(c / 100)}.${String(c % 100).padStart(2, '0')}`;
    expect(mine.unit_price_eur).toBe(euros(db.unit_price));
    expect(mine.total_eur).toBe(euros(db.unit_price + db.fee_amount));
    expect(mine.sold_at).toBe(db.completed_at!.toISOString());

    // Parameters become literals: quotes, backslashes, dates and arrays arrive intact, and
    // nothing in a value is ever SQL.
    const statement = copyCsvStatement(
      {
        sql: 'SELECT $1::text AS a, $2::timestamptz AS b, $3::text[] AS c, $4::int AS d, $5::boolean AS e',
        parameters: [
          'O\'Brien \\ "x"; DROP TABLE orders; --',
          new Date('2026-12-20T19:05:00.123Z'),
          ['a"b', 'c\\d', 'e,f'],
          7,
          true,
        ],
      },
      [csvText('a'), csvInstant('b', 'b'), csvText('c'), csvEuros('d', 'd'), csvYesNo('e', 'e')],
    );
    const client = await t.deps.pool.connect();
    try {
      const chunks: Buffer[] = [];
      for await (const c of client.query(copyTo(statement))) chunks.push(c as Buffer);
      const [out] = parse(Buffer.concat(chunks).toString(), { columns: true }) as Record<
        string,
        string
      >[];
      expect(out).toEqual({
        a: 'O\'Brien \\ "x"; DROP TABLE orders; --',
        b: '2026-12-20T19:05:00.123Z',
        c: '{"a\\"b","c\\\\d","e,f"}',
        d: '0.07',
        e: 'yes',
      });
    } finally {
      client.release();
    }
  });

  it('exports ATTENDANCE: one line per ticket of the match, attended or not and when (E2-F9)', async () => {
    const tickets = await t.deps.db
      .selectFrom('tickets')
      .select('id')
      .where('match_id', '=', sale.matchId)
      .orderBy('id')
      .execute();
    const scannedAt = new Date('2026-12-20T19:05:00.000Z');
    // Two tickets scanned at the gate, as the closure with the gates' file leaves them.
    await t.deps.db
      .updateTable('tickets')
      .set({ status: 'ATTENDED', attended_at: scannedAt })
      .where(
        'id',
        'in',
        tickets.slice(0, 2).map((x) => x.id),
      )
      .execute();
    const res = await start({ report_type: 'ATTENDANCE', match_id: sale.matchId });
    expect(res.statusCode).toBe(202);
    const job = await finished(res.json().id);
    expect(job.status).toBe('COMPLETED');
    expect(job.row_count).toBe(tickets.length);
    const rows = parse((await download(job.download_url, finance.token)).body, {
      columns: true,
    }) as Record<string, string>[];
    expect(rows.map((r) => r.ticket_id).sort()).toEqual(tickets.map((x) => x.id).sort());
    const attended = rows.filter((r) => r.attended === 'yes');
    expect(attended.map((r) => r.ticket_id).sort()).toEqual(tickets.slice(0, 2).map((x) => x.id));
    expect(new Set(attended.map((r) => r.attended_at))).toEqual(new Set([scannedAt.toISOString()]));
    expect(rows.filter((r) => r.attended === 'no').every((r) => r.attended_at === '')).toBe(true);
    // Only the sales lines have ticket types and sectors.
    const bad = await start({ report_type: 'ATTENDANCE', sector: 'S1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('body.sector');
  });

  it('exports QUOTA_USAGE: one line per quota with its seats by status (E7)', async () => {
    const free = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('id')
      .where('match_id', '=', sale.matchId)
      .where('status', '=', 'AVAILABLE')
      .orderBy('id')
      .limit(5)
      .execute();
    const quota = await createQuota(t.deps.db, {
      matchId: sale.matchId,
      recipientEmail: 'klub@example.hr',
      seats: [
        free[0]!.id,
        free[1]!.id,
        { inventoryId: free[2]!.id, status: 'DELEGATED' },
        { inventoryId: free[3]!.id, status: 'CANCELLED' },
      ],
    });
    const res = await start({ report_type: 'QUOTA_USAGE', match_id: sale.matchId });
    const job = await finished(res.json().id);
    expect(job.status).toBe('COMPLETED');
    const rows = parse((await download(job.download_url, finance.token)).body, {
      columns: true,
    }) as Record<string, string>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      quota_id: quota.quotaId,
      recipient_email: 'klub@example.hr',
      allocated: '2',
      reserved: '0',
      sold: '0',
      delegated: '1',
      cancelled: '1',
    });
  });

  it('answers bad filters with problems and writes no job', async () => {
    const before = await t.deps.db.selectFrom('report_export_jobs').select('id').execute();
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ report_type: 'FINANCIAL', sector: 'S1' }, 400, 'VALIDATION_FAILED'],
      [
        { report_type: 'SALES', date_from: '2026-12-05', date_to: '2026-12-01' },
        400,
        'VALIDATION_FAILED',
      ],
      [{ report_type: 'SALES', match_id: crypto.randomUUID() }, 404, 'MATCH_NOT_FOUND'],
      [{ report_type: 'PDF' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const res = await start(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json().code).toBe(code);
    }
    expect(await t.deps.db.selectFrom('report_export_jobs').select('id').execute()).toHaveLength(
      before.length,
    );
  });

  it('is for finance and match managers only', async () => {
    const fan = await createUser(t.deps);
    const id = crypto.randomUUID();
    for (const [method, url] of [
      ['POST', '/admin/reports/sales/export'],
      ['GET', `/admin/reports/exports/${id}`],
    ] as const) {
      expect((await t.request({ method, url, payload: {} })).statusCode).toBe(401);
      expect((await t.request({ method, url, payload: {}, token: fan.token })).statusCode).toBe(
        403,
      );
    }
    // The download's credential is its signed link: without one, nothing opens.
    for (const token of [undefined, fan.token]) {
      const res = await t.request({
        method: 'GET',
        url: `/admin/reports/exports/${id}/download?token=x`,
        token,
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('DOWNLOAD_LINK_INVALID');
    }
    const manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
    expect((await start({ report_type: 'SALES' }, manager.token)).statusCode).toBe(202);
  });
});
