import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLockedMatch, type LockedMatch } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { addToCart, createFan, createSale } from '../sales/helpers.ts';
import { useTestContext } from '../harness/context.ts';
import { inventoryCounts, quotaInvariantViolations } from './helpers.ts';

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

let manager: TestUser;
let m1: LockedMatch;
let m2: LockedMatch;

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  m1 = await createLockedMatch(t.deps, { rows: 2, seatsPerRow: 10, sectors: 2 });
  m2 = await createLockedMatch(t.deps, { rows: 2, seatsPerRow: 10, sectors: 2 });
});

const upload = (
  csv: string | Buffer,
  matchIds: string[],
  token = manager.token,
  type = 'text/csv',
) =>
  t.request({
    method: 'POST',
    url: '/admin/quotas/import',
    query: { match_ids: matchIds.join(','), file_name: 'partners.csv' },
    headers: { 'content-type': type },
    payload: csv,
    token,
  });

/** A multipart form as a browser sends it (the platform upload test builds it the same way). */
async function formUpload(
  fields: Record<string, string>,
  file: { content: string | Buffer; type?: string; name?: string } | null,
  query: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  if (file) {
    form.append(
      'file',
      new Blob([file.content], { type: file.type ?? 'text/csv' }),
      file.name ?? 'partners.csv',
    );
  }
  const response = new Response(form);
  return t.request({
    method: 'POST',
    url: '/admin/quotas/import',
    query,
    headers: { 'content-type': response.headers.get('content-type')! },
    payload: Buffer.from(await response.arrayBuffer()),
    token: manager.token,
  });
}

const quotasOfBatch = (batchId: string) =>
  t.deps.db
    .selectFrom('quotas')
    .select(['id', 'match_id', 'recipient_email'])
    .where('batch_id', '=', batchId)
    .execute();

const FILE = [
  'recipient_email,recipient_name,sector_codes,quantity,discount_percent',
  'a@club.hr,Club A,S1,2,50',
  'not-an-email,Club X,S1,1,0',
  'b@club.hr,Club B,ZZ,1,0',
  'c@club.hr,Club C,S1|S2,500,0',
  'a@club.hr,Club A again,S1,3,0',
  'd@club.hr,Club D,S2,1,100',
].join('\n');

