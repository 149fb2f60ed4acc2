/**
 * Google Wallet API for event tickets:
 * - "Save to Google Wallet" links: `https://pay.google.com/gp/v/save/<JWT>`, the JWT signed
 *   RS256 with the issuer's service account (aud `google`, typ `savetowallet`) carrying the
 *   event ticket classes and objects to create on save;
 * - updates of saved objects: `PATCH {base}/walletobjects/v1/eventTicketObject/{id}` with an
 *   OAuth2 token of the service account (scope wallet_object.issuer).
 * The base and token URLs are configurable so tests run this client against a local server.
 */
import { importPKCS8, SignJWT } from 'jose';
import {
  serviceAccountTokens,
  type AccessTokenSource,
  type ServiceAccount,
} from '../google-oauth.ts';

export const WALLET_SCOPE = 'https://www.googleapis.com/auth/wallet_object.issuer';
export const SAVE_URL = 'https://pay.google.com/gp/v/save/';

export class GoogleWalletError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GoogleWalletError';
    this.status = status;
  }
}

export interface GoogleWalletClient {
  readonly issuerId: string;
  /** The save link for these classes and objects (created by Google when the fan saves). */
  saveLink(payload: {
    eventTicketClasses: object[];
    eventTicketObjects: object[];
  }): Promise<string>;
  /** Patches a saved object; `false` when Google has no such object (never saved). */
  patchObject(objectId: string, patch: object): Promise<boolean>;
}

export interface GoogleWalletOptions {
  issuerId: string;
  serviceAccount: ServiceAccount;
  origins?: readonly string[];
  baseUrl?: string;
  tokenUrl?: string;
  timeoutMs?: number;
  now?: () => Date;
  tokens?: AccessTokenSource;
}

export function createGoogleWalletClient(options: GoogleWalletOptions): GoogleWalletClient {
  const account = options.serviceAccount;
  const baseUrl = (options.baseUrl ?? 'https://walletobjects.googleapis.com').replace(/\/+$/, '');
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 10_000;
  const tokens =
    options.tokens ??
    serviceAccountTokens({
      account,
      scope: WALLET_SCOPE,
      tokenUrl: options.tokenUrl,
      timeoutMs,
      now,
    });
  return {
    issuerId: options.issuerId,
    async saveLink(payload) {
      const key = await importPKCS8(account.private_key, 'RS256');
      const jwt = await new SignJWT({
        typ: 'savetowallet',
        origins: [...(options.origins ?? [])],
        payload,
      })
        .setProtectedHeader({
          alg: 'RS256',
          typ: 'JWT',
          ...(account.private_key_id ? { kid: account.private_key_id } : {}),
        })
        .setIssuer(account.client_email)
        .setAudience('google')
        .setIssuedAt(Math.floor(now().getTime() / 1000))
        .sign(key);
      return SAVE_URL + jwt;
    },
    async patchObject(objectId, patch) {
      const url = `${baseUrl}/walletobjects/v1/eventTicketObject/${encodeURIComponent(objectId)}`;
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'PATCH',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${await tokens.get()}`,
          },
          body: JSON.stringify(patch),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new GoogleWalletError(
          `Google Wallet unreachable: ${(err as Error).message}`,
          undefined,
          {
            cause: err,
          },
        );
      }
      if (response.ok) return true;
      if (response.status === 404) return false;
      if (response.status === 401) tokens.reset();
      const text = await response.text().catch(() => '');
      throw new GoogleWalletError(
        `Google Wallet answered ${response.status}: ${text.slice(0, 300)}`,
        response.status,
      );
    },
  };
}
