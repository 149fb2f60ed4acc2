import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { useTestContext } from '../harness/context.ts';
import { createUser } from '../factories/users.ts';
import { appWithCapturedLogs, csvOf } from './helpers.ts';

const t = useTestContext();

const badChecksum = (oib: string) => oib.slice(0, 10) + String((Number(oib[10]) + 1) % 10);

async function supervisor() {
  return createUser(t.deps, { roles: ['SUPPORT_SUPERVISOR'] });
}

const upload = (token: string, csv: string | Buffer, type = 'text/csv', query = {}) =>
  t.request({
    method: 'POST',
    url: '/admin/blacklist/import',
    query: { file_name: 'mup.csv', ...query },
    headers: { 'content-type': type },
    payload: csv,
    token,
  });

describe('blacklist CSV import (E11-F2)', () => {
  it('imports valid rows, flags invalid OIBs, skips duplicates in the file and on the list, and reports each line', async () => {
    const sup = await supervisor();
    const listed = generateOib();
    await t.request({
      method: 'POST',
      url: '/admin/blacklist',
      token: sup.token,
      payload: { oib: listed, first_name: 'Već', last_name: 'Upisan' },
    });
    const [a, b, c] = [generateOib(), generateOib(), generateOib()];
    const bad = badChecksum(generateOib());
    const csv = csvOf([
      [a, 'Ante', 'Antić', '1991-02-03'],
      [bad, 'Krivi', 'Oib'],
      [b, 'Bruno', 'Brnić'],
      [a, 'Ante', 'Dvaput'],
      [listed, 'Već', 'Upisan'],
      [c, '', 'Bezimeni'],
      ['123', 'Kratki', 'Oib'],
      [generateOib(), 'Datum', 'Krivi', '1990-02-30'],
    ]);
    // File uploaded (E11-F2 "POST /admin/blacklist/import endpoint accepting CSV")
    const res = await upload(sup.token, csv);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    // Summary accurate: 8 rows, 2 imported, 2 duplicates (file, list), 4 invalid
    expect(body).toMatchObject({
      file_name: 'mup.csv',
      replayed: false,
      total_rows: 8,
      imported: 2,
      duplicates: 2,
      failed: 4,
    });
    // Invalid OIBs flagged, per line (the header is line 1)
    expect(body.errors.map((e: { line: number; code: string }) => [e.line, e.code])).toEqual([
      [3, 'OIB_INVALID'],
      [5, 'DUPLICATE_IN_FILE'],
      [6, 'ALREADY_LISTED'],
      [7, 'VALUE_INVALID'],
      [8, 'OIB_INVALID'],
      [9, 'VALUE_INVALID'],
    ]);
    expect(res.body).not.toContain(a);
    expect(res.body).not.toContain(bad);

    // Records created, as IMPORT, linked to the batch; duplicates not inserted
    const rows = await t.deps.db
      .selectFrom('blacklist')
      .selectAll()
      .where('import_batch_id', '=', body.batch_id)
      .execute();
    expect(rows.map((r) => r.last_name).sort()).toEqual(['Antić', 'Brnić']);
    expect(rows.every((r) => r.source === 'IMPORT' && r.status === 'ACTIVE')).toBe(true);
    expect(rows.find((r) => r.last_name === 'Antić')!.date_of_birth).toBe('1991-02-03');

    const batch = await t.deps.db
      .selectFrom('blacklist_import_batches')
      .selectAll()
      .where('id', '=', body.batch_id)
      .executeTakeFirstOrThrow();
    expect(batch).toMatchObject({
      file_name: 'mup.csv',
      total_rows: 8,
      successful_rows: 2,
      failed_rows: 4,
      duplicate_rows: 2,
      imported_by: sup.id,
    });
    expect(batch.error_report_json).toEqual(body.errors);

    const audit = await t.deps.db
      .selectFrom('blacklist_audit_logs')
      .select(['action', 'changes_json'])
      .where(
        'blacklist_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    expect(audit.map((x) => x.action)).toEqual(['CREATE', 'CREATE']);

    // The check service sees them
    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    const check = await t.request({
      method: 'GET',
      url: `/internal/blacklist/check?oib=${b}`,
      token: agent.token,
    });
    expect(check.json().is_blacklisted).toBe(true);

    // The summary can be read again by agents
    const again = await t.request({
      method: 'GET',
      url: `/admin/blacklist/imports/${body.batch_id}`,
      token: agent.token,
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ imported: 2, duplicates: 2, failed: 4 });
  });

  it('re-importing the same file changes nothing; an overlapping file skips what is listed', async () => {
    const sup = await supervisor();
    const oibs = Array.from({ length: 5 }, () => generateOib());
    const csv = csvOf(
      oibs.map((o, i) => [o, `Ime${i}`, `Prezime${i}`] as [string, string, string]),
    );
    const first = await upload(sup.token, csv);
    expect(first.statusCode).toBe(201);
    const count = async () => ({
      entries: Number(
        (
          await t.deps.db
            .selectFrom('blacklist')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
      batches: Number(
        (
          await t.deps.db
            .selectFrom('blacklist_import_batches')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
      audit: Number(
        (
          await t.deps.db
            .selectFrom('blacklist_audit_logs')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    });
    const before = await count();
    const replay = await upload(sup.token, csv);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({
      batch_id: first.json().batch_id,
      replayed: true,
      imported: 5,
    });
    expect(await count()).toEqual(before);

    // The same people in another file (one new): duplicates skipped, one imported
    const extra = generateOib();
    const overlap = await upload(
      sup.token,
      csvOf([
        ...oibs.map((o) => [o, 'X', 'Y'] as [string, string, string]),
        [extra, 'Novi', 'Čovjek'],
      ]),
    );
    expect(overlap.statusCode).toBe(201);
    expect(overlap.json()).toMatchObject({ imported: 1, duplicates: 5, failed: 0 });
    expect((await count()).entries).toBe(before.entries + 1);
  });

  it('skips an OIB whose ban was lifted (restored by hand only), counted as a duplicate', async () => {
    const sup = await supervisor();
    const oib = generateOib();
    const entry = await t.request({
      method: 'POST',
      url: '/admin/blacklist',
      token: sup.token,
      payload: { oib, first_name: 'Bivši', last_name: 'Zabranjeni' },
    });
    await t.request({
      method: 'POST',
      url: `/admin/blacklist/${entry.json().id}/remove`,
      token: sup.token,
      payload: { reason: 'Ban served' },
    });
    const res = await upload(sup.token, csvOf([[oib, 'Bivši', 'Zabranjeni']]));
    expect(res.json()).toMatchObject({ imported: 0, duplicates: 1, failed: 0 });
    expect(res.json().errors).toEqual([
      expect.objectContaining({ line: 2, code: 'LISTED_REMOVED' }),
    ]);
    const row = await t.deps.db
      .selectFrom('blacklist')
      .select('status')
      .where('id', '=', entry.json().id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('REMOVED');
  });

  it('takes a semicolon file as the one file of a multipart form, with a BOM', async () => {
    const sup = await supervisor();
    const oib = generateOib();
    const form = new FormData();
    form.append(
      'file',
      new Blob([`\uFEFFoib;first_name;last_name;notes\n${oib};Šime;Đurić;presuda 2026\n`], {
        type: 'text/csv',
      }),
      'popis.csv',
    );
    const response = new Response(form);
    const res = await t.request({
      method: 'POST',
      url: '/admin/blacklist/import',
      headers: { 'content-type': response.headers.get('content-type')! },
      payload: Buffer.from(await response.arrayBuffer()),
      token: sup.token,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ file_name: 'popis.csv', imported: 1 });
    const row = await t.deps.db
      .selectFrom('blacklist')
      .selectAll()
      .where('last_name', '=', 'Đurić')
      .executeTakeFirstOrThrow();
    expect(row.notes).toBe('presuda 2026');
  });

  it('refuses bad files with stable problem codes and every role but the supervisor', async () => {
    const sup = await supervisor();
    const cases: Array<[string | Buffer, string, number, string]> = [
      ['', 'text/csv', 400, 'BLACKLIST_IMPORT_FILE_INVALID'],
      ['oib,first_name,last_name\n', 'text/csv', 400, 'BLACKLIST_IMPORT_FILE_INVALID'],
      ['oib,name\n12345678901,A\n', 'text/csv', 400, 'BLACKLIST_IMPORT_FILE_INVALID'],
      [Buffer.from([0xff, 0xfe, 0x00, 0x41]), 'text/csv', 400, 'BLACKLIST_IMPORT_FILE_INVALID'],
      [
        'oib,first_name,last_name\n"unclosed,a,b\n',
        'text/csv',
        400,
        'BLACKLIST_IMPORT_FILE_INVALID',
      ],
      ['--x\r\nbroken', 'multipart/form-data; boundary=x', 400, 'UPLOAD_INVALID'],
    ];
    for (const [payload, type, status, code] of cases) {
      const res = await upload(sup.token, payload, type);
      expect([res.statusCode, res.json().code], String(payload)).toEqual([status, code]);
    }
    const json = await t.request({
      method: 'POST',
      url: '/admin/blacklist/import',
      payload: { oib: generateOib() },
      token: sup.token,
    });
    expect([json.statusCode, json.json().code]).toEqual([400, 'BLACKLIST_IMPORT_FILE_INVALID']);

    const csv = csvOf([[generateOib(), 'A', 'B']]);
    for (const roles of [['FAN'], ['SUPPORT_AGENT']] as const) {
      const user = await createUser(t.deps, { roles: [...roles] });
      expect((await upload(user.token, csv)).statusCode).toBe(403);
    }
    const admin = await createUser(t.deps, { roles: ['SUPER_ADMIN'] });
    expect((await upload(admin.token, csv)).statusCode).toBe(201);
    expect(
      (
        await t.request({
          method: 'POST',
          url: '/admin/blacklist/import',
          payload: csv,
          headers: { 'content-type': 'text/csv' },
        })
      ).statusCode,
    ).toBe(401);
    const fan = await createUser(t.deps);
    const batch = await t.request({
      method: 'GET',
      url: `/admin/blacklist/imports/${crypto.randomUUID()}`,
      token: fan.token,
    });
    expect(batch.statusCode).toBe(403);
    const missing = await t.request({
      method: 'GET',
      url: `/admin/blacklist/imports/${crypto.randomUUID()}`,
      token: sup.token,
    });
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'NOT_FOUND']);
  });

  it('stores no OIB in plaintext in any table, log line or answer', async () => {
    const { app, logs } = await appWithCapturedLogs(t);
    const sup = await supervisor();
    const oibs = Array.from({ length: 3 }, () => generateOib());
    const bad = badChecksum(generateOib());
    const res = await app.inject({
      method: 'POST',
      url: '/admin/blacklist/import',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${sup.token}` },
      payload: csvOf([
        ...oibs.map((o) => [o, 'A', 'B'] as [string, string, string]),
        [oibs[0]!, 'A', 'B'],
        [bad, 'C', 'D'],
      ]),
    });
    expect(res.statusCode).toBe(201);
    await app.close();
    let dump = '';
    for (const table of [
      'blacklist',
      'blacklist_audit_logs',
      'blacklist_import_batches',
      'audit_outbox',
    ]) {
      const { rows } = await sql<{ d: string | null }>`
        SELECT string_agg(row_to_json(x)::text, E'\n') AS d FROM ${sql.table(table)} x`.execute(
        t.deps.db,
      );
      dump += rows[0]?.d ?? '';
    }
    expect(dump).toContain('*******');
    const log = logs();
    expect(log.length).toBeGreaterThan(0);
    for (const oib of [...oibs, bad]) {
      expect(dump).not.toContain(oib);
      expect(log).not.toContain(oib);
      expect(res.body).not.toContain(oib);
    }
  });
});
