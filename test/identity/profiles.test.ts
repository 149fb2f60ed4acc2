import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();
// The fake clock stands at 2026-06-01T10:00Z (12:00 in Zagreb).

const adult = (over: Record<string, unknown> = {}) => ({
  full_name: 'Ivana Horvat',
  date_of_birth: '1990-04-12',
  nationality: 'HR',
  oib: generateOib(),
  phone: '+385 91 123 4567',
  ...over,
});

const call = (
  user: TestUser,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: object,
) => t.request({ method, url, token: user.token, ...(payload ? { payload } : {}) });

/** Every plaintext identifier a test stored, for the final database scan. */
const secrets = new Set<string>();
const remember = <T extends { oib?: unknown; passport_number?: unknown }>(body: T): T => {
  if (typeof body.oib === 'string') secrets.add(body.oib);
  if (typeof body.passport_number === 'string') secrets.add(body.passport_number);
  return body;
};

const saved = (over: Record<string, unknown> = {}) =>
  remember({
    full_name: 'Luka Horvat',
    date_of_birth: '2015-09-01',
    nationality: 'HR',
    oib: generateOib(),
    relationship: 'child',
    ...over,
  });

describe('default profile (E1-F3)', () => {
  it('GET answers 404 before the profile exists, 200 with it', async () => {
    const fan = await createUser(t.deps);
    const missing = await call(fan, 'GET', '/users/me/profile');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('PROFILE_NOT_FOUND');

    const body = remember(adult());
    const created = await call(fan, 'POST', '/users/me/profile', body);
    expect(created.statusCode, created.body).toBe(201);
    const got = await call(fan, 'GET', '/users/me/profile');
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(created.json());
  });

  it('POST creates the profile (201), masks the OIB, defaults the email and reports completeness', async () => {
    const fan = await createUser(t.deps);
    const body = remember(adult());
    const res = await call(fan, 'POST', '/users/me/profile', body);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      id: expect.any(String),
      full_name: 'Ivana Horvat',
      date_of_birth: '1990-04-12',
      nationality: 'HR',
      oib_masked: `*******${body.oib.slice(-4)}`,
      passport_number_masked: null,
      email: fan.email,
      phone: '+385 91 123 4567',
      is_complete: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(res.body).not.toContain(body.oib);
  });

  it('POST answers 409 when the profile exists', async () => {
    const fan = await createUser(t.deps);
    expect((await call(fan, 'POST', '/users/me/profile', remember(adult()))).statusCode).toBe(201);
    const again = await call(fan, 'POST', '/users/me/profile', remember(adult()));
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('PROFILE_EXISTS');
  });

  it('PUT without a profile answers 404 suggesting POST; with one it saves the change', async () => {
    const fan = await createUser(t.deps);
    const missing = await call(fan, 'PUT', '/users/me/profile', { phone: '+385 1 222 333' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('PROFILE_NOT_FOUND');
    expect(missing.json().detail).toMatch(/POST/);

    const body = remember(adult({ phone: undefined }));
    const created = await call(fan, 'POST', '/users/me/profile', body);
    expect(created.json().is_complete).toBe(false);
    const updated = await call(fan, 'PUT', '/users/me/profile', {
      phone: '+385 1 222 333',
      full_name: 'Ivana Horvat Kovač',
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({
      full_name: 'Ivana Horvat Kovač',
      phone: '+385 1 222 333',
      is_complete: true,
      oib_masked: `*******${body.oib.slice(-4)}`,
    });
    expect((await call(fan, 'GET', '/users/me/profile')).json().full_name).toBe(
      'Ivana Horvat Kovač',
    );
  });

  it('answers 422 OIB_INVALID for a bad checksum on POST and PUT', async () => {
    const fan = await createUser(t.deps);
    for (const oib of ['69435151531', '1234', 'abcdefghijk']) {
      const res = await call(fan, 'POST', '/users/me/profile', adult({ oib }));
      expect(res.statusCode, oib).toBe(422);
      expect(res.json().code).toBe('OIB_INVALID');
    }
    // A foreigner without an OIB yet, adding a bad one later.
    const created = await call(
      fan,
      'POST',
      '/users/me/profile',
      remember(adult({ nationality: 'DE', oib: undefined, passport_number: 'C01X00T47' })),
    );
    expect(created.statusCode).toBe(201);
    const put = await call(fan, 'PUT', '/users/me/profile', { oib: '69435151531' });
    expect(put.statusCode).toBe(422);
    expect(put.json().code).toBe('OIB_INVALID');
  });

  it('answers 409 when another user already uses the OIB (POST and PUT)', async () => {
    const first = await createUser(t.deps);
    const second = await createUser(t.deps);
    const oib = generateOib();
    secrets.add(oib);
    expect((await call(first, 'POST', '/users/me/profile', adult({ oib }))).statusCode).toBe(201);
    const taken = await call(second, 'POST', '/users/me/profile', adult({ oib }));
    expect(taken.statusCode).toBe(409);
    expect(taken.json().code).toBe('OIB_ALREADY_USED');

    const created = await call(
      second,
      'POST',
      '/users/me/profile',
      remember(adult({ nationality: 'SI', oib: undefined, passport_number: 'PA0012345' })),
    );
    expect(created.statusCode).toBe(201);
    const put = await call(second, 'PUT', '/users/me/profile', { oib });
    expect(put.statusCode).toBe(409);
    expect(put.json().code).toBe('OIB_ALREADY_USED');
  });

  it('keeps the global OIB uniqueness under concurrent creation', async () => {
    const users = await Promise.all([createUser(t.deps), createUser(t.deps), createUser(t.deps)]);
    const oib = generateOib();
    secrets.add(oib);
    const results = await Promise.all(
      users.map((u) => call(u, 'POST', '/users/me/profile', adult({ oib }))),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
  });

  it('makes the OIB immutable once set (400), but lets a foreigner set it once', async () => {
    const fan = await createUser(t.deps);
    const body = remember(adult());
    await call(fan, 'POST', '/users/me/profile', body);
    const other = generateOib();
    for (const oib of [other, null]) {
      const res = await call(fan, 'PUT', '/users/me/profile', { oib });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('OIB_IMMUTABLE');
    }
    // Sending the same OIB again is not a change.
    expect((await call(fan, 'PUT', '/users/me/profile', { oib: body.oib })).statusCode).toBe(200);

    const foreigner = await createUser(t.deps);
    await call(
      foreigner,
      'POST',
      '/users/me/profile',
      remember(adult({ nationality: 'AT', oib: undefined, passport_number: 'P1234567' })),
    );
    const oib = generateOib();
    secrets.add(oib);
    const set = await call(foreigner, 'PUT', '/users/me/profile', { oib });
    expect(set.statusCode).toBe(200);
    expect(set.json().oib_masked).toBe(`*******${oib.slice(-4)}`);
    expect(
      (await call(foreigner, 'PUT', '/users/me/profile', { oib: generateOib() })).statusCode,
    ).toBe(400);
  });

  it('requires an OIB from Croatians and a passport from others (422)', async () => {
    const fan = await createUser(t.deps);
    const croat = await call(
      fan,
      'POST',
      '/users/me/profile',
      adult({ oib: undefined, passport_number: 'X12345678' }),
    );
    expect(croat.statusCode).toBe(422);
    expect(croat.json().code).toBe('IDENTITY_DOCUMENT_REQUIRED');
    expect(croat.json().errors).toEqual([
      { field: 'body.oib', message: 'is required for Croatian nationality' },
    ]);

    const foreign = await call(fan, 'POST', '/users/me/profile', adult({ nationality: 'it' }));
    expect(foreign.statusCode).toBe(422);
    expect(foreign.json().code).toBe('IDENTITY_DOCUMENT_REQUIRED');
    expect(foreign.json().errors[0].field).toBe('body.passport_number');

    // Switching nationality on PUT is checked the same way.
    await call(fan, 'POST', '/users/me/profile', remember(adult()));
    const put = await call(fan, 'PUT', '/users/me/profile', { nationality: 'BA' });
    expect(put.statusCode).toBe(422);
    const ok = await call(
      fan,
      'PUT',
      '/users/me/profile',
      remember({ nationality: 'BA', passport_number: 'b1234567' }),
    );
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ nationality: 'BA', passport_number_masked: '****4567' });
    secrets.add('B1234567');
  });

  it('requires 18+ by the Zagreb calendar date (422 with the age message)', async () => {
    const fan = await createUser(t.deps);
    // Today in Zagreb is 2026-06-01: born 2008-06-02 is still 17.
    const young = await call(
      fan,
      'POST',
      '/users/me/profile',
      adult({ date_of_birth: '2008-06-02' }),
    );
    expect(young.statusCode).toBe(422);
    expect(young.json().code).toBe('AGE_REQUIREMENT_NOT_MET');
    expect(young.json().detail).toBe(
      'You must be at least 18 years old to have a default ticketing profile',
    );

    // At 23:30 UTC on 1 June it is already 2 June in Zagreb: the birthday has come.
    t.clock.set('2026-06-01T23:30:00Z');
    try {
      const late = await createUser(t.deps);
      const birthday = await call(
        late,
        'POST',
        '/users/me/profile',
        remember(adult({ date_of_birth: '2008-06-02' })),
      );
      expect(birthday.statusCode, birthday.body).toBe(201);
      const put = await call(late, 'PUT', '/users/me/profile', { date_of_birth: '2010-01-01' });
      expect(put.statusCode).toBe(422);
      expect(put.json().code).toBe('AGE_REQUIREMENT_NOT_MET');
    } finally {
      t.clock.set('2026-06-01T10:00:00Z');
    }

    const future = await call(
      await createUser(t.deps),
      'POST',
      '/users/me/profile',
      adult({ date_of_birth: '2030-01-01' }),
    );
    expect(future.statusCode).toBe(422);
  });

  it('validates field formats with 400 naming each field', async () => {
    const fan = await createUser(t.deps);
    const res = await call(fan, 'POST', '/users/me/profile', {
      full_name: '',
      date_of_birth: '12.4.1990',
      nationality: 'Croatia',
    });
    expect(res.statusCode).toBe(400);
    const fields = res
      .json()
      .errors.map((e: { field: string }) => e.field)
      .sort();
    expect(fields).toEqual(['body.date_of_birth', 'body.full_name', 'body.nationality']);
  });
});

describe('saved profiles (E1-F4)', () => {
  it('creates (201 with id), lists with the OIB masked, updates and deletes', async () => {
    const fan = await createUser(t.deps);
    const body = saved();
    const created = await call(fan, 'POST', '/users/me/saved-profiles', body);
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const foreign = saved({ nationality: 'GB', oib: undefined, passport_number: '533380006' });
    expect((await call(fan, 'POST', '/users/me/saved-profiles', foreign)).statusCode).toBe(201);

    const list = await call(fan, 'GET', '/users/me/saved-profiles');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 2, page: 1, limit: 10, max: 10 });
    expect(list.json().items[0]).toMatchObject({
      id,
      full_name: 'Luka Horvat',
      oib_masked: `*******${body.oib.slice(-4)}`,
      passport_number_masked: null,
      relationship: 'child',
    });
    expect(list.json().items[1].passport_number_masked).toBe('*****0006');
    expect(list.body).not.toContain(body.oib);
    expect(list.body).not.toContain('533380006');

    const updated = await call(fan, 'PUT', `/users/me/saved-profiles/${id}`, {
      full_name: 'Luka H.',
      relationship: null,
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ full_name: 'Luka H.', relationship: null });
    expect((await call(fan, 'GET', `/users/me/saved-profiles/${id}`)).json().full_name).toBe(
      'Luka H.',
    );

    const del = await call(fan, 'DELETE', `/users/me/saved-profiles/${id}`);
    expect(del.statusCode).toBe(204);
    expect((await call(fan, 'GET', `/users/me/saved-profiles/${id}`)).statusCode).toBe(404);
    expect((await call(fan, 'DELETE', `/users/me/saved-profiles/${id}`)).statusCode).toBe(404);
    expect((await call(fan, 'GET', '/users/me/saved-profiles')).json().total).toBe(1);
  });

  it('allows at most 10 saved profiles: the 11th answers 400 with the limit message', async () => {
    const fan = await createUser(t.deps);
    for (let i = 0; i < 10; i++) {
      const res = await call(
        fan,
        'POST',
        '/users/me/saved-profiles',
        saved({ full_name: `Person ${i}` }),
      );
      expect(res.statusCode).toBe(201);
    }
    const eleventh = await call(fan, 'POST', '/users/me/saved-profiles', saved());
    expect(eleventh.statusCode).toBe(400);
    expect(eleventh.json().code).toBe('SAVED_PROFILE_LIMIT_REACHED');
    expect(eleventh.json().detail).toBe(
      'You can keep at most 10 saved profiles; delete one to add another',
    );
  });

  it('holds the limit under concurrent creation', async () => {
    const fan = await createUser(t.deps);
    const results = await Promise.all(
      Array.from({ length: 14 }, (_, i) =>
        call(fan, 'POST', '/users/me/saved-profiles', saved({ full_name: `P${i}` })),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(10);
    expect(results.filter((r) => r.statusCode === 400)).toHaveLength(4);
  });

  it('answers 409 for an OIB already on another of the user’s saved profiles (create and update)', async () => {
    const fan = await createUser(t.deps);
    const first = saved();
    await call(fan, 'POST', '/users/me/saved-profiles', first);
    const dup = await call(fan, 'POST', '/users/me/saved-profiles', saved({ oib: first.oib }));
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('OIB_ALREADY_USED');

    const second = await call(fan, 'POST', '/users/me/saved-profiles', saved());
    const put = await call(fan, 'PUT', `/users/me/saved-profiles/${second.json().id}`, {
      oib: first.oib,
    });
    expect(put.statusCode).toBe(409);
    // Another user may save the same person.
    const other = await createUser(t.deps);
    expect(
      (await call(other, 'POST', '/users/me/saved-profiles', saved({ oib: first.oib }))).statusCode,
    ).toBe(201);
    // Bad checksum and missing document rules apply to saved profiles too.
    expect(
      (await call(fan, 'POST', '/users/me/saved-profiles', saved({ oib: '12345678901' })))
        .statusCode,
    ).toBe(422);
    expect(
      (await call(fan, 'POST', '/users/me/saved-profiles', saved({ oib: undefined }))).statusCode,
    ).toBe(422);
  });
});

describe('isolation and storage', () => {
  it('a fan can never read or change another user’s profiles (404, not 403)', async () => {
    const owner = await createUser(t.deps);
    const intruder = await createUser(t.deps);
    await call(owner, 'POST', '/users/me/profile', remember(adult()));
    const sp = (await call(owner, 'POST', '/users/me/saved-profiles', saved())).json();

    // The default profile is always the caller's own: the intruder sees their own (none).
    expect((await call(intruder, 'GET', '/users/me/profile')).statusCode).toBe(404);
    expect(
      (await call(intruder, 'PUT', '/users/me/profile', { full_name: 'Hacked' })).statusCode,
    ).toBe(404);

    const url = `/users/me/saved-profiles/${sp.id}`;
    for (const [method, payload] of [
      ['GET'],
      ['PUT', { full_name: 'Hacked' }],
      ['DELETE'],
    ] as const) {
      const res = await call(intruder, method, url, payload);
      expect(res.statusCode, method).toBe(404);
      expect(res.json().code).toBe('NOT_FOUND');
    }
    expect((await call(intruder, 'GET', '/users/me/saved-profiles')).json().total).toBe(0);
    const mine = await call(owner, 'GET', url);
    expect(mine.json().full_name).toBe('Luka Horvat');
    expect((await call(owner, 'GET', '/users/me/profile')).json().full_name).toBe('Ivana Horvat');
    expect((await call(owner, 'GET', `/users/me/saved-profiles/${randomUUID()}`)).statusCode).toBe(
      404,
    );
    expect((await call(owner, 'GET', '/users/me/saved-profiles/not-a-uuid')).statusCode).toBe(400);
  });

  it('stores no plaintext OIB or passport number in any table of the database', async () => {
    expect(secrets.size).toBeGreaterThan(20);
    const tables = await sql<{ schema: string; name: string }>`
      SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`.execute(
      t.deps.db,
    );
    const patterns = [...secrets].map((s) => `%${s}%`);
    const hits: string[] = [];
    for (const { schema, name } of tables.rows) {
      const table = sql.table(`${schema}.${name}`);
      const found = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM ${table} AS r WHERE r::text ILIKE ANY (${patterns})`.execute(
        t.deps.db,
      );
      if (found.rows[0]!.n > 0) hits.push(`${schema}.${name}`);
    }
    expect(hits).toEqual([]);
    // The ciphertexts are there, in the documented format.
    const row = await t.deps.db
      .selectFrom('profiles')
      .select(['oib_encrypted', 'oib_blind_index'])
      .where('oib_encrypted', 'is not', null)
      .executeTakeFirstOrThrow();
    expect(row.oib_encrypted).toMatch(/^v1:dev0:[\w-]+:[\w-]+:[\w-]+$/);
    expect(row.oib_blind_index).toMatch(/^[0-9a-f]{64}$/);
  });
});
