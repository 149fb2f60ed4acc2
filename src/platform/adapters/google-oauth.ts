/**
 * OAuth2 access tokens for a Google service account (RFC 7523 JWT bearer assertion, RS256
 * signed with the account's private key by jose), cached until a minute before they expire,
 * one request in flight at a time. FCM and Google Wallet both use it.
 */
import { importPKCS8, SignJWT } from 'jose';

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface ServiceAccount {
  project_id?: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

export class GoogleOAuthError extends Error {
  /** HTTP status (401 for a refused assertion); undefined when unreachable. */
  readonly status: number | undefined;
  readonly errorCode: string | undefined;
  constructor(message: string, status?: number, errorCode?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GoogleOAuthError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

export interface AccessTokenSource {
  get(): Promise<string>;
  /** Forgets the cached token (the API answered 401: revoked or expired early). */
  reset(): void;
}

export function serviceAccountTokens(options: {
  account: ServiceAccount;
  scope: string;
  tokenUrl?: string;
  timeoutMs?: number;
  now?: () => Date;
}): AccessTokenSource {
  const { account, scope } = options;
  const tokenUrl = options.tokenUrl ?? account.token_uri ?? GOOGLE_TOKEN_URL;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  let cached: { token: string; expiresAt: number } | null = null;
  let inflight: Promise<string> | null = null;

  async function fetchAccessToken(): Promise<string> {
    const key = await importPKCS8(account.private_key, 'RS256');
    const issuedAt = Math.floor(now().getTime() / 1000);
    const assertion = await new SignJWT({ scope })
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        ...(account.private_key_id ? { kid: account.private_key_id } : {}),
      })
      .setIssuer(account.client_email)
      .setSubject(account.client_email)
      .setAudience(tokenUrl)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + 3600)
      .sign(key);
    let response: Response;
    try {
      response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion,
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new GoogleOAuthError(
        `OAuth2 token endpoint unreachable: ${(err as Error).message}`,
        undefined,
        undefined,
        { cause: err },
      );
    }
    const body = (await response.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
    };
    if (!response.ok || !body.access_token) {
      throw new GoogleOAuthError(
        `OAuth2 token request failed (${response.status}): ${body.error_description ?? body.error ?? 'no access_token'}`,
        response.status >= 500 ? response.status : 401,
        body.error,
      );
    }
    cached = {
      token: body.access_token,
      expiresAt: now().getTime() + ((body.expires_in ?? 3600) - 60) * 1000,
    };
    return body.access_token;
  }

  return {
    async get() {
      if (cached && cached.expiresAt > now().getTime()) return cached.token;
      inflight ??= fetchAccessToken().finally(() => {
        inflight = null;
      });
      return inflight;
    },
    reset() {
      cached = null;
    },
  };
}

/** A service-account setting: the JSON itself, or a path to the key file. */
export async function loadServiceAccountFrom(name: string, value: string): Promise<ServiceAccount> {
  const { readFile } = await import('node:fs/promises');
  const raw = value.trim().startsWith('{') ? value : await readFile(value, 'utf8');
  let parsed: Partial<ServiceAccount>;
  try {
    parsed = JSON.parse(raw) as Partial<ServiceAccount>;
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
  if (!parsed.client_email || !parsed.private_key) {
    throw new Error(`${name}: the service account needs client_email and private_key`);
  }
  return parsed as ServiceAccount;
}
