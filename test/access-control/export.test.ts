import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { EXPORT_FILE_NAME } from '../../src/modules/access-control/access-control.rules.ts';
import { barcodesForNewTickets } from '../../src/modules/access-control/extra-codes.service.ts';
import { isValidBarcode } from '../../src/modules/tickets/ticket-codes.ts';
import { createLockedMatch } from '../factories/matches.ts';
import { issueTickets } from '../factories/tickets.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { tool } from '../harness/tools.ts';
import { waitFor } from '../harness/wait.ts';
import {
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  useStripeTestContext,
} from '../sales/helpers.ts';

const { t, stripe } = await useStripeTestContext({ env: { ACCESS_CONTROL_EXTRA_CODES: '50' } });

let manager: TestUser;
const admin = async () => (manager ??= await createUser(t.deps, { roles: ['MATCH_MANAGER'] }));

async function exportOf(matchId: string, query = '') {
  return t.request({
    method: 'GET',
    url: `/admin/matches/${matchId}/access-control-export${query}`,
    token: (await admin()).token,
  });
}

/** The barcodes of the first worksheet, read with the npm reader, and its column count. */
async function readWorkbook(bytes: Buffer) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  expect(workbook.worksheets).toHaveLength(1);
  const sheet = workbook.worksheets[0]!;
  const rows: unknown[][] = [];
  sheet.eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
  return { header: rows[0], values: rows.slice(1), columns: sheet.actualColumnCount };
}

async function validBarcodes(matchId: string) {
  const rows = await t.deps.db
    .selectFrom('tickets')
    .select('barcode')
    .where('match_id', '=', matchId)
    .where('status', 'in', ['SOLD', 'ATTENDED'])
    .execute();
  return rows.map((r) => r.barcode);
}

async function unusedExtras(matchId: string) {
  const rows = await t.deps.db
    .selectFrom('extra_barcodes')
    .select('barcode')
    .where('match_id', '=', matchId)
    .where('is_used', '=', false)
    .execute();
  return rows.map((r) => r.barcode);
}

async function soldMatch(count: number, status: 'PUBLISHED' | 'ACTIVE' = 'ACTIVE') {
  const match = await createLockedMatch(t.deps, { status, rows: 4, seatsPerRow: 10 });
  const buyer = await createFan(t.deps);
  const tickets = await issueTickets(t.deps, { matchId: match.matchId, buyerId: buyer.id, count });
  return { matchId: match.matchId, tickets };
}

