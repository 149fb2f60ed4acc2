import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { LOYALTY_AWARD_QUEUE } from '../../src/modules/loyalty/award.service.ts';
import { generateBarcode } from '../../src/modules/tickets/ticket-codes.ts';
import { createLockedMatch } from '../factories/matches.ts';
import { issueTickets, type IssuedTicket } from '../factories/tickets.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { createFan, jobsIn } from '../sales/helpers.ts';

const t = useTestContext({
  env: { ATTENDANCE_FILE_MAX_BYTES: '200000', ATTENDANCE_FILE_MAX_ROWS: '500' },
});

const CSV = 'text/csv';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

let manager: TestUser;
const admin = async () => (manager ??= await createUser(t.deps, { roles: ['MATCH_MANAGER'] }));

async function activeMatch(count = 6) {
  const match = await createLockedMatch(t.deps, { status: 'ACTIVE', rows: 2, seatsPerRow: 10 });
  const buyer = await createFan(t.deps);
  const tickets = await issueTickets(t.deps, { matchId: match.matchId, buyerId: buyer.id, count });
  return { matchId: match.matchId, tickets };
}

async function close(
  matchId: string,
  body: { file: string | Buffer; type: string; fileName?: string } | { json: unknown } | null,
  token?: string,
) {
  const url = `/admin/matches/${matchId}/close${
    body && 'file' in body && body.fileName ? `?file_name=${encodeURIComponent(body.fileName)}` : ''
  }`;
  return t.request({
    method: 'POST',
    url,
    token: token ?? (await admin()).token,
    ...(body === null
      ? {}
      : 'json' in body
        ? { payload: body.json as object }
        : { payload: body.file, headers: { 'content-type': body.type } }),
  });
}

async function stateOf(matchId: string) {
  const match = await t.deps.db
    .selectFrom('matches')
    .select(['status', 'closed_at', 'closed_by', 'attendance_mode', 'closure_reason'])
    .where('id', '=', matchId)
    .executeTakeFirstOrThrow();
  const tickets = await t.deps.db
    .selectFrom('tickets')
    .select(['id', 'status', 'attended_at'])
    .where('match_id', '=', matchId)
    .execute();
  const imports = await t.deps.db
    .selectFrom('attendance_imports')
    .selectAll()
    .where('match_id', '=', matchId)
    .execute();
  const jobs = (await jobsIn(t, LOYALTY_AWARD_QUEUE)).filter((j) => j.match_id === matchId);
  return { match, tickets, imports, jobs };
}

/** Nothing was written: still ACTIVE, no ticket ATTENDED, no import, no award queued. */
async function expectUntouched(matchId: string) {
  const s = await stateOf(matchId);
  expect(s.match).toMatchObject({ status: 'ACTIVE', closed_at: null, attendance_mode: null });
  expect(s.tickets.every((tk) => tk.status !== 'ATTENDED' && tk.attended_at === null)).toBe(true);
  expect(s.imports).toEqual([]);
  expect(s.jobs).toEqual([]);
}

const csvOf = (rows: Array<[string, string]>, sep = ',') =>
  ['barcode' + sep + 'scan_time', ...rows.map((r) => r.join(sep))].join('\n');

