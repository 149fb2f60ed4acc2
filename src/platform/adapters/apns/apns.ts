/**
 * Apple Push Notification service, HTTP/2 provider API with token authentication:
 *   POST {APNS_URL}/3/device/{push token}   authorization: bearer <JWT ES256 (kid, iss=team)>
 * For Wallet passes the payload is `{}` and the topic the pass type identifier: the device
 * then asks the pass web service what changed. The provider token is reused for 50 minutes
 * (Apple refuses tokens older than an hour and too-frequent new ones). The URL is
 * configurable so tests run this client against a local HTTP/2 server.
 */
import http2 from 'node:http2';
import { importPKCS8, SignJWT } from 'jose';

export interface ApnsPush {
  deviceToken: string;
  topic: string;
  payload?: Record<string, unknown>;
}

export interface ApnsResult {
  deviceToken: string;
  status: number;
  /** Apple's reason on a refusal (`BadDeviceToken`, `Unregistered`, …). */
  reason?: string;
}

export interface ApnsClient {
  send(pushes: readonly ApnsPush[]): Promise<ApnsResult[]>;
  close(): void;
}

export interface ApnsOptions {
  url: string;
  /** The .p8 signing key (PKCS#8 PEM). */
  key: string;
  keyId: string;
  teamId: string;
  timeoutMs?: number;
  now?: () => Date;
}

const TOKEN_REUSE_MS = 50 * 60_000;

/** A device token Apple will never accept again: the registration is to be dropped. */
export const apnsTokenGone = (r: ApnsResult) =>
  r.status === 410 || (r.status === 400 && r.reason === 'BadDeviceToken');

export function createApnsClient(options: ApnsOptions): ApnsClient {
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 10_000;
  let token: { value: string; at: number } | null = null;
  let session: http2.ClientHttp2Session | null = null;

  async function providerToken(): Promise<string> {
    const at = now().getTime();
    if (token && at - token.at < TOKEN_REUSE_MS) return token.value;
    const key = await importPKCS8(options.key, 'ES256');
    const value = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: options.keyId })
      .setIssuer(options.teamId)
      .setIssuedAt(Math.floor(at / 1000))
      .sign(key);
    token = { value, at };
    return value;
  }

  function connection(): http2.ClientHttp2Session {
    if (session && !session.closed && !session.destroyed) return session;
    const s = http2.connect(options.url);
    s.on('error', () => {
      // A broken connection fails its streams; the next send opens a new one.
      if (session === s) session = null;
    });
    s.on('close', () => {
      if (session === s) session = null;
    });
    session = s;
    return s;
  }

  function sendOne(bearer: string, push: ApnsPush): Promise<ApnsResult> {
    return new Promise((resolve) => {
      const body = JSON.stringify(push.payload ?? {});
      let stream: http2.ClientHttp2Stream;
      try {
        stream = connection().request({
          ':method': 'POST',
          ':path': `/3/device/${encodeURIComponent(push.deviceToken)}`,
          authorization: `bearer ${bearer}`,
          'apns-topic': push.topic,
          'apns-push-type': 'background',
          'apns-priority': '5',
          'content-type': 'application/json',
        });
      } catch (err) {
        resolve({ deviceToken: push.deviceToken, status: 0, reason: (err as Error).message });
        return;
      }
      let status = 0;
      let data = '';
      stream.setTimeout(timeoutMs, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      stream.on('response', (headers) => {
        status = Number(headers[':status'] ?? 0);
      });
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        data += chunk;
      });
      stream.on('error', (err) =>
        resolve({ deviceToken: push.deviceToken, status: 0, reason: err.message }),
      );
      stream.on('close', () => {
        let reason: string | undefined;
        try {
          reason = data ? (JSON.parse(data) as { reason?: string }).reason : undefined;
        } catch {
          reason = data.slice(0, 200);
        }
        resolve({ deviceToken: push.deviceToken, status, ...(reason ? { reason } : {}) });
      });
      stream.end(body);
    });
  }

  return {
    async send(pushes) {
      if (pushes.length === 0) return [];
      const bearer = await providerToken();
      return Promise.all(pushes.map((p) => sendOne(bearer, p)));
    },
    close() {
      session?.close();
      session = null;
    },
  };
}
