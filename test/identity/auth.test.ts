import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { changeRoleByEmail } from '../../src/modules/identity/roles.service.ts';
import { createUser } from '../factories/users.ts';
import { TEST_REDIS_URL, useTestContext } from '../harness/context.ts';
import { startDrupalOidc, type DrupalClaims } from '../harness/servers/oidc.ts';

// A real OIDC provider; the app validates Drupal tokens against its userinfo endpoint.
const drupal = await startDrupalOidc();
afterAll(() => drupal.close());

const t = useTestContext({
  env: {
    DRUPAL_USERINFO_URL: drupal.userinfoUrl,
    DRUPAL_ROLE_MAP: 'ticketing_manager:MATCH_MANAGER,accountant:FINANCE',
  },
});

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
let nextSub = 1000;
const newDrupalUser = (extra: Partial<DrupalClaims> = {}): DrupalClaims => {
  const sub = String(nextSub++);
  return { sub, email: `fan${sub}@example.hr`, status: 1, roles: ['authenticated'], ...extra };
};

async function login(drupalToken: string, deviceId = 'device-1') {
  return t.request({
    method: 'POST',
    url: '/auth/login',
    payload: { drupal_token: drupalToken, device_id: deviceId },
  });
}

async function loginAs(claims: DrupalClaims, deviceId?: string) {
  const res = await login(await drupal.issue(claims), deviceId);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    access_token: string;
    refresh_token: string;
    user: { id: string; email: string; roles: string[]; status: string };
  };
}

const refresh = (refreshToken: string) =>
  t.request({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: refreshToken } });

describe('POST /auth/login (E1-F1, E1-F2)', () => {
  it('creates the local user on first login and issues our tokens', async () => {
    const claims = newDrupalUser({ roles: ['authenticated', 'ticketing_manager'] });
    const res = await login(await drupal.issue(claims), 'iphone-abc');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      refresh_expires_in: 7 * 24 * 3600,
      user: { email: claims.email, status: 'active', roles: ['FAN', 'MATCH_MANAGER'] },
    });
    expect(body.user.drupal_user_id).toBe(claims.sub);

    const access = await t.deps.tokens.verify(body.access_token);
    expect(access).toMatchObject({ userId: body.user.id, roles: ['FAN', 'MATCH_MANAGER'] });
    // 15-minute access token.
    const payload = JSON.parse(
      Buffer.from(body.access_token.split('.')[1], 'base64url').toString(),
    );
    expect(payload.exp - payload.iat).toBe(15 * 60);

    const user = await t.deps.db
      .selectFrom('users')
      .selectAll()
      .where('drupal_user_id', '=', claims.sub)
      .executeTakeFirstOrThrow();
    expect(user).toMatchObject({ id: body.user.id, email: claims.email, status: 'active' });

    // Refresh token: stored only as its hash, 7 days, with the device id.
    const sessions = await t.deps.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.refresh_token_hash).toBe(sha256(body.refresh_token));
    expect(sessions[0]!.device_id).toBe('iphone-abc');
    expect(sessions[0]!.expires_at.getTime() - t.clock.now().getTime()).toBe(7 * 24 * 3600e3);
    expect(access?.sessionId).toBe(sessions[0]!.id);
  });

  it('syncs email, status and Drupal roles on every login, keeping one local user', async () => {
    const claims = newDrupalUser({ roles: ['accountant'] });
    const first = await loginAs(claims);
    expect(first.user.roles).toEqual(['FAN', 'FINANCE']);
    drupal.updateUser(claims.sub, { email: `NEW-${claims.email}`, roles: [] });
    const second = await loginAs({ ...claims, email: `NEW-${claims.email}`, roles: [] });
    expect(second.user.id).toBe(first.user.id);
    expect(second.user.email).toBe(`new-${claims.email}`);
    expect(second.user.roles).toEqual(['FAN']);
  });

  it('refuses invalid, expired, forged and deleted-user tokens with 401 SSO_TOKEN_INVALID', async () => {
    const claims = newDrupalUser();
    const cases = {
      garbage: 'not-a-token',
      expired: await drupal.issue(claims, { expiresIn: -60 }),
      forged: await drupal.forge(newDrupalUser()),
    };
    for (const [name, token] of Object.entries(cases)) {
      const res = await login(token);
      expect(res.statusCode, name).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json().code, name).toBe('SSO_TOKEN_INVALID');
    }
    const gone = newDrupalUser();
    const token = await drupal.issue(gone);
    drupal.deleteUser(gone.sub);
    const res = await login(token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('SSO_TOKEN_INVALID');
    const local = await t.deps.db
      .selectFrom('users')
      .select('id')
      .where('drupal_user_id', 'in', [claims.sub, gone.sub])
      .execute();
    expect(local).toEqual([]);
  });

  it('validates the request body', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/auth/login',
      payload: { drupal_token: 'x' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ field: 'body.device_id' })]);
  });

  it('refuses a user blocked in Drupal (403), marks them suspended and ends their sessions', async () => {
    const claims = newDrupalUser();
    const active = await loginAs(claims);
    drupal.updateUser(claims.sub, { status: 0 });
    const res = await login(await drupal.issue({ ...claims, status: 0 }));
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('USER_SUSPENDED');
    const user = await t.deps.db
      .selectFrom('users')
      .select('status')
      .where('id', '=', active.user.id)
      .executeTakeFirstOrThrow();
    expect(user.status).toBe('suspended');
    // The session opened before the block is over.
    const again = await refresh(active.refresh_token);
    expect(again.statusCode).toBe(401);

    // Unblocked in Drupal: the next login syncs the status back.
    drupal.updateUser(claims.sub, { status: 1 });
    const back = await loginAs({ ...claims, status: 1 });
    expect(back.user.status).toBe('active');
  });

  it('caches a validation for 5 minutes under the token hash: the second login does not call Drupal', async () => {
    const token = await drupal.issue(newDrupalUser());
    const before = drupal.userinfoCalls;
    expect((await login(token, 'a')).statusCode).toBe(200);
    expect((await login(token, 'b')).statusCode).toBe(200);
    expect(drupal.userinfoCalls - before).toBe(1);

    const raw = new Redis(TEST_REDIS_URL);
    try {
      const key = `${t.redisPrefix}sso:${sha256(token)}`;
      const ttl = await raw.ttl(key);
      expect(ttl).toBeGreaterThan(290);
      expect(ttl).toBeLessThanOrEqual(300);
      const keys = await raw.keys(`${t.redisPrefix}*`);
      for (const k of keys) {
        expect(k).not.toContain(token);
        const type = await raw.type(k);
        if (type === 'string') expect(await raw.get(k)).not.toContain(token);
      }
    } finally {
      raw.disconnect();
    }
  });
});

