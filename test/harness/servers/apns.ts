/**
 * A local server speaking APNs' HTTP/2 provider API (cleartext HTTP/2) for tests and
 * development: it checks the provider token (ES256 JWT with kid and iss, verified with the
 * key's public half), the topic and the device path, records every accepted push, and
 * answers 410 Unregistered for device tokens marked gone.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createPublicKey } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';

export interface ReceivedApnsPush {
  deviceToken: string;
  topic: string;
  pushType: string | undefined;
  payload: unknown;
  keyId: string | undefined;
  teamId: string | undefined;
}

export interface LocalApns {
  url: string;
  pushes: ReceivedApnsPush[];
  /** Device tokens answered 410 Unregistered from now on. */
  gone: Set<string>;
  close(): Promise<void>;
}

export async function startLocalApns(options: {
  /** The PKCS#8 PEM of the provider key (its public half verifies the tokens). */
  key: string;
  keyId: string;
  teamId: string;
}): Promise<LocalApns> {
  const publicKey = createPublicKey(options.key);
  const pushes: ReceivedApnsPush[] = [];
  const gone = new Set<string>();
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    let raw = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (raw += c));
    stream.on('end', () => {
      void (async () => {
        const answer = (status: number, reason?: string) => {
          stream.respond({ ':status': status, 'apns-id': crypto.randomUUID() });
          stream.end(reason ? JSON.stringify({ reason }) : undefined);
        };
        const path = String(headers[':path'] ?? '');
        const match = /^\/3\/device\/([0-9A-Za-z]+)$/.exec(path);
        if (headers[':method'] !== 'POST' || !match) return answer(404, 'BadPath');
        const auth = String(headers.authorization ?? '');
        if (!auth.startsWith('bearer ')) return answer(403, 'MissingProviderToken');
        const jwt = auth.slice(7);
        let keyId: string | undefined;
        let teamId: string | undefined;
        try {
          keyId = decodeProtectedHeader(jwt).kid;
          const { payload } = await jwtVerify(jwt, publicKey, { algorithms: ['ES256'] });
          teamId = payload.iss;
        } catch {
          return answer(403, 'InvalidProviderToken');
        }
        if (keyId !== options.keyId || teamId !== options.teamId) {
          return answer(403, 'InvalidProviderToken');
        }
        const topic = headers['apns-topic'];
        if (typeof topic !== 'string' || !topic) return answer(400, 'MissingTopic');
        let payload: unknown;
        try {
          payload = JSON.parse(raw || 'null');
        } catch {
          return answer(400, 'PayloadEmpty');
        }
        const deviceToken = match[1]!;
        if (gone.has(deviceToken)) return answer(410, 'Unregistered');
        pushes.push({
          deviceToken,
          topic,
          pushType: headers['apns-push-type'] as string | undefined,
          payload,
          keyId,
          teamId,
        });
        answer(200);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pushes,
    gone,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Clients keep sessions open; closing the server waits for them otherwise.
        for (const s of sessions) s.destroy();
      }),
  };
}
