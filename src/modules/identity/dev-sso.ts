import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Config } from '../../config.ts';
import type { Logger } from '../../platform/logging.ts';

/**
 * Trying the API without a Drupal site (development only, refused in production): `npm
 * start` runs a local OpenID Connect issuer and points DRUPAL_JWKS_URL / DRUPAL_ISSUER /
 * DRUPAL_AUDIENCE at it when no Drupal is configured, and `hns-ticketing dev-token <email>`
 * prints a token that issuer would have issued, for POST /auth/login.
 *
 * The signing key is kept in DATA_DIR/dev-oidc/signing-key.json, so the CLI can sign
 * without talking to the running server and tokens stay valid across restarts.
 */
export const DEV_AUDIENCE = 'hns-ticketing-dev';

export class DevSsoRefused extends Error {
  constructor(what: string) {
    super(`${what} is for development only and is refused when NODE_ENV=production`);
    this.name = 'DevSsoRefused';
  }
}

type DevConfig = Pick<Config, 'NODE_ENV' | 'DATA_DIR' | 'DEV_OIDC_PORT'>;

export const devIssuerUrl = (config: DevConfig) => `http://127.0.0.1:${config.DEV_OIDC_PORT}`;

async function devSigningKey(config: DevConfig): Promise<JWK & { kid: string }> {
  const file = path.join(config.DATA_DIR, 'dev-oidc', 'signing-key.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as JWK & { kid: string };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = createHash('sha256').update(jwk.n!).digest('base64url').slice(0, 16);
  const key = { ...jwk, kid, alg: 'RS256', use: 'sig' };
  await mkdir(path.dirname(file), { recursive: true });
  // 'wx': of two processes creating it at once, one wins and the other reads its key.
  try {
    await writeFile(file, JSON.stringify(key), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return devSigningKey(config);
    throw err;
  }
  return key;
}

export interface DevIssuer {
  url: string;
  /** The configuration with DRUPAL_* pointing at this issuer. */
  config: Config;
  stop(): Promise<void>;
}

export async function startDevOidcIssuer(config: Config, logger?: Logger): Promise<DevIssuer> {
  if (config.NODE_ENV === 'production') throw new DevSsoRefused('The local OIDC issuer');
  // A development tool: loaded only here, so production installs without it (--omit=dev).
  const { OAuth2Server } = await import('oauth2-mock-server');
  const server = new OAuth2Server();
  await server.issuer.keys.add(await devSigningKey(config));
  await server.start(config.DEV_OIDC_PORT, '127.0.0.1');
  const url = devIssuerUrl(config);
  server.issuer.url = url;
  logger?.warn(
    { issuer: url },
    'no Drupal configured: local development OIDC issuer running (get a token with `node bin/hns-ticketing.js dev-token <email>`)',
  );
  return {
    url,
    config: {
      ...config,
      DRUPAL_JWKS_URL: `${url}/jwks`,
      DRUPAL_ISSUER: url,
      DRUPAL_AUDIENCE: DEV_AUDIENCE,
    },
    stop: () => server.stop(),
  };
}

/** For `start`: outside production and with no Drupal configured, use a local issuer. */
export async function withDevSso(config: Config, logger: Logger): Promise<Config> {
  if (config.NODE_ENV === 'production') return config;
  if (config.DRUPAL_USERINFO_URL || config.DRUPAL_JWKS_URL) return config;
  return (await startDevOidcIssuer(config, logger)).config;
}

/** A Drupal-like token for `email`, signed with the local issuer's key (1 hour). */
export async function createDevToken(
  config: DevConfig,
  email: string,
  options: { roles?: string[]; blocked?: boolean; ttlSeconds?: number } = {},
): Promise<string> {
  if (config.NODE_ENV === 'production') throw new DevSsoRefused('dev-token');
  const key = await devSigningKey(config);
  const normalized = email.trim().toLowerCase();
  // A stable Drupal-style numeric user id per email, so each email is one local user.
  const sub = String(
    parseInt(createHash('sha256').update(normalized).digest('hex').slice(0, 12), 16),
  );
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    email: normalized,
    name: normalized.split('@')[0],
    status: options.blocked ? 0 : 1,
    roles: ['authenticated', ...(options.roles ?? [])],
  })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(devIssuerUrl(config))
    .setAudience(DEV_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSeconds ?? 3600))
    .sign(await importJWK(key, 'RS256'));
}