describe('POST /admin/quotas/import (E7-F2, E7-F3)', () => {
  it('creates the valid rows, reports the others with their line numbers, one batch', async () => {
    const res = await upload(FILE, [m1.matchId]);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      file_name: 'partners.csv',
      match_ids: [m1.matchId],
      total_rows: 6,
      successful_rows: 2,
      failed_rows: 4,
      duplicate: false,
    });
    const byLine = Object.fromEntries(
      body.errors.map((e: { line: number; field: string }) => [e.line, e.field]),
    );
    expect(byLine).toEqual({ 3: 'recipient_email', 4: 'sector_codes', 5: 'quantity', 6: null });
    expect(body.errors.find((e: { line: number }) => e.line === 6).message).toContain(
      'duplicate of line 2',
    );
    expect(body.quotas.map((q: { line: number }) => q.line).sort()).toEqual([2, 7]);
    const quotas = await quotasOfBatch(body.batch_id);
    expect(quotas.map((q) => q.recipient_email).sort()).toEqual(['a@club.hr', 'd@club.hr']);
    expect(await inventoryCounts(t, m1.matchId)).toEqual({ ALLOCATED: 3, AVAILABLE: 37 });
    const batch = await t.deps.db
      .selectFrom('quota_import_batches')
      .selectAll()
      .where('id', '=', body.batch_id)
      .executeTakeFirstOrThrow();
    expect(batch).toMatchObject({
      match_id: m1.matchId,
      total_rows: 6,
      successful_rows: 2,
      failed_rows: 4,
      imported_by: manager.id,
    });
    expect(batch.error_report_json).toHaveLength(4);

    // the same file again: the first report, nothing created
    const again = await upload(FILE, [m1.matchId]);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({
      batch_id: body.batch_id,
      duplicate: true,
      successful_rows: 2,
    });
    expect(await quotasOfBatch(body.batch_id)).toHaveLength(2);
    expect(await inventoryCounts(t, m1.matchId)).toEqual({ ALLOCATED: 3, AVAILABLE: 37 });
  });

  it('shares seats out in file order as row-by-row creations would (all or nothing, snake order)', async () => {
    const m = await createLockedMatch(t.deps, { rows: 2, seatsPerRow: 10, sectors: 2 });
    const csv = [
      'recipient_email,sector_codes,quantity,allocation_algorithm',
      'a@order.hr,S1,15,REDOM', // the first 15 of S1
      'b@order.hr,S1|S2,10,REDOM', // the last 5 of S1, then the first 5 of S2
      'c@order.hr,S1,1,REDOM', // S1 is used up: refused, 0 free
      'd@order.hr,S2,16,REDOM', // 15 left in S2: refused whole
      'e@order.hr,S2,15,REDOM', // the rest of S2
    ].join('\n');
    const res = await upload(csv, [m.matchId]);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ successful_rows: 3, failed_rows: 2 });
    expect(body.errors).toEqual([
      {
        line: 4,
        match_id: m.matchId,
        field: 'quantity',
        message: '1 requested, 0 free in the sectors',
      },
      {
        line: 5,
        match_id: m.matchId,
        field: 'quantity',
        message: '16 requested, 15 free in the sectors',
      },
    ]);
    const { rows } = await sql<{ email: string; code: string; snake_order: number }>`
      SELECT q.recipient_email AS email, ms.code, i.snake_order
        FROM quotas q JOIN quota_seats qs ON qs.quota_id = q.id
        JOIN match_seat_inventory i ON i.id = qs.match_seat_inventory_id
        JOIN match_sectors ms ON ms.id = i.match_sector_id
       WHERE q.batch_id = ${body.batch_id} AND i.status = 'ALLOCATED'
       ORDER BY ms.code, i.snake_order`.execute(t.deps.db);
    const seatsOf = (email: string, code: string) =>
      rows.filter((r) => r.email === email && r.code === code).map((r) => r.snake_order);
    const s1 = rows.filter((r) => r.code === 'S1').map((r) => r.snake_order);
    const s2 = rows.filter((r) => r.code === 'S2').map((r) => r.snake_order);
    expect(s1).toHaveLength(20);
    expect(s2).toHaveLength(20);
    expect(seatsOf('a@order.hr', 'S1')).toEqual(s1.slice(0, 15));
    expect(seatsOf('b@order.hr', 'S1')).toEqual(s1.slice(15));
    expect(seatsOf('b@order.hr', 'S2')).toEqual(s2.slice(0, 5));
    expect(seatsOf('e@order.hr', 'S2')).toEqual(s2.slice(5));
    expect(await inventoryCounts(t, m.matchId)).toEqual({ ALLOCATED: 40 });
    // one trail row per seat, naming its own quota
    const { rows: trail } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM seat_audit_logs l
        JOIN quota_seats qs ON qs.match_seat_inventory_id = l.match_seat_inventory_id
       WHERE l.action = 'QUOTA_ALLOCATED' AND l.hold_owner_id = qs.quota_id
         AND l.reason = 'allocated to quota ' || qs.quota_id
         AND qs.quota_id IN (SELECT id FROM quotas WHERE batch_id = ${body.batch_id})`.execute(
      t.deps.db,
    );
    expect(trail[0]!.n).toBe(40);
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('races a live public sale in the same sector: no seat is both held and allocated', async () => {
    const sale = await createSale(t.deps, { rows: 4, seatsPerRow: 10 });
    const code = (
      await t.deps.db
        .selectFrom('match_sectors')
        .select('code')
        .where('id', '=', sale.zoneId)
        .executeTakeFirstOrThrow()
    ).code;
    const fans = await Promise.all(Array.from({ length: 16 }, () => createFan(t.deps)));
    const file = (tag: string) =>
      [
        'recipient_email,sector_codes,quantity',
        ...Array.from({ length: 4 }, (_, i) => `race${i}.${tag}@club.hr,${code},4`),
      ].join('\n');
    const imports = ['a', 'b'].map((tag) => upload(file(tag), [sale.matchId]));
    const carts = fans.map((f) => addToCart(t, f, sale, 2));
    const results = await Promise.all([...imports, ...carts]);
    const importResults = results.slice(0, 2);
    const cartResults = results.slice(2);
    for (const r of importResults) expect(r.statusCode, r.body).toBe(201);
    for (const r of cartResults) expect([200, 409], r.body).toContain(r.statusCode);
    const created = importResults.reduce((n, r) => n + r.json().successful_rows, 0);
    const sold = cartResults.filter((r) => r.statusCode === 200).length;
    expect(created * 4 + sold * 2).toBeLessThanOrEqual(40);
    // every refused row saw too few free seats
    for (const r of importResults) {
      for (const e of r.json().errors) expect(e.field).toBe('quantity');
    }
    const counts = await inventoryCounts(t, sale.matchId);
    expect(counts.ALLOCATED ?? 0).toBe(created * 4);
    expect(counts.RESERVED ?? 0).toBe(sold * 2);
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('several matches: a quota per match per row, linked by batch_id', async () => {
    const csv = 'recipient_email,sector_codes,quantity\ne@club.hr,S1,2\nf@club.hr,S2,1\n';
    const res = await upload(csv, [m1.matchId, m2.matchId]);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ total_rows: 2, successful_rows: 2, failed_rows: 0, errors: [] });
    const quotas = await quotasOfBatch(body.batch_id);
    expect(quotas).toHaveLength(4);
    expect(quotas.filter((q) => q.match_id === m2.matchId)).toHaveLength(2);
  });

  it('a file-level problem refuses the whole file', async () => {
    const before = await t.deps.db.selectFrom('quotas').select('id').execute();
    const cases: [string | Buffer, number, string][] = [
      ['email,sectors,qty\na@b.hr,S1,1', 400, 'QUOTA_IMPORT_FILE_INVALID'],
      [
        'recipient_email,sector_codes,quantity,colour\na@b.hr,S1,1,red',
        400,
        'QUOTA_IMPORT_FILE_INVALID',
      ],
      [
        Buffer.from('recipient_email,sector_codes,quantity\nj\xe9r\xf4me@b.hr,S1,1', 'latin1'),
        400,
        'QUOTA_IMPORT_FILE_INVALID',
      ],
      ['recipient_email,sector_codes,quantity\n', 400, 'QUOTA_IMPORT_FILE_INVALID'],
      ['', 400, 'QUOTA_IMPORT_FILE_INVALID'],
      ['recipient_email,sector_codes,quantity\n"a@b.hr,S1,1', 400, 'QUOTA_IMPORT_FILE_INVALID'],
      [
        `recipient_email,sector_codes,quantity\n${'x'.repeat(t.config.BODY_LIMIT_BYTES)}`,
        413,
        'PAYLOAD_TOO_LARGE',
      ],
    ];
    for (const [csv, status, code] of cases) {
      const res = await upload(csv, [m2.matchId]);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().code).toBe(code);
    }
    // a JSON body is no CSV file
    const json = await upload('{"a":1}', [m2.matchId], manager.token, 'application/json');
    expect(json.statusCode).toBe(400);
    expect(json.json().code).toBe('QUOTA_IMPORT_FILE_INVALID');
    const badMatch = await upload('recipient_email,sector_codes,quantity\na@b.hr,S1,1', [
      '00000000-0000-4000-8000-000000000000',
    ]);
    expect(badMatch.json().code).toBe('MATCH_NOT_FOUND');
    expect(await t.deps.db.selectFrom('quotas').select('id').execute()).toHaveLength(before.length);
  });

  it('takes a multipart form: the file, and match_ids and file_name as form fields', async () => {
    const csv = 'recipient_email,sector_codes,quantity\ng@club.hr,S1,1\nh@club.hr,S2,2\n';
    const res = await formUpload(
      { match_ids: `${m1.matchId}, ${m2.matchId}`, file_name: 'Partneri 2026.csv' },
      { content: csv },
    );
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      file_name: 'Partneri 2026.csv',
      match_ids: [m1.matchId, m2.matchId].sort(),
      total_rows: 2,
      successful_rows: 2,
      failed_rows: 0,
      errors: [],
    });
    const quotas = await quotasOfBatch(body.batch_id);
    expect(quotas).toHaveLength(4);
    expect(new Set(quotas.map((q) => q.match_id))).toEqual(new Set([m1.matchId, m2.matchId]));
    const batch = await t.deps.db
      .selectFrom('quota_import_batches')
      .select(['file_name', 'match_ids'])
      .where('id', '=', body.batch_id)
      .executeTakeFirstOrThrow();
    expect(batch).toEqual({ file_name: 'Partneri 2026.csv', match_ids: body.match_ids });

    // the same file again, uploaded the same way: the first report, nothing created
    const again = await formUpload(
      { match_ids: `${m2.matchId},${m1.matchId}` },
      { content: csv, name: 'other.csv' },
    );
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ batch_id: body.batch_id, duplicate: true });
    expect(await quotasOfBatch(body.batch_id)).toHaveLength(4);

    // without a file_name field the form file's name is the batch's; the query still works
    const named = await formUpload(
      {},
      { content: 'recipient_email,sector_codes,quantity\ni@club.hr,S1,1\n', name: 'klubovi.csv' },
      { match_ids: m2.matchId },
    );
    expect(named.statusCode, named.body).toBe(201);
    expect(named.json()).toMatchObject({ file_name: 'klubovi.csv', match_ids: [m2.matchId] });
  });

  it('refuses a multipart upload whole on a file-level problem, and without match_ids', async () => {
    const before = await t.deps.db.selectFrom('quotas').select('id').execute();
    const ids = { match_ids: m2.matchId };
    const cases: [Parameters<typeof formUpload>[1], number, string][] = [
      // not CSV: a picture, a PDF, JSON
      [
        { content: Buffer.from([0x89, 0x50, 0x4e, 0x47]), type: 'image/png', name: 'a.png' },
        400,
        'QUOTA_IMPORT_FILE_INVALID',
      ],
      [
        { content: '%PDF-1.7', type: 'application/pdf', name: 'a.pdf' },
        400,
        'QUOTA_IMPORT_FILE_INVALID',
      ],
      [
        { content: '{"a":1}', type: 'application/json', name: 'a.json' },
        400,
        'QUOTA_IMPORT_FILE_INVALID',
      ],
      // a CSV-typed file that is binary
      [
        { content: Buffer.from([0, 1, 2, 3, 0]), name: 'zero.csv' },
        400,
        'QUOTA_IMPORT_FILE_INVALID',
      ],
      // wrong header
      [{ content: 'email,sectors,qty\na@b.hr,S1,1' }, 400, 'QUOTA_IMPORT_FILE_INVALID'],
      // wrong encoding (Latin-1, not UTF-8)
      [
        {
          content: Buffer.from(
            'recipient_email,sector_codes,quantity\nj\xe9r\xf4me@b.hr,S1,1',
            'latin1',
          ),
        },
        400,
        'QUOTA_IMPORT_FILE_INVALID',
      ],
      // over the size limit
      [
        {
          content: `recipient_email,sector_codes,quantity\n${'x'.repeat(t.config.BODY_LIMIT_BYTES)}`,
        },
        413,
        'PAYLOAD_TOO_LARGE',
      ],
    ];
    for (const [file, status, code] of cases) {
      const res = await formUpload(ids, file);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().code, res.body).toBe(code);
    }
    const good = { content: 'recipient_email,sector_codes,quantity\nk@club.hr,S1,1\n' };
    const noIds = await formUpload({}, good);
    expect(noIds.statusCode).toBe(400);
    expect(noIds.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'querystring.match_ids' }],
    });
    const badIds = await formUpload({ match_ids: 'not-a-uuid' }, good);
    expect(badIds.statusCode).toBe(400);
    expect(badIds.json().errors[0].field).toMatch(/^form\.match_ids/);
    const noFile = await formUpload(ids, null);
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().code).toBe('UPLOAD_INVALID');
    expect(await t.deps.db.selectFrom('quotas').select('id').execute()).toHaveLength(before.length);
  });

  it('is for match managers only', async () => {
    const fan = await createUser(t.deps);
    const holder = await createUser(t.deps, { roles: ['QUOTA_HOLDER'] });
    for (const user of [fan, holder]) {
      const res = await upload(
        'recipient_email,sector_codes,quantity\nz@b.hr,S1,1',
        [m2.matchId],
        user.token,
      );
      expect(res.statusCode).toBe(403);
    }
  });

  it(
    'imports 1,000 rows in one request within seconds (benchmark figure)',
    { timeout: 120_000 },
    async () => {
      const big = await createLockedMatch(t.deps, { rows: 25, seatsPerRow: 100, sectors: 1 });
      const csv = [
        'recipient_email,recipient_name,sector_codes,quantity',
        ...Array.from({ length: 1000 }, (_, i) => `partner${i}@bench.hr,Partner ${i},S1,2`),
      ].join('\n');
      const started = performance.now();
      const res = await upload(csv, [big.matchId]);
      const ms = performance.now() - started;
      expect(res.statusCode, res.body.slice(0, 500)).toBe(201);
      expect(res.json()).toMatchObject({ total_rows: 1000, successful_rows: 1000, failed_rows: 0 });
      expect(await inventoryCounts(t, big.matchId)).toEqual({ ALLOCATED: 2000, AVAILABLE: 500 });
      console.log(
        `[bench] quota CSV import: 1000 rows (2000 seats, 1000 emails) in ${Math.round(ms)} ms`,
      );
      expect(ms).toBeLessThan(60_000);
    },
  );
});
