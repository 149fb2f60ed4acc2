import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Config } from '../../config.ts';
import type { Role } from '../../platform/auth/roles.ts';

/**
 * The signed part of a report download link: which export, who asked and with which role,
 * until when. Signed with the API's JWT secrets (the first signs, all verify, so rotation
 * keeps links valid) under an audience of its own, so neither token passes for the other.
 */
const AUDIENCE = 'hns-report-download';

export interface DownloadClaims {
  exportId: string;
  userId: string;
  role: Role;
  expiresAt: Date;
}

const keyOf = (secret: string) => new TextEncoder().encode(secret);

export async function signDownloadToken(
  config: Pick<Config, 'JWT_SECRETS' | 'JWT_ISSUER'>,
  claims: DownloadClaims,
): Promise<string> {
  return new SignJWT({ uid: claims.userId, role: claims.role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.exportId)
    .setIssuer(config.JWT_ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
    .sign(keyOf(config.JWT_SECRETS[0]!));
}

/** The claims of a valid, unexpired token at `now`; undefined for anything else. */
export async function verifyDownloadToken(
  config: Pick<Config, 'JWT_SECRETS' | 'JWT_ISSUER'>,
  token: string,
  now: Date,
): Promise<DownloadClaims | undefined> {
  for (const secret of config.JWT_SECRETS) {
    try {
      const { payload } = await jwtVerify(token, keyOf(secret), {
        issuer: config.JWT_ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: now,
      });
      if (typeof payload.sub !== 'string' || typeof payload.uid !== 'string') return undefined;
      return {
        exportId: payload.sub,
        userId: payload.uid,
        role: payload.role as Role,
        expiresAt: new Date((payload.exp ?? 0) * 1000),
      };
    } catch (err) {
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) continue;
      return undefined;
    }
  }
  return undefined;
}
