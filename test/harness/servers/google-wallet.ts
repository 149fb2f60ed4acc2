import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { importSPKI, jwtVerify } from 'jose';

/**
 * A local server speaking the Google Wallet REST API for event ticket objects, and the
 * OAuth2 token endpoint of its service account, for tests:
 *  - POST /token: JWT-bearer grant; verifies the assertion (RS256, iss, aud, scope
 *    wallet_object.issuer) and issues an access token;
 *  - GET / PATCH /walletobjects/v1/eventTicketObject/{id}: require that token; 404 for an
 *    object nobody saved (`save()` puts one there, as a fan's "save" does); PATCH merges.
 */
export interface LocalGoogleWallet {
  url: string;
  tokenUrl: string;
  issuerId: string;
  serviceAccountJson: string;
  /** The PEM of the service account's public key (tests verify save-link JWTs with it). */
  publicKeyPem: string;
  clientEmail: string;
  objects: Map<string, Record<string, unknown>>;
  patches: Array<{ id: string; body: Record<string, unknown> }>;
  save(object: Record<string, unknown> & { id: string }): void;
  close(): Promise<void>;
}

export async function startLocalGoogleWallet(
  issuerId = '3388000000022000001',
): Promise<LocalGoogleWallet> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `wallet-issuer@hns-test.iam.gserviceaccount.com`;
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const verifyKey = await importSPKI(publicKeyPem, 'RS256');
  const issued = new Set<string>();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const wallet: LocalGoogleWallet = {
    url: '',
    tokenUrl: '',
    issuerId,
    serviceAccountJson: '',
    publicKeyPem,
    clientEmail,
    objects: new Map(),
    patches: [],
    save(object) {
      wallet.objects.set(object.id, { ...object });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'POST' && req.url === '/token') {
        const form = new URLSearchParams(raw);
        try {
          const { payload } = await jwtVerify(form.get('assertion') ?? '', verifyKey, {
            issuer: clientEmail,
            audience: wallet.tokenUrl,
          });
          if (payload.scope !== 'https://www.googleapis.com/auth/wallet_object.issuer') {
            return json(res, 400, { error: 'invalid_scope' });
          }
        } catch (err) {
          return json(res, 400, { error: 'invalid_grant', error_description: String(err) });
        }
        const token = `ya29.${randomUUID()}`;
        issued.add(token);
        return json(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
      }
      const m = /^\/walletobjects\/v1\/eventTicketObject\/([^/?]+)$/.exec(req.url ?? '');
      if (m) {
        const auth = req.headers.authorization ?? '';
        if (!issued.has(auth.replace(/^Bearer /, ''))) {
          return json(res, 401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
        }
        const id = decodeURIComponent(m[1]!);
        const existing = wallet.objects.get(id);
        if (!existing) return json(res, 404, { error: { code: 404, status: 'NOT_FOUND' } });
        if (req.method === 'GET') return json(res, 200, existing);
        if (req.method === 'PATCH') {
          const body = JSON.parse(raw) as Record<string, unknown>;
          wallet.patches.push({ id, body });
          const merged = { ...existing, ...body };
          wallet.objects.set(id, merged);
          return json(res, 200, merged);
        }
      }
      json(res, 404, { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  wallet.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  wallet.tokenUrl = `${wallet.url}/token`;
  wallet.serviceAccountJson = JSON.stringify({
    type: 'service_account',
    private_key_id: 'wallet-key-1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: clientEmail,
    token_uri: wallet.tokenUrl,
  });
  return wallet;
}
