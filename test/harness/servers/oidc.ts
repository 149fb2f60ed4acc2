import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { OAuth2Server, type MutableResponse } from 'oauth2-mock-server';

/**
 * Local servers speaking Drupal's SSO protocols, so tests run our real Drupal client:
 * - `startDrupalOidc`: a real OpenID Connect provider (oauth2-mock-server) with JWKS and a
 *   userinfo endpoint that, like Drupal, answers the claims of tokens it issued and 401
 *   for anything else (expired, forged, of a deleted user);
 * - `startFaultyDrupal`: an HTTP server failing the ways a real Drupal can: 500, no answer
 *   in time, a body that is not JSON, JSON that is not a userinfo document.
 * Both count requests so tests can prove caching.
 */
export interface DrupalClaims {
  sub: string;
  email: string;
  /** Drupal account status: 1 active, 0 blocked. */
  status?: number | boolean | string;
  roles?: string[];
  [claim: string]: unknown;
}

export interface DrupalOidcServer {
  /** Base URL, also the issuer (`iss`). */
  issuer: string;
  jwksUrl: string;
  userinfoUrl: string;
  audience: string;
  /** Userinfo requests received. */
  readonly userinfoCalls: number;
  /** A token signed by the provider's key and accepted by its userinfo endpoint. */
  issue(claims: DrupalClaims, options?: { expiresIn?: number; audience?: string }): Promise<string>;
  /** Same claims and key id, signed by a key the provider does not have. */
  forge(claims: DrupalClaims): Promise<string>;
  /** Change what userinfo answers for a subject (e.g. block the user, change the email). */
  updateUser(sub: string, changes: Partial<DrupalClaims>): void;
  /** The user no longer exists in Drupal: userinfo refuses their tokens. */
  deleteUser(sub: string): void;
  close(): Promise<void>;
}

export async function startDrupalOidc(audience = 'hns-ticketing-test'): Promise<DrupalOidcServer> {
  const server = new OAuth2Server();
  const key = await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  const issuer = `http://127.0.0.1:${server.address().port}`;
  server.issuer.url = issuer;

  const users = new Map<string, DrupalClaims>();
  const deleted = new Set<string>();
  const issued = new Set<string>();
  let userinfoCalls = 0;

  server.service.on('beforeUserinfo', (response: MutableResponse, req) => {
    userinfoCalls++;
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const refuse = () => {
      response.statusCode = 401;
      response.body = { error: 'invalid_token' };
    };
    if (!issued.has(token)) return refuse();
    const { sub, exp } = decodeJwt(token);
    if (!sub || deleted.has(sub) || (exp ?? 0) * 1000 < Date.now()) return refuse();
    response.body = { ...users.get(sub)! };
  });

  const foreign = await generateKeyPair('RS256', { extractable: true });

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    userinfoUrl: `${issuer}/userinfo`,
    audience,
    get userinfoCalls() {
      return userinfoCalls;
    },
    async issue(claims, options = {}) {
      users.set(claims.sub, { ...users.get(claims.sub), ...claims });
      deleted.delete(claims.sub);
      const token = await server.issuer.buildToken({
        kid: key.kid,
        expiresIn: options.expiresIn ?? 3600,
        scopesOrTransform: (_header, payload) => {
          Object.assign(payload, claims, { aud: options.audience ?? audience });
        },
      });
      issued.add(token);
      return token;
    },
    async forge(claims) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(foreign.privateKey);
    },
    updateUser(sub, changes) {
      const user = users.get(sub);
      if (!user) throw new Error(`unknown Drupal user ${sub}`);
      users.set(sub, { ...user, ...changes });
    },
    deleteUser(sub) {
      deleted.add(sub);
    },
    close: () => server.stop(),
  };
}

export type FaultMode = 'status-500' | 'hang' | 'invalid-json' | 'not-userinfo' | 'ok';

export interface FaultyDrupalServer {
  url: string;
  /** What the next requests get; 'ok' answers a valid userinfo document. */
  mode: FaultMode;
  readonly requests: number;
  close(): Promise<void>;
}

export async function startFaultyDrupal(): Promise<FaultyDrupalServer> {
  let requests = 0;
  const state = { mode: 'status-500' as FaultMode };
  const server: Server = createServer((req, res) => {
    requests++;
    switch (state.mode) {
      case 'status-500':
        res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Internal Server Error</h1>');
        return;
      case 'hang':
        // Headers but never a body: the client's deadline must cover the body too.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"sub":');
        return;
      case 'invalid-json':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"sub": "42", "email": ');
        return;
      case 'not-userinfo':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}');
        return;
      case 'ok':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ sub: '9001', email: 'faulty-ok@example.hr', status: 1 }));
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/oauth/userinfo`,
    get mode() {
      return state.mode;
    },
    set mode(m: FaultMode) {
      state.mode = m;
    },
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
