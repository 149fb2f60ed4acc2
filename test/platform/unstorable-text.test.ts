import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { hasUnstorableText, unstorableTextPaths } from '../../src/platform/http/validation.ts';
import { createUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();

const fieldsOf = (body: { errors?: { field: string }[] }) =>
  (body.errors ?? []).map((e) => e.field).sort();

describe('text the database cannot store is refused at the edge', () => {
  it('finds NUL and lone surrogates, and lets paired surrogates (emoji) and RTL text through', () => {
    expect(hasUnstorableText('Nul\u0000Byte')).toBe(true);
    expect(hasUnstorableText('a\ud800')).toBe(true);
    expect(hasUnstorableText('\udc00b')).toBe(true);
    expect(hasUnstorableText('\udbff\ud800')).toBe(true);
    expect(hasUnstorableText('⚽ \ud83d\ude00 مرحبا Ivana')).toBe(false);
    expect(
      unstorableTextPaths({ a: 'ok', b: ['x', 'y\u0000'], 'k\u0000': 1, c: { d: '\ud800' } }),
    ).toEqual([['b', '1'], ['k\u0000'], ['c', 'd']]);
  });

  it('POST /users/me/saved-profiles with a NUL in full_name: 400 naming the field, no row', async () => {
    const fan = await createUser(t.deps);
    const res = await t.request({
      method: 'POST',
      url: '/users/me/saved-profiles',
      token: fan.token,
      payload: {
        full_name: 'Nul\u0000Byte',
        date_of_birth: '2015-09-01',
        nationality: 'HR',
        oib: generateOib(),
        relationship: 'child\ud800',
      },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(res.json())).toEqual(['body.full_name', 'body.relationship']);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM saved_profiles WHERE user_id = ${fan.id}`.execute(t.deps.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('GET /admin/email-templates?template_key=%00: 400 naming the query parameter', async () => {
    const admin = await createUser(t.deps, { roles: ['SUPER_ADMIN'] });
    const res = await t.request({
      method: 'GET',
      url: '/admin/email-templates?template_key=%00',
      token: admin.token,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(res.json())).toEqual(['querystring.template_key']);
  });

  it('GET /admin/seats/search?row=%00: 400 naming the query parameter', async () => {
    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    const res = await t.request({
      method: 'GET',
      url: '/admin/seats/search?row=a%00b',
      token: agent.token,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(res.json())).toEqual(['querystring.row']);
  });

  it('a NUL in a path parameter is refused the same way', async () => {
    const fan = await createUser(t.deps);
    const res = await t.request({
      method: 'GET',
      url: '/users/me/saved-profiles/%00',
      token: fan.token,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(fieldsOf(res.json())).toEqual(['params.id']);
  });

  it('emoji and right-to-left text are stored as given', async () => {
    const fan = await createUser(t.deps);
    const name = 'Ivana ⚽\ud83d\ude00 مرحبا';
    const res = await t.request({
      method: 'POST',
      url: '/users/me/saved-profiles',
      token: fan.token,
      payload: {
        full_name: name,
        date_of_birth: '2015-09-01',
        nationality: 'HR',
        oib: generateOib(),
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().full_name).toBe(name);
  });
});