describe('turnstile export (E2-F8, E13-F1)', () => {
  it('returns an .xlsx of one barcode column: every valid ticket plus the extra codes, no PII', async () => {
    t.clock.set('2026-12-04T19:05:00Z');
    const { matchId, tickets } = await soldMatch(12);
    // not valid any more: a cancelled and a refunded ticket are not exported
    await sql`UPDATE tickets SET status = 'CANCELLED' WHERE id = ${tickets[0]!.id}`.execute(
      t.deps.db,
    );
    await sql`UPDATE tickets SET status = 'REFUNDED' WHERE id = ${tickets[1]!.id}`.execute(
      t.deps.db,
    );

    const res = await exportOf(matchId);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    // MatchID_TicketExport_YYYYMMDD_HHMM.xlsx in Croatian time (20:05 CET)
    const fileName = `${matchId}_TicketExport_20261204_2005.xlsx`;
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${fileName}"`);
    expect(fileName).toMatch(EXPORT_FILE_NAME);

    const { header, values, columns } = await readWorkbook(res.rawPayload);
    expect(header).toEqual(['barcode']);
    expect(columns).toBe(1);
    const exported = values.map((v) => {
      expect(v).toHaveLength(1);
      expect(typeof v[0]).toBe('string'); // text cells: 18 digits survive
      return v[0] as string;
    });
    // no personal data: nothing but valid barcodes, each once
    for (const b of exported) expect(isValidBarcode(b)).toBe(true);
    expect(new Set(exported).size).toBe(exported.length);

    const valid = await validBarcodes(matchId);
    expect(valid).toHaveLength(10);
    const extras = await unusedExtras(matchId);
    expect(extras).toHaveLength(50); // ACCESS_CONTROL_EXTRA_CODES
    expect(exported.sort()).toEqual([...valid, ...extras].sort());
    expect(exported).not.toContain(tickets[0]!.barcode);
    expect(exported).not.toContain(tickets[1]!.barcode);
    // export count > sold tickets
    expect(exported.length).toBeGreaterThan(valid.length);

    // logged (E13-F1)
    const logs = await t.deps.db
      .selectFrom('barcode_export_logs')
      .selectAll()
      .where('match_id', '=', matchId)
      .execute();
    expect(logs).toEqual([
      expect.objectContaining({
        file_name: fileName,
        total_barcodes: 60,
        extra_barcodes: 50,
        exported_by: (await admin()).id,
      }),
    ]);
    expect(res.headers['x-export-id']).toBe(logs[0]!.id);
  });

  it('is read by LibreOffice: soffice --convert-to csv gives the barcodes of the database', async () => {
    const soffice = tool('soffice', 'libreoffice');
    if (!soffice) return; // the cross-check runs where LibreOffice is installed (always in CI)
    const { matchId } = await soldMatch(25);
    const res = await exportOf(matchId, '?extra_codes=15');
    expect(res.statusCode).toBe(200);
    const dir = await mkdtemp(join(tmpdir(), 'hns-export-'));
    try {
      const xlsx = join(dir, 'export.xlsx');
      await writeFile(xlsx, res.rawPayload);
      await promisify(execFile)(
        soffice,
        [
          `-env:UserInstallation=file://${join(dir, 'profile')}`,
          '--headless',
          '--convert-to',
          'csv',
          '--outdir',
          dir,
          xlsx,
        ],
        { timeout: 110_000 },
      );
      const lines = (await readFile(join(dir, 'export.csv'), 'utf8')).trim().split(/\r?\n/);
      expect(lines[0]).toBe('barcode');
      const expected = [...(await validBarcodes(matchId)), ...(await unusedExtras(matchId))];
      expect(lines.slice(1).sort()).toEqual(expected.sort());
      expect(lines.length - 1).toBe(40);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('names the file in Croatian summer time, and counts the extra codes as configured', async () => {
    t.clock.set('2026-07-10T18:59:30Z');
    const { matchId } = await soldMatch(3, 'PUBLISHED');
    const res = await exportOf(matchId, '?extra_codes=7');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="${matchId}_TicketExport_20260710_2059.xlsx"`,
    );
    expect((await readWorkbook(res.rawPayload)).values).toHaveLength(10);
  });

  it('keeps the extra codes reserved: a re-export tops up the unused ones, all unique', async () => {
    const { matchId } = await soldMatch(5);
    expect((await exportOf(matchId, '?extra_codes=20')).statusCode).toBe(200);
    const first = await unusedExtras(matchId);
    // the same codes again, and more when more are asked for
    const again = await exportOf(matchId, '?extra_codes=20');
    expect(await unusedExtras(matchId)).toEqual(expect.arrayContaining(first));
    expect((await unusedExtras(matchId)).length).toBe(20);
    expect((await readWorkbook(again.rawPayload)).values).toHaveLength(25);
    await exportOf(matchId, '?extra_codes=30');
    const more = await unusedExtras(matchId);
    expect(more).toHaveLength(30);
    expect(more).toEqual(expect.arrayContaining(first));
    // unique across the tickets and extras of the match (and every other code)
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM (
        SELECT barcode FROM tickets UNION ALL SELECT barcode FROM extra_barcodes
      ) x GROUP BY barcode HAVING count(*) > 1`.execute(t.deps.db);
    expect(rows).toEqual([]);
    expect(
      await t.deps.db
        .selectFrom('barcode_export_logs')
        .select('id')
        .where('match_id', '=', matchId)
        .execute(),
    ).toHaveLength(3);
  });

  it('refuses matches without gates (409), unknown matches (404) and bad parameters (400)', async () => {
    const draft = await createLockedMatch(t.deps);
    const refused = await exportOf(draft.matchId);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'MATCH_NOT_EXPORTABLE', match_status: 'DRAFT' });
    expect((await exportOf('00000000-0000-4000-8000-000000000000')).json().code).toBe('NOT_FOUND');
    expect((await exportOf('not-a-uuid')).statusCode).toBe(400);
    for (const q of ['?extra_codes=-1', '?extra_codes=20001', '?extra_codes=abc', '?other=1']) {
      const bad = await exportOf(draft.matchId, q);
      expect(bad.statusCode, q).toBe(400);
      expect(bad.json().code).toBe('VALIDATION_FAILED');
    }
    // nothing was logged or reserved for the refused calls
    const { rows } = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM extra_barcodes WHERE match_id = ${draft.matchId})::int
           + (SELECT count(*) FROM barcode_export_logs WHERE match_id = ${draft.matchId})::int AS n`.execute(
      t.deps.db,
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('is for match managers: 401 anonymous, 403 for a fan or support, 200 for a super admin', async () => {
    const { matchId } = await soldMatch(1);
    const url = `/admin/matches/${matchId}/access-control-export`;
    expect((await t.request({ method: 'GET', url })).statusCode).toBe(401);
    const fan = await createFan(t.deps);
    expect((await t.request({ method: 'GET', url, token: fan.token })).statusCode).toBe(403);
    const support = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    expect((await t.request({ method: 'GET', url, token: support.token })).statusCode).toBe(403);
    const status = `${url}/status`;
    expect((await t.request({ method: 'GET', url: status, token: fan.token })).statusCode).toBe(
      403,
    );
    const token = (await admin()).token;
    const unknown =
      '/admin/matches/00000000-0000-4000-8000-000000000000/access-control-export/status';
    expect((await t.request({ method: 'GET', url: unknown, token })).statusCode).toBe(404);
    const badId = '/admin/matches/nope/access-control-export/status';
    expect((await t.request({ method: 'GET', url: badId, token })).statusCode).toBe(400);
    const root = await createUser(t.deps, { roles: ['SUPER_ADMIN'] });
    expect((await t.request({ method: 'GET', url, token: root.token })).statusCode).toBe(200);
  });
});

describe('the streamed export (E2-F8)', () => {
  // This file (≈330 KB) fits in the socket buffers, so it does not reach the wait for a
  // slow reader (drained() in export.service.ts); it checks the client leaving early.
  it('leaves no transaction open when the client goes away after the first bytes', async () => {
    const { matchId } = await soldMatch(30);
    const app = await t.newApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const abort = new AbortController();
    const res = await fetch(
      `http://127.0.0.1:${port}/admin/matches/${matchId}/access-control-export?extra_codes=20000`,
      { headers: { authorization: `Bearer ${(await admin()).token}` }, signal: abort.signal },
    );
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false); // the first bytes arrive while it streams
    abort.abort();
    // no connection of this database is left inside the export's transaction
    const inTransaction = async () => {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND state IN ('idle in transaction', 'active')`.execute(t.deps.db);
      return rows[0]!.n;
    };
    await waitFor(async () => (await inTransaction()) === 0, { timeoutMs: 15_000 });
    // and the app still answers exports
    expect((await exportOf(matchId, '?extra_codes=0')).statusCode).toBe(200);
  });
});

describe('extra codes in use (E2-F8)', () => {
  async function statusOf(matchId: string) {
    const res = await t.request({
      method: 'GET',
      url: `/admin/matches/${matchId}/access-control-export/status`,
      token: (await admin()).token,
    });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  it('gives a ticket sold after the export an extra code, and a transfer after it another', async () => {
    t.clock.set('2026-06-01T10:00:00Z');
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    expect((await exportOf(sale.matchId, '?extra_codes=3')).statusCode).toBe(200);
    const exported = await unusedExtras(sale.matchId);

    // a late sale, through the payment webhook
    const fan = await createFan(t.deps);
    const { payment } = await checkoutToPayment(t, fan, sale, 1);
    expect((await deliver(t, stripe, stripe.succeed(payment.payment_intent_id))).statusCode).toBe(
      200,
    );
    const ticket = await t.deps.db
      .selectFrom('tickets')
      .select(['id', 'barcode'])
      .where('match_id', '=', sale.matchId)
      .executeTakeFirstOrThrow();
    expect(exported).toContain(ticket.barcode);
    const used = await t.deps.db
      .selectFrom('extra_barcodes')
      .selectAll()
      .where('barcode', '=', ticket.barcode)
      .executeTakeFirstOrThrow();
    expect(used).toMatchObject({ is_used: true, assigned_ticket_id: ticket.id });
    expect(used.used_at).toEqual(t.clock.now());

    // a transfer re-issues the barcode: the next extra code
    const friend = await createFan(t.deps);
    const moved = await t.request({
      method: 'POST',
      url: `/tickets/${ticket.id}/transfer`,
      token: fan.token,
      payload: {
        full_name: 'Petra Perić',
        oib: friend.oib,
        email: friend.email,
        date_of_birth: '1992-02-02',
        nationality: 'HR',
      },
    });
    expect(moved.statusCode).toBe(200);
    const after = await t.deps.db
      .selectFrom('tickets')
      .select('barcode')
      .where('id', '=', ticket.id)
      .executeTakeFirstOrThrow();
    expect(after.barcode).not.toBe(ticket.barcode);
    expect(exported).toContain(after.barcode);
    expect(await unusedExtras(sale.matchId)).toHaveLength(1);
    expect((await statusOf(sale.matchId)).warnings).toEqual([]);
  });

  it('falls back to a normal barcode when the extras run out, and warns that a new export is needed', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    expect((await exportOf(sale.matchId, '?extra_codes=1')).statusCode).toBe(200);
    const fan = await createFan(t.deps);
    const { payment } = await checkoutToPayment(t, fan, sale, 2);
    expect((await deliver(t, stripe, stripe.succeed(payment.payment_intent_id))).statusCode).toBe(
      200,
    );
    const tickets = await t.deps.db
      .selectFrom('tickets')
      .select(['id', 'barcode'])
      .where('match_id', '=', sale.matchId)
      .execute();
    expect(tickets).toHaveLength(2);
    for (const tk of tickets) expect(isValidBarcode(tk.barcode)).toBe(true);
    const fromExtra = await t.deps.db
      .selectFrom('extra_barcodes')
      .select('assigned_ticket_id')
      .where('match_id', '=', sale.matchId)
      .where('is_used', '=', true)
      .execute();
    expect(fromExtra).toHaveLength(1);
    const fallback = tickets.find((tk) => tk.id !== fromExtra[0]!.assigned_ticket_id)!;

    const warned = await statusOf(sale.matchId);
    expect(warned.extra_codes).toEqual({ total: 1, used: 1, unused: 0 });
    expect(warned.unexported_tickets).toEqual([
      { ticket_id: fallback.id, issued_at: expect.any(String) },
    ]);
    expect(warned.warnings.map((w: { code: string }) => w.code)).toEqual([
      'NEW_EXPORT_NEEDED',
      'EXTRA_CODES_EXHAUSTED',
    ]);

    // the new export hands the fallback barcode to the gates and ends the warning
    const again = await exportOf(sale.matchId, '?extra_codes=2');
    expect((await readWorkbook(again.rawPayload)).values.flat()).toContain(fallback.barcode);
    const resolved = await statusOf(sale.matchId);
    expect(resolved.warnings).toEqual([]);
    expect(resolved.exports).toHaveLength(2);
  });

  it('gives concurrent late tickets distinct extra codes, each to one ticket', async () => {
    const { matchId } = await soldMatch(1);
    expect((await exportOf(matchId, '?extra_codes=10')).statusCode).toBe(200);
    const results = await Promise.all(
      Array.from({ length: 16 }, () =>
        t.deps.db.transaction().execute(async (trx) => {
          const [ticket] = await issueTicketsIn(trx, matchId);
          const codes = await barcodesForNewTickets(
            t.deps,
            trx,
            matchId,
            [ticket!],
            () => 'normal',
          );
          await sql`UPDATE tickets SET barcode = ${codes.get(ticket!)!} WHERE id = ${ticket!}
                     AND ${codes.get(ticket!)!} <> 'normal'`.execute(trx);
          return codes.get(ticket!)!;
        }),
      ),
    );
    const extras = results.filter((b) => b !== 'normal');
    expect(extras).toHaveLength(10);
    expect(new Set(extras).size).toBe(10);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM access_control_fallbacks WHERE match_id = ${matchId}`.execute(
      t.deps.db,
    );
    expect(rows[0]!.n).toBe(6);
  });
});

/** A ticket row of the match inserted in `trx` (the seat of the concurrency test). */
async function issueTicketsIn(trx: Parameters<typeof barcodesForNewTickets>[1], matchId: string) {
  const { rows } = await sql<{ id: string }>`
    WITH seat AS (
      UPDATE match_seat_inventory SET status = 'SOLD'
       WHERE id = (SELECT id FROM match_seat_inventory
                    WHERE match_id = ${matchId} AND status = 'AVAILABLE'
                    ORDER BY snake_order LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING id
    ),
    o AS (SELECT order_id, owner_user_id FROM tickets WHERE match_id = ${matchId} LIMIT 1)
    INSERT INTO tickets (order_id, match_id, match_seat_inventory_id, owner_user_id, barcode,
                         qr_code_data, price_amount, fee_amount)
    SELECT o.order_id, ${matchId}, seat.id, o.owner_user_id,
           lpad((random() * 1e17)::bigint::text, 18, '9'), 'test', 2500, 0
      FROM seat, o
    RETURNING id`.execute(trx);
  return rows.map((r) => r.id);
}
