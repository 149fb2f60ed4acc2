import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { Config } from '../../../config.ts';

/**
 * Drupal SSO (E1-F2): turns a Drupal token into the identity it names, by one of two
 * standard OIDC mechanisms:
 *  - `jwks`: the token is a JWT signed by Drupal; verified locally against Drupal's JWKS
 *    (fetched and cached by jose), issuer and audience (DRUPAL_JWKS_URL, DRUPAL_ISSUER,
 *    DRUPAL_AUDIENCE). No call to Drupal per login once the keys are cached.
 *  - `userinfo`: the token is sent to Drupal's OIDC userinfo endpoint (DRUPAL_USERINFO_URL);
 *    Drupal answers the claims, or 401 for a token it does not accept.
 *
 * Failures are split in two, because callers answer them differently: the token is bad
 * (`invalid`: 401 for the fan) or Drupal cannot tell us right now (`unavailable`: down,
 * slower than DRUPAL_TIMEOUT_MS, answering something that is not a userinfo document).
 */
export interface DrupalIdentity {
  /** Drupal's user id (`sub`). */
  drupal_user_id: string;
  email: string;
  /** The Drupal account is blocked (status claim 0 / false / "blocked"). */
  blocked: boolean;
  /** Drupal role machine names (`roles` claim). */
  roles: string[];
  /** When the Drupal token expires (epoch seconds), when known. */
  expires_at: number | null;
}

export class DrupalSsoError extends Error {
  readonly kind: 'invalid' | 'unavailable';
  constructor(kind: 'invalid' | 'unavailable', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DrupalSsoError';
    this.kind = kind;
  }
}

export interface DrupalSsoClient {
  readonly mode: 'jwks' | 'userinfo';
  /** Throws DrupalSsoError. */
  validate(token: string): Promise<DrupalIdentity>;
}

type DrupalConfig = Pick<
  Config,
  | 'DRUPAL_USERINFO_URL'
  | 'DRUPAL_JWKS_URL'
  | 'DRUPAL_ISSUER'
  | 'DRUPAL_AUDIENCE'
  | 'DRUPAL_TIMEOUT_MS'
>;

const claimsSchema = z.object({
  // Drupal user ids are integers; some OIDC modules send them as numbers.
  sub: z.union([z.string().min(1).max(255), z.number().int().nonnegative()]).transform(String),
  email: z.email().max(254),
  status: z.union([z.boolean(), z.number(), z.string()]).optional(),
  roles: z.array(z.string()).optional(),
  exp: z.number().optional(),
});

const BLOCKED = new Set(['0', 'false', 'blocked', 'inactive', 'disabled']);

function toIdentity(claims: unknown): DrupalIdentity {
  const parsed = claimsSchema.safeParse(claims);
  if (!parsed.success) {
    throw new DrupalSsoError(
      'unavailable',
      `Drupal's claims lack a usable sub/email (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`,
    );
  }
  const c = parsed.data;
  return {
    drupal_user_id: c.sub,
    email: c.email.toLowerCase(),
    blocked: c.status !== undefined && BLOCKED.has(String(c.status).toLowerCase()),
    roles: c.roles ?? [],
    expires_at: c.exp ?? null,
  };
}

/** jose errors that mean "this token is not acceptable", as opposed to "cannot check now". */
const TOKEN_ERRORS = new Set<string>([
  joseErrors.JWTExpired.code,
  joseErrors.JWTClaimValidationFailed.code,
  joseErrors.JWTInvalid.code,
  joseErrors.JWSInvalid.code,
  joseErrors.JWSSignatureVerificationFailed.code,
  joseErrors.JOSEAlgNotAllowed.code,
  joseErrors.JOSENotSupported.code,
  joseErrors.JWKSNoMatchingKey.code,
  joseErrors.JWKSMultipleMatchingKeys.code,
]);

function jwksClient(
  config: DrupalConfig & {
    DRUPAL_JWKS_URL: string;
    DRUPAL_ISSUER: string;
    DRUPAL_AUDIENCE: string;
  },
): DrupalSsoClient {
  const keys = createRemoteJWKSet(new URL(config.DRUPAL_JWKS_URL), {
    timeoutDuration: config.DRUPAL_TIMEOUT_MS,
    // Re-fetch at most every 30 s when a token names an unknown key (Drupal rotated keys).
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
  });
  return {
    mode: 'jwks',
    async validate(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: config.DRUPAL_ISSUER,
          audience: config.DRUPAL_AUDIENCE,
          algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
          clockTolerance: 5,
        }));
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && TOKEN_ERRORS.has(code)) {
          throw new DrupalSsoError('invalid', `Drupal token rejected: ${code}`, { cause: err });
        }
        throw new DrupalSsoError('unavailable', 'Drupal JWKS could not be used', { cause: err });
      }
      return toIdentity(payload);
    },
  };
}

function userinfoClient(config: DrupalConfig & { DRUPAL_USERINFO_URL: string }): DrupalSsoClient {
  return {
    mode: 'userinfo',
    async validate(token) {
      let status: number;
      let text: string;
      try {
        // The deadline covers the whole exchange, body included.
        const res = await fetch(config.DRUPAL_USERINFO_URL, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          signal: AbortSignal.timeout(config.DRUPAL_TIMEOUT_MS),
          redirect: 'error',
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        throw new DrupalSsoError('unavailable', 'Drupal userinfo did not answer in time', {
          cause: err,
        });
      }
      // RFC 6750: a rejected bearer token is 401 (invalid_token); 400/403 are refusals too.
      if (status === 400 || status === 401 || status === 403) {
        throw new DrupalSsoError('invalid', `Drupal userinfo refused the token (${status})`);
      }
      if (status !== 200) {
        throw new DrupalSsoError('unavailable', `Drupal userinfo answered ${status}`);
      }
      let claims: unknown;
      try {
        claims = JSON.parse(text);
      } catch (err) {
        throw new DrupalSsoError('unavailable', 'Drupal userinfo answered invalid JSON', {
          cause: err,
        });
      }
      return toIdentity(claims);
    },
  };
}

/** The configured client: JWKS when its three variables are set, else userinfo, else none. */
export function createDrupalSsoClient(config: DrupalConfig): DrupalSsoClient | null {
  const { DRUPAL_JWKS_URL, DRUPAL_ISSUER, DRUPAL_AUDIENCE, DRUPAL_USERINFO_URL } = config;
  if (DRUPAL_JWKS_URL && DRUPAL_ISSUER && DRUPAL_AUDIENCE) {
    return jwksClient({ ...config, DRUPAL_JWKS_URL, DRUPAL_ISSUER, DRUPAL_AUDIENCE });
  }
  if (DRUPAL_USERINFO_URL) return userinfoClient({ ...config, DRUPAL_USERINFO_URL });
  return null;
}

const clients = new WeakMap<DrupalConfig, DrupalSsoClient | null>();

/** One client per configuration object, so the JWKS cache lives as long as the process. */
export function getDrupalSsoClient(config: DrupalConfig): DrupalSsoClient | null {
  if (!clients.has(config)) clients.set(config, createDrupalSsoClient(config));
  return clients.get(config) ?? null;
}
