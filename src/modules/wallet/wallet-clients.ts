import { readFileSync } from 'node:fs';
import type { Config } from '../../config.ts';
import { AppError } from '../../platform/errors.ts';
import { createApnsClient, type ApnsClient } from '../../platform/adapters/apns/apns.ts';
import { loadServiceAccountFrom } from '../../platform/adapters/google-oauth.ts';
import {
  createGoogleWalletClient,
  type GoogleWalletClient,
} from '../../platform/adapters/google-wallet/google-wallet.ts';

/**
 * The wallet providers as configured (APPLE_PASS_*, APNS_*, GOOGLE_WALLET_*), built once per
 * config object. A missing setting answers 503 WALLET_NOT_CONFIGURED where a pass is asked
 * for, and is skipped (logged) where an update would be pushed.
 */

/** A PEM setting: the PEM text itself, or a path to the file. */
function pemOrFile(value: string): string {
  return value.includes('-----BEGIN') ? value.replace(/\\n/g, '\n') : readFileSync(value, 'utf8');
}

export interface AppleSigning {
  passTypeIdentifier: string;
  teamIdentifier: string;
  wwdr: string;
  signerCert: string;
  signerKey: string;
  signerKeyPassphrase?: string;
  authSecret: string;
  webServiceURL: string;
}

const apple = new WeakMap<Config, AppleSigning>();
const apns = new WeakMap<Config, ApnsClient>();
const google = new WeakMap<Config, Promise<GoogleWalletClient>>();

export function appleConfigured(config: Config): boolean {
  return !!(
    config.APPLE_PASS_TEAM_IDENTIFIER &&
    config.APPLE_PASS_CERT &&
    config.APPLE_PASS_KEY &&
    config.APPLE_PASS_WWDR_CERT &&
    config.APPLE_PASS_AUTH_SECRET
  );
}

export function appleSigning(config: Config): AppleSigning {
  const known = apple.get(config);
  if (known) return known;
  if (!appleConfigured(config)) {
    throw new AppError('WALLET_NOT_CONFIGURED', 'Apple Wallet passes are not configured');
  }
  const signing: AppleSigning = {
    passTypeIdentifier: config.APPLE_PASS_TYPE_IDENTIFIER,
    teamIdentifier: config.APPLE_PASS_TEAM_IDENTIFIER!,
    wwdr: pemOrFile(config.APPLE_PASS_WWDR_CERT!),
    signerCert: pemOrFile(config.APPLE_PASS_CERT!),
    signerKey: pemOrFile(config.APPLE_PASS_KEY!),
    ...(config.APPLE_PASS_KEY_PASSPHRASE
      ? { signerKeyPassphrase: config.APPLE_PASS_KEY_PASSPHRASE }
      : {}),
    authSecret: config.APPLE_PASS_AUTH_SECRET!,
    webServiceURL:
      config.APPLE_PASS_WEB_SERVICE_URL ??
      `${config.PUBLIC_BASE_URL.replace(/\/+$/, '')}/wallet/apple`,
  };
  apple.set(config, signing);
  return signing;
}

/** The APNs client, or undefined when APNs or the pass team is not configured. */
export function apnsClientOf(config: Config): ApnsClient | undefined {
  if (!config.APNS_KEY || !config.APNS_KEY_ID || !config.APPLE_PASS_TEAM_IDENTIFIER)
    return undefined;
  let client = apns.get(config);
  if (!client) {
    client = createApnsClient({
      url: config.APNS_URL,
      key: pemOrFile(config.APNS_KEY),
      keyId: config.APNS_KEY_ID,
      teamId: config.APPLE_PASS_TEAM_IDENTIFIER,
    });
    apns.set(config, client);
  }
  return client;
}

export function googleConfigured(config: Config): boolean {
  return !!(config.GOOGLE_WALLET_ISSUER_ID && config.GOOGLE_WALLET_SERVICE_ACCOUNT_JSON);
}

export function googleWalletOf(config: Config): Promise<GoogleWalletClient> {
  if (!googleConfigured(config)) {
    throw new AppError('WALLET_NOT_CONFIGURED', 'Google Wallet passes are not configured');
  }
  let client = google.get(config);
  if (!client) {
    client = loadServiceAccountFrom(
      'GOOGLE_WALLET_SERVICE_ACCOUNT_JSON',
      config.GOOGLE_WALLET_SERVICE_ACCOUNT_JSON!,
    ).then((serviceAccount) =>
      createGoogleWalletClient({
        issuerId: config.GOOGLE_WALLET_ISSUER_ID!,
        serviceAccount,
        origins: config.GOOGLE_WALLET_ORIGINS,
        baseUrl: config.GOOGLE_WALLET_BASE_URL,
        ...(config.GOOGLE_WALLET_TOKEN_URL ? { tokenUrl: config.GOOGLE_WALLET_TOKEN_URL } : {}),
      }),
    );
    client.catch(() => google.delete(config));
    google.set(config, client);
  }
  return client;
}
