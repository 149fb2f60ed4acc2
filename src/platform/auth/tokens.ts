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

const keyId = (secret: string) =>
  createHash('sha256').update(secret).digest('base64url').slice(0, 12);

export function createTokenService(opts: TokenServiceOptions): TokenService {
  const keys = new Map(opts.secrets.map((s) => [keyId(s), new TextEncoder().encode(s)]));
  const signingSecret = opts.secrets[0];
  if (!signingSecret) throw new Error('at least one JWT secret is required');
  const signingKid = keyId(signingSecret);
  const now = opts.now ?? (() => new Date());

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
        return {
          userId: payload.sub,
          roles,
          sessionId: typeof payload.sid === 'string' ? payload.sid : undefined,
        };
      } catch {
        return null;
      }
    },
  };
}
