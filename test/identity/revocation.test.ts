import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOib } from '../../src/modules/identity/oib.ts';
import {
  REVOCATION_SYNC_MS,
  SESSION_REVOKED_CLOSE_CODE,
} from '../../src/modules/identity/revocations.ts';
import { createUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { startDrupalOidc, type DrupalClaims } from '../harness/servers/oidc.ts';
import { waitFor } from '../harness/wait.ts';
import { createMatch } from '../queue/helpers.ts';

// Two API instances on one database and one Redis prefix: a revocation made through one
// must reach the other within seconds, with no database read per request.
const drupal = await startDrupalOidc();
afterAll(() => drupal.close());
const t = useTestContext({ env: { DRUPAL_USERINFO_URL: drupal.userinfoUrl } });

let a: FastifyInstance;
let b: FastifyInstance;
beforeAll(async () => {
  a = await t.newApp();
  b = await t.newApp();
});

let nextSub = 5000;
const newDrupalUser = (extra: Partial<DrupalClaims> = {}): DrupalClaims => {
  const sub = String(nextSub++);
  return { sub, email: `rev${sub}@example.hr`, status: 1, roles: ['authenticated'], ...extra };
};

const login = async (app: FastifyInstance, claims: DrupalClaims) =>
  app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { drupal_token: await drupal.issue(claims), device_id: 'phone' },
  });

async function loginAs(app: FastifyInstance, claims: DrupalClaims) {
  const res = await login(app, claims);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { access_token: string; refresh_token: string; user: { id: string } };
}

const me = (app: FastifyInstance, token: string) =>
  app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } });

/** The token stops working on `app` within a few seconds (it worked before). */
async function refusedSoon(app: FastifyInstance, token: string) {
  const started = Date.now();
  await waitFor(async () => (await me(app, token)).statusCode === 401, {
    timeoutMs: 5_000,
    intervalMs: 20,
    what: 'the revoked token refused',
  });
  const res = await me(app, token);
  expect(res.json().code).toBe('TOKEN_INVALID');
  return Date.now() - started;
}

describe('revocation within seconds on every instance (issue 18)', () => {
  it('logout on one instance: the next request on the other is refused; other sessions stay', async () => {
    const claims = newDrupalUser();
    const phone = await loginAs(a, claims);
    const laptop = await loginAs(a, claims);
    expect((await me(b, phone.access_token)).statusCode).toBe(200);

    const out = await a.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { authorization: `Bearer ${phone.access_token}` },
    });
    expect(out.statusCode).toBe(204);
    // Pub/sub: well within a second, not at the next sync.
    expect(await refusedSoon(b, phone.access_token)).toBeLessThan(REVOCATION_SYNC_MS);
    expect((await me(a, phone.access_token)).statusCode).toBe(401);
    expect((await me(b, laptop.access_token)).statusCode).toBe(200);
  });

  it('suspension on one instance (Drupal blocked, seen at login): the other refuses every token of the user', async () => {
    const claims = newDrupalUser();
    const phone = await loginAs(a, claims);
    const laptop = await loginAs(b, claims);
    drupal.updateUser(claims.sub, { status: 0 });
    const refused = await login(a, { ...claims, status: 0 });
    expect(refused.json().code).toBe('USER_SUSPENDED');
    await refusedSoon(b, phone.access_token);
    await refusedSoon(b, laptop.access_token);
    await refusedSoon(a, laptop.access_token);
  });

  it('refresh-token reuse: the access tokens of the whole session stop working', async () => {
    const session = await loginAs(a, newDrupalUser());
    const rotated = await a.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: session.refresh_token },
    });
    const newest = rotated.json().access_token as string;
    expect((await me(b, newest)).statusCode).toBe(200);
    const reuse = await a.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: session.refresh_token },
    });
    expect(reuse.json().code).toBe('REFRESH_TOKEN_REUSED');
    await refusedSoon(b, newest);
    await refusedSoon(b, session.access_token);
  });

  it('blacklisting the OIB of a fan’s default profile ends the fan’s sessions everywhere', async () => {
    const fan = await loginAs(a, newDrupalUser());
    const oib = generateOib();
    const profile = await a.inject({
      method: 'POST',
      url: '/users/me/profile',
      headers: { authorization: `Bearer ${fan.access_token}` },
      payload: { full_name: 'Ivan Horvat', date_of_birth: '1990-04-12', nationality: 'HR', oib },
    });
    expect(profile.statusCode, profile.body).toBe(201);
    const supervisor = await createUser(t.deps, { roles: ['SUPPORT_SUPERVISOR'] });
    const entry = await a.inject({
      method: 'POST',
      url: '/admin/blacklist',
      headers: { authorization: `Bearer ${supervisor.token}` },
      payload: { oib, first_name: 'Ivan', last_name: 'Horvat' },
    });
    expect(entry.statusCode, entry.body).toBe(201);
    await refusedSoon(b, fan.access_token);
    const again = await b.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: fan.refresh_token },
    });
    expect(again.json().code).toBe('REFRESH_TOKEN_INVALID');
  });

  it('a revocation whose announcement was lost still arrives with the next sync of the database', async () => {
    const session = await loginAs(a, newDrupalUser());
    expect((await me(b, session.access_token)).statusCode).toBe(200);
    // Written as another process would, without the pub/sub message.
    await t.deps.db
      .updateTable('sessions')
      .set({ revoked_at: t.clock.now(), revoked_reason: 'logout' })
      .where('user_id', '=', session.user.id)
      .execute();
    expect(await refusedSoon(b, session.access_token)).toBeLessThan(REVOCATION_SYNC_MS + 1_500);
  });

  it('an open waiting-room WebSocket of the session is closed when it is revoked elsewhere', async () => {
    const matchId = await createMatch(t.deps);
    const session = await loginAs(a, newDrupalUser());
    const other = await loginAs(a, newDrupalUser());
    await b.listen({ port: 0, host: '127.0.0.1' });
    const url = `ws://127.0.0.1:${(b.server.address() as AddressInfo).port}/queue/${matchId}/ws`;
    const open = (token: string) => {
      const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
      const closed = new Promise<number>((resolve) => socket.once('close', resolve));
      const opened = new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      return { socket, closed, opened };
    };
    const mine = open(session.access_token);
    const theirs = open(other.access_token);
    await Promise.all([mine.opened, theirs.opened]);
    // The upgrade is answered before the route's handler has run; let it register.
    await new Promise((r) => setTimeout(r, 200));
    await a.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { authorization: `Bearer ${session.access_token}` },
    });
    const started = Date.now();
    expect(await mine.closed).toBe(SESSION_REVOKED_CLOSE_CODE);
    expect(Date.now() - started).toBeLessThan(REVOCATION_SYNC_MS);
    expect(theirs.socket.readyState).toBe(WebSocket.OPEN);
    theirs.socket.terminate();
  });

  it('a new instance knows the sessions revoked before it started', async () => {
    const session = await loginAs(a, newDrupalUser());
    await a.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { authorization: `Bearer ${session.access_token}` },
    });
    const c = await t.newApp();
    expect((await me(c, session.access_token)).statusCode).toBe(401);
  });
});
