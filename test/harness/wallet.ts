import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { startLocalApns, type LocalApns } from './servers/apns.ts';
import { startLocalGoogleWallet, type LocalGoogleWallet } from './servers/google-wallet.ts';

/**
 * Wallet providers for tests (E9-F4): a throwaway certificate chain made with openssl — a
 * root CA, a WWDR-like intermediate and a pass type certificate it issues — plus an APNs
 * provider key with a local HTTP/2 APNs, and a local Google Wallet with its service account.
 * `env` configures the app for all of them. Files live in a mkdtemp directory removed
 * after the test file.
 */
export interface WalletWorld {
  dir: string;
  caPem: string;
  wwdrPem: string;
  passCertPem: string;
  passKeyPem: string;
  passTypeIdentifier: string;
  teamIdentifier: string;
  apns: LocalApns;
  google: LocalGoogleWallet;
  env: Record<string, string>;
}

export const TEST_PASS_TYPE = 'pass.hr.hns.test';
export const TEST_TEAM = 'HNSTEAM123';

function openssl(dir: string, ...args: string[]) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The certificate chain, with openssl, in a new temporary directory. */
export function makeAppleTestChain(
  passTypeIdentifier = TEST_PASS_TYPE,
  teamIdentifier = TEST_TEAM,
) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hns-wallet-'));
  writeFileSync(
    path.join(dir, 'ca.ext'),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n',
  );
  writeFileSync(
    path.join(dir, 'pass.ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n',
  );
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '3',
    '-subj',
    '/O=HNS Test/CN=HNS Test Root CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl(
    dir,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'wwdr.key',
    '-out',
    'wwdr.csr',
    '-subj',
    '/O=HNS Test/OU=G4/CN=Test Worldwide Developer Relations Certification Authority',
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'wwdr.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    '2',
    '-out',
    'wwdr.pem',
    '-days',
    '3',
    '-extfile',
    'ca.ext',
  );
  openssl(
    dir,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'pass.key',
    '-out',
    'pass.csr',
    '-subj',
    `/UID=${passTypeIdentifier}/CN=Pass Type ID: ${passTypeIdentifier}/OU=${teamIdentifier}/O=HNS Test`,
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'pass.csr',
    '-CA',
    'wwdr.pem',
    '-CAkey',
    'wwdr.key',
    '-set_serial',
    '3',
    '-out',
    'pass.pem',
    '-days',
    '3',
    '-extfile',
    'pass.ext',
  );
  return {
    dir,
    caPem: path.join(dir, 'ca.pem'),
    wwdrPem: path.join(dir, 'wwdr.pem'),
    passCertPem: path.join(dir, 'pass.pem'),
    passKeyPem: path.join(dir, 'pass.key'),
  };
}

/** The whole wallet world of a test file (closed and removed after it). */
export async function useWalletWorld(): Promise<WalletWorld> {
  const chain = makeAppleTestChain();
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const apnsKey = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const apns = await startLocalApns({ key: apnsKey, keyId: 'APNSKEY001', teamId: TEST_TEAM });
  const google = await startLocalGoogleWallet();
  afterAll(async () => {
    await apns.close();
    await google.close();
    rmSync(chain.dir, { recursive: true, force: true });
  });
  return {
    ...chain,
    passTypeIdentifier: TEST_PASS_TYPE,
    teamIdentifier: TEST_TEAM,
    apns,
    google,
    env: {
      APPLE_PASS_TYPE_IDENTIFIER: TEST_PASS_TYPE,
      APPLE_PASS_TEAM_IDENTIFIER: TEST_TEAM,
      APPLE_PASS_CERT: chain.passCertPem,
      APPLE_PASS_KEY: chain.passKeyPem,
      APPLE_PASS_WWDR_CERT: chain.wwdrPem,
      APPLE_PASS_AUTH_SECRET: 'test-pass-auth-secret-0123456789abcdef',
      APPLE_PASS_WEB_SERVICE_URL: 'https://tickets.hns.example/wallet/apple',
      APNS_KEY: apnsKey,
      APNS_KEY_ID: 'APNSKEY001',
      APNS_URL: apns.url,
      GOOGLE_WALLET_ISSUER_ID: google.issuerId,
      GOOGLE_WALLET_SERVICE_ACCOUNT_JSON: google.serviceAccountJson,
      GOOGLE_WALLET_BASE_URL: google.url,
      GOOGLE_WALLET_TOKEN_URL: google.tokenUrl,
    },
  };
}
