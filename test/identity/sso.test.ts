import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { login } from '../../src/modules/identity/auth.service.ts';
import { AppError } from '../../src/platform/errors.ts';
import { useTestContext } from '../harness/context.ts';
import { startDrupalOidc, startFaultyDrupal } from '../harness/servers/oidc.ts';

// Drupal failing in every way a real one can, behind the userinfo URL the app is given.
const faulty = await startFaultyDrupal();
// A real OIDC provider for local (JWKS) validation.
const drupal = await startDrupalOidc();
afterAll(async () => {
  await faulty.close();
  await drupal.close();
});

const t = useTestContext({
  env: { DRUPAL_USERINFO_URL: faulty.url, DRUPAL_TIMEOUT_MS: '400' },
});

const loginHttp = (token: string) =>
  t.request({
    method: 'POST',
    url: '/auth/login',
    payload: { drupal_token: token, device_id: 'device-x' },
  });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/userinfo`;
}

describe('Drupal unavailable or misbehaving → 503 SSO_UNAVAILABLE, never 500', () => {
  it.each([
    ['answering 500', 'status-500'],
    ['answering invalid JSON', 'invalid-json'],
    ['answering JSON that is not a userinfo document', 'not-userinfo'],
  ] as const)('Drupal %s', async (_name, mode) => {
    faulty.mode = mode;
    const res = await loginHttp(`token-${mode}`);
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().code).toBe('SSO_UNAVAILABLE');
  });

  it('Drupal slower than DRUPAL_TIMEOUT_MS (headers sent, body never finished)', async () => {
    faulty.mode = 'hang';
    const started = Date.now();
    const res = await loginHttp('token-hang');
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('SSO_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('Drupal down (connection refused)', async () => {
    const deps = { ...t.deps, config: { ...t.config, DRUPAL_USERINFO_URL: await closedPortUrl() } };
    expect(await codeOf(login(deps, { drupal_token: 'tok', device_id: 'd' }))).toBe(
      'SSO_UNAVAILABLE',
    );
  });

  it('does not cache failures: the next call after recovery reaches Drupal and succeeds', async () => {
    faulty.mode = 'status-500';
    expect((await loginHttp('token-recovering')).statusCode).toBe(503);
    faulty.mode = 'ok';
    const before = faulty.requests;
    const res = await loginHttp('token-recovering');
    expect(res.statusCode, res.body).toBe(200);
    expect(faulty.requests - before).toBe(1);
    expect(res.json().user.email).toBe('faulty-ok@example.hr');
  });

  it('answers 503 when no Drupal is configured', async () => {
    const deps = { ...t.deps, config: { ...t.config, DRUPAL_USERINFO_URL: undefined } };
    expect(await codeOf(login(deps, { drupal_token: 'tok', device_id: 'd' }))).toBe(
      'SSO_UNAVAILABLE',
    );
  });
});

describe('local validation against Drupal JWKS', () => {
  const jwksDeps = () => ({
    ...t.deps,
    config: {
      ...t.config,
      DRUPAL_USERINFO_URL: undefined,
      DRUPAL_JWKS_URL: drupal.jwksUrl,
      DRUPAL_ISSUER: drupal.issuer,
      DRUPAL_AUDIENCE: drupal.audience,
      DRUPAL_ROLE_MAP: { administrator: 'SUPER_ADMIN' as const },
    },
  });
  // One config object for the describe: the JWKS client (and its key cache) is per config.
  let deps: ReturnType<typeof jwksDeps>;
  const run = (token: string) =>
    codeOf(login((deps ??= jwksDeps()), { drupal_token: token, device_id: 'd' }));

  it('accepts a valid token without calling userinfo, mapping roles', async () => {
    deps ??= jwksDeps();
    const before = drupal.userinfoCalls;
    const token = await drupal.issue({
      sub: '501',
      email: 'Admin@HNS.hr',
      status: true,
      roles: ['authenticated', 'administrator'],
    });
    const result = await login(deps, { drupal_token: token, device_id: 'd' });
    expect(result.user).toMatchObject({
      drupal_user_id: '501',
      email: 'admin@hns.hr',
      roles: ['FAN', 'SUPER_ADMIN'],
    });
    expect(drupal.userinfoCalls).toBe(before);
  });

  it('refuses expired, forged, wrong-audience and malformed tokens with SSO_TOKEN_INVALID', async () => {
    const claims = { sub: '502', email: 'fan502@example.hr' };
    expect(await run(await drupal.issue(claims, { expiresIn: -120 }))).toBe('SSO_TOKEN_INVALID');
    expect(await run(await drupal.forge(claims))).toBe('SSO_TOKEN_INVALID');
    expect(await run(await drupal.issue(claims, { audience: 'someone-else' }))).toBe(
      'SSO_TOKEN_INVALID',
    );
    expect(await run('a.b.c')).toBe('SSO_TOKEN_INVALID');
  });

  it('refuses a blocked Drupal user with USER_SUSPENDED', async () => {
    const token = await drupal.issue({ sub: '503', email: 'blocked@example.hr', status: 0 });
    expect(await run(token)).toBe('USER_SUSPENDED');
  });

  it('answers SSO_UNAVAILABLE when the JWKS cannot be fetched', async () => {
    const token = await drupal.issue({ sub: '504', email: 'fan504@example.hr' });
    for (const mode of ['status-500', 'hang', 'invalid-json'] as const) {
      faulty.mode = mode;
      const broken = {
        ...jwksDeps(),
        config: { ...jwksDeps().config, DRUPAL_JWKS_URL: faulty.url },
      };
      expect(await codeOf(login(broken, { drupal_token: token, device_id: 'd' })), mode).toBe(
        'SSO_UNAVAILABLE',
      );
    }
  });
});
