import { createHash } from 'node:crypto';
import type { AppDeps } from '../../deps.ts';
import {
  DrupalSsoError,
  getDrupalSsoClient,
  type DrupalIdentity,
} from '../../platform/adapters/drupal/drupal-sso.ts';
import { AppError } from '../../platform/errors.ts';

/**
 * DrupalSsoService (E1-F2): validates a Drupal token, with the answer cached in Redis for
 * 5 minutes (never past the token's own expiry) so a burst of logins does not become a
 * burst of calls to Drupal. The key is the SHA-256 of the token: a Redis dump reveals no
 * usable token. Redis trouble only costs the cache, never the login.
 */
export const SSO_CACHE_TTL_SECONDS = 5 * 60;

type Deps = Pick<AppDeps, 'config' | 'redis' | 'clock' | 'logger'>;

export const ssoCacheKey = (token: string) =>
  `sso:${createHash('sha256').update(token).digest('hex')}`;

export async function validateDrupalToken(deps: Deps, token: string): Promise<DrupalIdentity> {
  const client = getDrupalSsoClient(deps.config);
  if (!client) throw new AppError('SSO_UNAVAILABLE', 'Drupal SSO is not configured');
  const key = ssoCacheKey(token);

  const cached = await deps.redis.get(key).catch((err: unknown) => {
    deps.logger.warn({ err }, 'SSO cache read failed');
    return null;
  });
  if (cached) {
    try {
      return JSON.parse(cached) as DrupalIdentity;
    } catch (err) {
      // A corrupt entry is a cache miss, not a failed login.
      deps.logger.warn({ err }, 'SSO cache entry unreadable');
    }
  }

  let identity: DrupalIdentity;
  try {
    identity = await client.validate(token);
  } catch (err) {
    if (err instanceof DrupalSsoError && err.kind === 'invalid') {
      throw new AppError('SSO_TOKEN_INVALID', 'The Drupal token is invalid or expired', {
        cause: err,
      });
    }
    // Anything else (network, timeout, garbage, a bug in parsing Drupal's answer) means we
    // cannot tell: 503, never a 500, so clients retry instead of logging the user out.
    deps.logger.warn({ err }, 'Drupal SSO unavailable');
    throw new AppError('SSO_UNAVAILABLE', 'The Drupal login service is unavailable, try again', {
      cause: err,
    });
  }

  const now = Math.floor(deps.clock.now().getTime() / 1000);
  const ttl = Math.min(
    SSO_CACHE_TTL_SECONDS,
    identity.expires_at === null ? SSO_CACHE_TTL_SECONDS : identity.expires_at - now,
  );
  if (ttl > 0) {
    await deps.redis.set(key, JSON.stringify(identity), 'EX', ttl).catch((err: unknown) => {
      deps.logger.warn({ err }, 'SSO cache write failed');
    });
  }
  return identity;
}