describe('refresh tokens and logout (E1-F2)', () => {
  it('rotates the refresh token; reusing a rotated one revokes the session', async () => {
    const session = await loginAs(newDrupalUser());
    const r1 = await refresh(session.refresh_token);
    expect(r1.statusCode, r1.body).toBe(200);
    const pair1 = r1.json();
    expect(pair1.refresh_token).not.toBe(session.refresh_token);
    expect(await t.deps.tokens.verify(pair1.access_token)).toMatchObject({
      userId: session.user.id,
    });

    const r2 = await refresh(pair1.refresh_token);
    expect(r2.statusCode).toBe(200);
    const pair2 = r2.json();

    // The first token again: reuse, the whole session is revoked…
    const reuse = await refresh(session.refresh_token);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('REFRESH_TOKEN_REUSED');
    // …so even the newest token of the session no longer works.
    const after = await refresh(pair2.refresh_token);
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('REFRESH_TOKEN_INVALID');

    const row = await t.deps.db
      .selectFrom('sessions')
      .select(['revoked_at', 'revoked_reason'])
      .where('user_id', '=', session.user.id)
      .executeTakeFirstOrThrow();
    expect(row.revoked_reason).toBe('reuse_detected');
  });

  it('lets only one of two concurrent refreshes with the same token succeed', async () => {
    const session = await loginAs(newDrupalUser());
    const results = await Promise.all([
      refresh(session.refresh_token),
      refresh(session.refresh_token),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it('refuses unknown and expired refresh tokens', async () => {
    const unknown = await refresh('x'.repeat(43));
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().code).toBe('REFRESH_TOKEN_INVALID');

    const session = await loginAs(newDrupalUser());
    t.clock.advance(7 * 24 * 3600e3 + 1000);
    try {
      const expired = await refresh(session.refresh_token);
      expect(expired.statusCode).toBe(401);
      expect(expired.json().code).toBe('REFRESH_TOKEN_INVALID');
    } finally {
      t.clock.advance(-(7 * 24 * 3600e3 + 1000));
    }
  });

  it('logout ends the session: its refresh and access tokens stop working', async () => {
    const session = await loginAs(newDrupalUser());
    const other = await loginAs(newDrupalUser());
    const out = await t.request({
      method: 'POST',
      url: '/auth/logout',
      token: session.access_token,
    });
    expect(out.statusCode).toBe(204);
    expect((await refresh(session.refresh_token)).json().code).toBe('REFRESH_TOKEN_INVALID');
    // Its access token is refused too (test/identity/revocation.test.ts: on every instance).
    const gone = await t.request({ method: 'GET', url: '/users/me', token: session.access_token });
    expect(gone.statusCode).toBe(401);
    // Another user's session is untouched, even when its refresh token is named.
    const mine = await loginAs(newDrupalUser());
    const sneaky = await t.request({
      method: 'POST',
      url: '/auth/logout',
      token: mine.access_token,
      payload: { refresh_token: other.refresh_token },
    });
    expect(sneaky.statusCode).toBe(204);
    expect((await refresh(other.refresh_token)).statusCode).toBe(200);
  });
});

describe('GET /users/me and roles', () => {
  it('returns the user with roles from user_roles, reaching the token at the next refresh', async () => {
    const claims = newDrupalUser();
    const session = await loginAs(claims);
    const me = await t.request({ method: 'GET', url: '/users/me', token: session.access_token });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      id: session.user.id,
      email: claims.email,
      drupal_user_id: claims.sub,
      status: 'active',
      roles: ['FAN'],
    });

    await changeRoleByEmail(t.deps, 'grant', claims.email, 'SUPPORT_AGENT');
    const me2 = await t.request({ method: 'GET', url: '/users/me', token: session.access_token });
    expect(me2.json().roles).toEqual(['FAN', 'SUPPORT_AGENT']);
    const pair = (await refresh(session.refresh_token)).json();
    expect((await t.deps.tokens.verify(pair.access_token))?.roles).toEqual([
      'FAN',
      'SUPPORT_AGENT',
    ]);

    await changeRoleByEmail(t.deps, 'revoke', claims.email, 'SUPPORT_AGENT');
    const pair2 = (await refresh(pair.refresh_token)).json();
    expect((await t.deps.tokens.verify(pair2.access_token))?.roles).toEqual(['FAN']);
  });

  it('GET/PUT /admin/users/{id}/roles for SUPER_ADMIN', async () => {
    const admin = await createUser(t.deps, { roles: ['SUPER_ADMIN'] });
    const fan = await createUser(t.deps);
    const url = `/admin/users/${fan.id}/roles`;

    const initial = await t.request({ method: 'GET', url, token: admin.token });
    expect(initial.statusCode).toBe(200);
    expect(initial.json()).toEqual({
      user_id: fan.id,
      email: fan.email,
      roles: ['FAN'],
      granted: ['FAN'],
      sso: [],
    });

    const put = await t.request({
      method: 'PUT',
      url,
      token: admin.token,
      payload: { roles: ['MATCH_MANAGER', 'FINANCE'] },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().roles).toEqual(['FAN', 'FINANCE', 'MATCH_MANAGER']);
    const rows = await t.deps.db
      .selectFrom('user_roles')
      .select(['role', 'granted_by'])
      .where('user_id', '=', fan.id)
      .where('role', '!=', 'FAN')
      .execute();
    expect(rows.sort((a, b) => a.role.localeCompare(b.role))).toEqual([
      { role: 'FINANCE', granted_by: admin.id },
      { role: 'MATCH_MANAGER', granted_by: admin.id },
    ]);

    const narrowed = await t.request({
      method: 'PUT',
      url,
      token: admin.token,
      payload: { roles: ['FINANCE'] },
    });
    expect(narrowed.json().roles).toEqual(['FAN', 'FINANCE']);

    const self = await t.request({
      method: 'PUT',
      url: `/admin/users/${admin.id}/roles`,
      token: admin.token,
      payload: { roles: [] },
    });
    expect(self.statusCode).toBe(409);

    const missing = await t.request({
      method: 'GET',
      url: `/admin/users/${randomUUID()}/roles`,
      token: admin.token,
    });
    expect(missing.statusCode).toBe(404);

    const byFan = await t.request({ method: 'GET', url, token: fan.token });
    expect(byFan.statusCode).toBe(403);
    const bad = await t.request({
      method: 'PUT',
      url,
      token: admin.token,
      payload: { roles: ['KING'] },
    });
    expect(bad.statusCode).toBe(400);
  });
});
