import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { importSPKI, jwtVerify } from 'jose';

/**
 * A local server speaking the two Google endpoints the FCM client uses:
 *  - POST /token: OAuth2 JWT-bearer grant; verifies the service-account assertion with the
 *    account's public key (RS256, iss, aud, scope) and issues an access token;
 *  - POST /v1/projects/{project}/messages:send: requires that token, records the request,
 *    answers `{ name }`, or FCM's error shape for tokens marked unregistered/failing.
 * `serviceAccountJson` is a real key pair's service-account file pointing at this server.
 */
export interface FcmRequest {
  project: string;
  headers: IncomingHttpHeaders;
  body: {
    message: {
      token: string;
      notification?: { title: string; body: string };
      data?: Record<string, string>;
      android?: { priority?: string };
      apns?: { headers?: Record<string, string> };
    };
  };
}

export interface LocalFcm {
  url: string;
  tokenUrl: string;
  projectId: string;
  serviceAccountJson: string;
  requests: FcmRequest[];
  tokenRequests: number;
  issuedTokens: Set<string>;
  /** Device tokens FCM no longer knows (answers 404 UNREGISTERED). */
  unregistered: Set<string>;
  /** Strings that are not FCM registration tokens (400 INVALID_ARGUMENT on message.token). */
  malformed: Set<string>;
  /** Tokens whose messages FCM refuses as a bad payload (400 INVALID_ARGUMENT on message.data). */
  badPayload: Set<string>;
  /** Answer the next `count` sends with 503 UNAVAILABLE. */
  failNext(count: number): void;
  close(): Promise<void>;
}

export async function startLocalFcm(projectId = 'hns-test'): Promise<LocalFcm> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `fcm-sender@${projectId}.iam.gserviceaccount.com`;
  const verifyKey = await importSPKI(
    publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    'RS256',
  );
  let failures = 0;

  const fcm: LocalFcm = {
    url: '',
    tokenUrl: '',
    projectId,
    serviceAccountJson: '',
    requests: [],
    tokenRequests: 0,
    issuedTokens: new Set(),
    unregistered: new Set(),
    malformed: new Set(),
    badPayload: new Set(),
    failNext(count) {
      failures = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const fcmError = (
    status: number,
    grpc: string,
    errorCode: string,
    message: string,
    invalidField?: string,
  ) => ({
    error: {
      code: status,
      message,
      status: grpc,
      details: [
        { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode },
        ...(invalidField
          ? [
              {
                '@type': 'type.googleapis.com/google.rpc.BadRequest',
                fieldViolations: [{ field: invalidField, description: message }],
              },
            ]
          : []),
      ],
    },
  });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'POST' && req.url === '/token') {
        fcm.tokenRequests++;
        const form = new URLSearchParams(raw);
        if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
          return json(res, 400, { error: 'unsupported_grant_type' });
        }
        try {
          const { payload } = await jwtVerify(form.get('assertion') ?? '', verifyKey, {
            issuer: clientEmail,
            audience: fcm.tokenUrl,
          });
          if (payload.scope !== 'https://www.googleapis.com/auth/firebase.messaging') {
            return json(res, 400, { error: 'invalid_scope' });
          }
        } catch (err) {
          return json(res, 400, { error: 'invalid_grant', error_description: String(err) });
        }
        const token = `ya29.${randomUUID()}`;
        fcm.issuedTokens.add(token);
        return json(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
      }
      const match = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(req.url ?? '');
      if (req.method === 'POST' && match) {
        const auth = req.headers.authorization ?? '';
        if (!auth.startsWith('Bearer ') || !fcm.issuedTokens.has(auth.slice(7))) {
          return json(res, 401, {
            error: {
              code: 401,
              message: 'Request had invalid authentication credentials.',
              status: 'UNAUTHENTICATED',
            },
          });
        }
        const body = JSON.parse(raw) as FcmRequest['body'];
        fcm.requests.push({ project: decodeURIComponent(match[1]!), headers: req.headers, body });
        if (failures > 0) {
          failures--;
          return json(
            res,
            503,
            fcmError(503, 'UNAVAILABLE', 'UNAVAILABLE', 'The service is currently unavailable.'),
          );
        }
        // A token FCM refuses as INVALID_ARGUMENT, naming the field as the HTTP v1 API does.
        const invalid = fcm.malformed.has(body.message.token)
          ? {
              field: 'message.token',
              message: 'The registration token is not a valid FCM registration token',
            }
          : fcm.badPayload.has(body.message.token)
            ? { field: 'message.data', message: 'Invalid value at message.data' }
            : null;
        if (invalid) {
          const answer = fcmError(
            400,
            'INVALID_ARGUMENT',
            'INVALID_ARGUMENT',
            invalid.message,
            invalid.field,
          );
          return json(res, 400, answer);
        }
        if (fcm.unregistered.has(body.message.token)) {
          return json(
            res,
            404,
            fcmError(404, 'NOT_FOUND', 'UNREGISTERED', 'Requested entity was not found.'),
          );
        }
        return json(res, 200, { name: `projects/${match[1]}/messages/${randomUUID()}` });
      }
      json(res, 404, { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  fcm.url = `http://127.0.0.1:${port}`;
  fcm.tokenUrl = `${fcm.url}/token`;
  fcm.serviceAccountJson = JSON.stringify({
    type: 'service_account',
    project_id: projectId,
    private_key_id: 'test-key-1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: clientEmail,
    token_uri: fcm.tokenUrl,
  });
  return fcm;
}