describe('closure with attendance (E2-F9, E13-F2)', () => {
  it('closes the match, marks scanned tickets ATTENDED and stores the unmatched with their reason', async () => {
    const { matchId, tickets } = await activeMatch(6);
    // a ticket that is no longer valid, and an extra code nobody took
    await sql`UPDATE tickets SET status = 'CANCELLED' WHERE id = ${tickets[5]!.id}`.execute(
      t.deps.db,
    );
    const other = await activeMatch(1);
    const [a, b, c] = tickets as [IssuedTicket, IssuedTicket, IssuedTicket];
    const csv = csvOf([
      [a.barcode, '2026-06-01T18:40:00Z'],
      [b.barcode, '2026-06-01 20:41:10'], // Croatian wall time (CEST): 18:41:10Z
      [a.barcode, '2026-06-01T18:30:00Z'], // a second scan: the first one counts
      [c.barcode, ''], // no time: attended at kick-off
      [tickets[5]!.barcode, '2026-06-01T18:42:00Z'], // cancelled
      [generateBarcode(), '2026-06-01T18:43:00Z'], // unknown
      [other.tickets[0]!.barcode, '2026-06-01T18:44:00Z'], // another match's ticket
      ['12345', '2026-06-01T18:45:00Z'], // not one of our barcodes
      ['', '2026-06-01T18:46:00Z'], // an empty cell
    ]);
    const res = await close(matchId, { file: csv, type: CSV, fileName: 'gates-poljud.csv' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      match_id: matchId,
      status: 'CLOSED',
      attendance_mode: 'WITH_DATA',
      attended_tickets: 3,
      attendance: {
        file_name: 'gates-poljud.csv',
        total_scanned: 9,
        matched_count: 4,
        unmatched_count: 5,
      },
      unmatched_truncated: false,
      loyalty_award_queued: true,
    });
    expect(body.unmatched).toEqual([
      {
        row: 6,
        barcode: tickets[5]!.barcode,
        scan_timestamp: '2026-06-01T18:42:00.000Z',
        reason: 'ALREADY_CANCELLED',
      },
      {
        row: 7,
        barcode: expect.any(String),
        scan_timestamp: '2026-06-01T18:43:00.000Z',
        reason: 'NOT_FOUND',
      },
      {
        row: 8,
        barcode: other.tickets[0]!.barcode,
        scan_timestamp: '2026-06-01T18:44:00.000Z',
        reason: 'NOT_FOUND',
      },
      {
        row: 9,
        barcode: '12345',
        scan_timestamp: '2026-06-01T18:45:00.000Z',
        reason: 'INVALID_FORMAT',
      },
      {
        row: 10,
        barcode: '',
        scan_timestamp: '2026-06-01T18:46:00.000Z',
        reason: 'INVALID_FORMAT',
      },
    ]);

    const s = await stateOf(matchId);
    expect(s.match).toMatchObject({
      status: 'CLOSED',
      closed_by: (await admin()).id,
      attendance_mode: 'WITH_DATA',
    });
    const kickOff = (
      await t.deps.db
        .selectFrom('matches')
        .select('kick_off_time')
        .where('id', '=', matchId)
        .executeTakeFirstOrThrow()
    ).kick_off_time;
    const byId = new Map(s.tickets.map((tk) => [tk.id, tk]));
    expect(byId.get(a.id)).toMatchObject({
      status: 'ATTENDED',
      attended_at: new Date('2026-06-01T18:30:00Z'),
    });
    expect(byId.get(b.id)).toMatchObject({
      status: 'ATTENDED',
      attended_at: new Date('2026-06-01T18:41:10Z'),
    });
    expect(byId.get(c.id)).toMatchObject({ status: 'ATTENDED', attended_at: kickOff });
    expect(byId.get(tickets[3]!.id)).toMatchObject({ status: 'SOLD', attended_at: null });
    expect(byId.get(tickets[5]!.id)!.status).toBe('CANCELLED');
    expect(s.imports).toEqual([
      expect.objectContaining({
        file_name: 'gates-poljud.csv',
        total_scanned: 9,
        matched_count: 4,
        unmatched_count: 5,
        attended_tickets: 3,
        imported_by: (await admin()).id,
      }),
    ]);
    const stored = await t.deps.db
      .selectFrom('attendance_unmatched')
      .select(['row_number', 'reason'])
      .where('import_id', '=', s.imports[0]!.id)
      .orderBy('row_number')
      .execute();
    expect(stored.map((u) => u.reason)).toEqual([
      'ALREADY_CANCELLED',
      'NOT_FOUND',
      'NOT_FOUND',
      'INVALID_FORMAT',
      'INVALID_FORMAT',
    ]);
    // the loyalty award is queued by the same transaction (E6-F3)
    expect(s.jobs).toEqual([{ match_id: matchId }]);
    // the other match is untouched
    expect((await stateOf(other.matchId)).match.status).toBe('ACTIVE');

    // the unmatched list, paginated
    const listed = await t.request({
      method: 'GET',
      url: `/admin/matches/${matchId}/attendance?limit=2&page=2`,
      token: (await admin()).token,
    });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toMatchObject({
      status: 'CLOSED',
      attendance: { total_scanned: 9, attended_tickets: 3 },
      total: 5,
      page: 2,
      unmatched: [{ row: 8 }, { row: 9 }],
    });
  });

  it('reads an .xlsx upload with date cells and text cells (semicolon CSV too)', async () => {
    const { matchId, tickets } = await activeMatch(3);
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Scans');
    sheet.addRow(['Gate', 'Barcode', 'Scan time']);
    // a date cell holds Croatian wall time: 20:10 CEST = 18:10Z
    sheet.addRow(['N1', tickets[0]!.barcode, new Date(Date.UTC(2026, 5, 1, 20, 10, 0))]);
    sheet.addRow(['N2', tickets[1]!.barcode, '2026-06-01T18:11:00+00:00']);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    const res = await close(matchId, { file: bytes, type: XLSX });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      attended_tickets: 2,
      attendance: {
        file_name: 'attendance.xlsx',
        total_scanned: 2,
        matched_count: 2,
        unmatched_count: 0,
      },
    });
    const attended = await t.deps.db
      .selectFrom('tickets')
      .select(['id', 'attended_at'])
      .where('match_id', '=', matchId)
      .where('status', '=', 'ATTENDED')
      .orderBy('attended_at')
      .execute();
    expect(attended.map((r) => r.attended_at)).toEqual([
      new Date('2026-06-01T18:10:00Z'),
      new Date('2026-06-01T18:11:00Z'),
    ]);

    const semi = await activeMatch(2);
    const csv = csvOf([[semi.tickets[1]!.barcode, '1.6.2026. 20:30']], ';');
    const viaCsv = await close(semi.matchId, {
      file: `\uFEFF${csv}`,
      type: 'application/octet-stream',
    });
    expect(viaCsv.statusCode).toBe(200);
    expect(viaCsv.json().attended_tickets).toBe(1);
  });

  it('without attendance data requires a reason, then marks every valid ticket ATTENDED', async () => {
    const { matchId, tickets } = await activeMatch(4);
    await sql`UPDATE tickets SET status = 'REFUNDED' WHERE id = ${tickets[3]!.id}`.execute(
      t.deps.db,
    );
    for (const body of [
      null,
      { json: {} },
      { json: { reason: ' ' } },
      { json: { reason: 'ok', x: 1 } },
    ]) {
      const refused = await close(matchId, body);
      expect(refused.statusCode, JSON.stringify(body)).toBe(400);
      expect(refused.json().code).toBe('VALIDATION_FAILED');
    }
    await expectUntouched(matchId);

    const res = await close(matchId, { json: { reason: 'Turnstile system failed at Poljud' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'CLOSED',
      attendance_mode: 'WITHOUT_DATA',
      closure_reason: 'Turnstile system failed at Poljud',
      attended_tickets: 3,
      attendance: null,
      unmatched: [],
    });
    const s = await stateOf(matchId);
    expect(s.match).toMatchObject({
      attendance_mode: 'WITHOUT_DATA',
      closure_reason: 'Turnstile system failed at Poljud',
    });
    expect(s.tickets.filter((tk) => tk.status === 'ATTENDED')).toHaveLength(3);
    expect(s.tickets.find((tk) => tk.id === tickets[3]!.id)!.status).toBe('REFUNDED');
    expect(s.imports).toEqual([]);
    expect(s.jobs).toEqual([{ match_id: matchId }]);
    const log = await t.deps.db
      .selectFrom('match_audit_logs')
      .select('change_type')
      .where('match_id', '=', matchId)
      .where('change_type', '=', 'CLOSE')
      .execute();
    expect(log).toHaveLength(1);
  });

  it('refuses files that are not spreadsheets, empty, huge, with wrong columns or bad rows, writing nothing', async () => {
    const { matchId, tickets } = await activeMatch(2);
    const good = tickets[0]!.barcode;
    const cases: Array<[string, string | Buffer, string, RegExp, string?]> = [
      [
        'a PNG',
        Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
        'application/octet-stream',
        /neither/,
      ],
      [
        'a broken xlsx',
        Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(40, 1)]),
        XLSX,
        /xlsx/,
      ],
      ['an empty file', Buffer.alloc(0), CSV, /empty/],
      ['a header only', 'barcode,scan_time\n', CSV, /no scanned rows/],
      [
        'wrong columns',
        `ticket,when\n${good},2026-06-01T18:00:00Z`,
        CSV,
        /missing: barcode, scan_time/,
        'file.row.1',
      ],
      ['no time column', `barcode,gate\n${good},N1`, CSV, /missing: scan_time/, 'file.row.1'],
      [
        'a bad scan time',
        `barcode,scan_time\n${good},2026-06-01T18:00:00Z\n${good},yesterday`,
        CSV,
        /Row 3/,
        'file.row.3',
      ],
      [
        'an impossible date',
        `barcode,scan_time\n${good},2026-02-30 20:00`,
        CSV,
        /Row 2/,
        'file.row.2',
      ],
      ['an unclosed quote', `barcode,scan_time\n"${good},2026-06-01T18:00:00Z`, CSV, /CSV/],
      ['too many rows', `barcode,scan_time\n${`${good},\n`.repeat(501)}`, CSV, /at most 500/],
      ['a NUL in a cell', `barcode,scan_time\n${good}\u0000,`, CSV, /neither/],
    ];
    for (const [what, file, type, detail, field] of cases) {
      const res = await close(matchId, { file, type });
      expect(res.statusCode, what).toBe(422);
      expect(res.json().code, what).toBe('ATTENDANCE_FILE_INVALID');
      expect(res.json().detail, what).toMatch(detail);
      if (field)
        expect(
          res.json().errors.map((e: { field: string }) => e.field),
          what,
        ).toContain(field);
    }
    // over ATTENDANCE_FILE_MAX_BYTES (200,000 here)
    const huge = await close(matchId, {
      file: `barcode,scan_time\n${'x'.repeat(200_100)}`,
      type: CSV,
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('PAYLOAD_TOO_LARGE');
    const unsupported = await t.request({
      method: 'POST',
      url: `/admin/matches/${matchId}/close`,
      token: (await admin()).token,
      payload: 'x',
      headers: { 'content-type': 'image/png' },
    });
    expect(unsupported.statusCode).toBe(415);
    await expectUntouched(matchId);
  });

  it('refuses to close twice, or a match that is not ACTIVE', async () => {
    const { matchId } = await activeMatch(1);
    expect((await close(matchId, { json: { reason: 'No scanner data' } })).statusCode).toBe(200);
    const again = await close(matchId, { json: { reason: 'again' } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'MATCH_ALREADY_CLOSED' });
    const withFile = await close(matchId, { file: csvOf([[generateBarcode(), '']]), type: CSV });
    expect(withFile.json().code).toBe('MATCH_ALREADY_CLOSED');
    expect((await stateOf(matchId)).jobs).toHaveLength(1);

    const published = await createLockedMatch(t.deps, { status: 'PUBLISHED' });
    const early = await close(published.matchId, { json: { reason: 'too early' } });
    expect(early.statusCode).toBe(400);
    expect(early.json()).toMatchObject({
      code: 'INVALID_STATUS_TRANSITION',
      from: 'PUBLISHED',
      to: 'CLOSED',
    });
    const missing = await close('00000000-0000-4000-8000-000000000000', {
      json: { reason: 'x y z' },
    });
    expect(missing.statusCode).toBe(404);
    expect((await close('nope', { json: { reason: 'x y z' } })).statusCode).toBe(400);
  });

  it('closes once when managers close the same match at the same moment', async () => {
    const { matchId, tickets } = await activeMatch(5);
    const csv = csvOf(
      tickets.map((tk) => [tk.barcode, '2026-06-01T18:00:00Z'] as [string, string]),
    );
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2
          ? close(matchId, { file: csv, type: CSV })
          : close(matchId, { json: { reason: 'no data' } }),
      ),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([200, 409, 409, 409, 409, 409]);
    const s = await stateOf(matchId);
    expect(s.tickets.every((tk) => tk.status === 'ATTENDED')).toBe(true);
    expect(s.jobs).toHaveLength(1);
    expect(s.imports.length).toBeLessThanOrEqual(1);
  });

  it('rolls the closure back when a step fails: the match stays ACTIVE and the tickets SOLD', async () => {
    const { matchId, tickets } = await activeMatch(3);
    // a failure after the match and tickets were written: the unmatched rows cannot be stored
    await sql`
      CREATE FUNCTION test_fail_unmatched() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'storage failed'; END $$;
      CREATE TRIGGER test_fail_unmatched BEFORE INSERT ON attendance_unmatched
        FOR EACH ROW EXECUTE FUNCTION test_fail_unmatched()`.execute(t.deps.db);
    try {
      const csv = csvOf([
        [tickets[0]!.barcode, '2026-06-01T18:00:00Z'],
        [generateBarcode(), '2026-06-01T18:00:00Z'],
      ]);
      const res = await close(matchId, { file: csv, type: CSV });
      expect(res.statusCode).toBe(500);
      await expectUntouched(matchId);
    } finally {
      await sql`DROP TRIGGER test_fail_unmatched ON attendance_unmatched;
                DROP FUNCTION test_fail_unmatched()`.execute(t.deps.db);
    }
  });

  it('is for match managers: 401 anonymous, 403 for a fan or finance; bad queries 400', async () => {
    const { matchId } = await activeMatch(1);
    const anonymous = await t.request({
      method: 'POST',
      url: `/admin/matches/${matchId}/close`,
      payload: { reason: 'x y z' },
    });
    expect(anonymous.statusCode).toBe(401);
    const fan = await createFan(t.deps);
    expect((await close(matchId, { json: { reason: 'x y z' } }, fan.token)).statusCode).toBe(403);
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    expect((await close(matchId, { json: { reason: 'x y z' } }, finance.token)).statusCode).toBe(
      403,
    );
    await expectUntouched(matchId); // the refused attempts wrote nothing
    const token = (await admin()).token;
    for (const q of ['?page=0', '?limit=1001', '?x=1']) {
      const bad = await t.request({
        method: 'GET',
        url: `/admin/matches/${matchId}/attendance${q}`,
        token,
      });
      expect(bad.statusCode, q).toBe(400);
    }
    const unknown = await t.request({
      method: 'GET',
      url: '/admin/matches/00000000-0000-4000-8000-000000000000/attendance',
      token,
    });
    expect(unknown.statusCode).toBe(404);
    const open = await t.request({
      method: 'GET',
      url: `/admin/matches/${matchId}/attendance`,
      token,
    });
    expect(open.json()).toMatchObject({
      status: 'ACTIVE',
      attendance: null,
      unmatched: [],
      total: 0,
    });
    expect((await close(matchId, { json: { reason: 'x y z' } }, undefined)).statusCode).toBe(200);
    const closedWithout = await t.request({
      method: 'GET',
      url: `/admin/matches/${matchId}/attendance`,
      token,
    });
    expect(closedWithout.json()).toMatchObject({
      status: 'CLOSED',
      attendance_mode: 'WITHOUT_DATA',
      attendance: null,
    });
    const view = await t.request({
      method: 'GET',
      url: `/admin/matches/${matchId}/attendance`,
      token: fan.token,
    });
    expect(view.statusCode).toBe(403);
  });
});
