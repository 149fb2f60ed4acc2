import { createHash } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { ROLES, type Role } from './roles.ts';

/**
 * Our own access tokens: short-lived HS256 JWTs. Several secrets may be configured for
 * rotation: the first signs, all verify (matched by key id, a hash of the secret).
 */
export interface AccessClaims {
  userId: string;
  roles: Role[];
  sessionId?: string;
}

export interface TokenService {
  sign(claims: AccessClaims, ttlSeconds?: number): Promise<string>;
  /** Returns the claims, or null when the token is invalid, expired or not ours. */
  verify(token: string): Promise<AccessClaims | null>;
}

export interface TokenServiceOptions {
  secrets: string[];
  issuer: string;
  audience: string;
  ttlSeconds: number;
  now?: () => Date;
}

/**
 * Verified tokens are remembered until they expire: a fan's app sends the same token with
 * every request, and HMAC verification through WebCrypto was the largest single CPU cost
 * of an on-sale request. Keyed by the whole token (signature included), so a hit is a
 * token already verified with these keys; only valid tokens are kept, and expiry is
 * checked on every hit. Bounded: the oldest entries go first.
 */
const VERIFIED_CACHE_MAX = 20_000;

const keyId = (secret: string) =>
  createHash('sha256').update(secret).digest('base64url').slice(0, 12);

export function createTokenService(opts: TokenServiceOptions): TokenService {
  const keys = new Map(opts.secrets.map((s) => [keyId(s), new TextEncoder().encode(s)]));
  const signingSecret = opts.secrets[0];
  if (!signingSecret) throw new Error('at least one JWT secret is required');
  const signingKid = keyId(signingSecret);
  const now = opts.now ?? (() => new Date());
  const verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();

  return {
    async sign(claims, ttlSeconds = opts.ttlSeconds) {
      const iat = Math.floor(now().getTime() / 1000);
      return new SignJWT({ roles: claims.roles, sid: claims.sessionId, typ: 'access' })
        .setProtectedHeader({ alg: 'HS256', kid: signingKid })
        .setSubject(claims.userId)
        .setIssuer(opts.issuer)
        .setAudience(opts.audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(keys.get(signingKid)!);
    },
    async verify(token) {
      const hit = verified.get(token);
      if (hit) {
        if (now().getTime() < hit.expiresAtMs) return hit.claims;
        verified.delete(token);
        return null;
      }
      try {
        const { payload } = await jwtVerify(
          token,
          async (header) => {
            const key = header.kid ? keys.get(header.kid) : undefined;
            if (!key) throw new joseErrors.JWKSNoMatchingKey();
            return key;
          },
          {
            issuer: opts.issuer,
            audience: opts.audience,
            algorithms: ['HS256'],
            currentDate: now(),
          },
        );
        if (payload.typ !== 'access' || typeof payload.sub !== 'string') return null;
        const roles = Array.isArray(payload.roles)
          ? payload.roles.filter((r): r is Role =>
              (ROLES as readonly string[]).includes(r as string),
            )
          : [];
        const claims: AccessClaims = {
          userId: payload.sub,
          roles,
          sessionId: typeof payload.sid === 'string' ? payload.sid : undefined,
        };
        if (typeof payload.exp === 'number') {
          if (verified.size >= VERIFIED_CACHE_MAX) verified.delete(verified.keys().next().value!);
          verified.set(token, { claims, expiresAtMs: payload.exp * 1000 });
        }
        return claims;
      } catch {
        return null;
      }
    },
  };
}
