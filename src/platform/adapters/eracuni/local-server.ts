import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEV_ERACUNI_CREDENTIALS } from '../../../config.ts';
import {
  bpOf,
  centsOf,
  documentKey,
  md5pass,
  METHODS,
  PUBLIC_URL_METHOD,
  resultOf,
  type Credentials,
  type DocumentKind,
  type RemoteDocument,
} from './eracuni.protocol.ts';

/**
 * A local server speaking e-računi's JSON protocol (eracuni.protocol.ts) for tests and for
 * `npm start` in development (dev-eracuni.ts): checks the envelope and the credentials,
 * numbers documents per kind and year (2026-00001), and fiscalises them after a delay:
 * DRAFT when created, SENT after half of `fiscaliseAfterMs`, FISCALIZED (with a JIR) after
 * all of it. It can be told to fail (HTTP 500), time out (answer nothing) or answer
 * garbage, also after it did create the document. State lives in memory only.
 */
export interface StoredDocument extends RemoteDocument {
  kind: DocumentKind;
  createdAt: number;
  cancelled: boolean;
  parameters: Record<string, unknown>;
}

export type Fault = 'fail' | 'timeout' | 'garbage' | 'timeout-after-create';

export interface EracuniTestServer {
  url: string;
  credentials: Credentials;
  documents: StoredDocument[];
  /** Calls received (method), for assertions. */
  calls: string[];
  /** Answers the next `count` calls (of `method`, or any) with the fault. */
  failNext(fault: Fault, count?: number, method?: string): void;
  /** Stops listening (connections refused) until start(); documents are kept. */
  stop(): Promise<void>;
  start(): Promise<void>;
  cancel(id: string): void;
  close(): Promise<void>;
}

export interface EracuniServerOptions {
  credentials?: Credentials;
  port?: number;
  fiscaliseAfterMs?: number;
  now?: () => number;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const CREATE_METHODS = new Set<string>(Object.values(METHODS).map((m) => m.create));
const ALL_METHODS = new Set<string>([
  ...Object.values(METHODS).flatMap((m) => [m.create, m.get, m.list]),
  PUBLIC_URL_METHOD,
]);

export async function startEracuniServer(
  options: EracuniServerOptions = {},
): Promise<EracuniTestServer> {
  const credentials = options.credentials ?? DEV_ERACUNI_CREDENTIALS;
  const fiscaliseAfterMs = options.fiscaliseAfterMs ?? 200;
  const now = options.now ?? Date.now;
  const documents: StoredDocument[] = [];
  const calls: string[] = [];
  const faults: Array<{ fault: Fault; method?: string }> = [];
  const counters = new Map<string, number>();
  let base = '';

  /** The status a document has reached by now (the fiscalisation runs on its own). */
  const current = (d: StoredDocument): StoredDocument => {
    if (d.cancelled) return { ...d, status: 'CANCELLED' };
    const age = now() - d.createdAt;
    if (age >= fiscaliseAfterMs) {
      d.status = 'FISCALIZED';
      d.fiscalizationId ??=
        d.kind === 'PAYMENT_OFFER'
          ? null
          : randomBytes(16)
              .toString('hex')
              .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
    } else if (age >= fiscaliseAfterMs / 2) d.status = 'SENT';
    return d;
  };

  const kindOf = (method: string, doc: Record<string, unknown> | undefined): DocumentKind =>
    method.startsWith('SalesQuote')
      ? 'PAYMENT_OFFER'
      : doc?.invoiceType === 'CreditNote'
        ? 'CREDIT_NOTE'
        : 'INVOICE';

  function create(method: string, parameters: Record<string, unknown>): StoredDocument | string {
    // The same apiTransactionId again: the document it made, not a second one.
    const tx = typeof parameters.apiTransactionId === 'string' ? parameters.apiTransactionId : '';
    const earlier = tx ? documents.find((d) => d.parameters.apiTransactionId === tx) : undefined;
    if (earlier) return current(earlier);
    const kind = kindOf(method, undefined);
    const doc = parameters[documentKey(kind)] as Record<string, unknown> | undefined;
    if (!doc || typeof doc !== 'object') return `${documentKey(kind)} is required`;
    const items = doc.Items;
    if (!Array.isArray(items) || items.length === 0) return 'Items must have at least one item';
    if (typeof doc.buyerName !== 'string' || !doc.buyerName) return 'buyerName is required';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(String(doc.dateOfSupplyFrom)))
      return 'dateOfSupplyFrom must be a date';
    let total = 0;
    for (const item of items as Array<Record<string, unknown>>) {
      const quantity = Number(item.quantity);
      if (!Number.isFinite(quantity) || typeof item.description !== 'string') {
        return 'each item needs a description and a quantity';
      }
      try {
        total += Math.round(quantity * centsOf(item.price));
        bpOf(item.vatPercentage);
      } catch {
        return 'item price must be a decimal amount';
      }
    }
    const realKind = kindOf(method, doc);
    if (realKind === 'CREDIT_NOTE' && typeof doc.referencedInvoiceNumber !== 'string') {
      return 'referencedInvoiceNumber is required for a credit note';
    }
    const year = String(doc.dateOfSupplyFrom).slice(0, 4);
    const counterKey = `${realKind}:${year}`;
    const n = (counters.get(counterKey) ?? 0) + 1;
    counters.set(counterKey, n);
    const prefix = realKind === 'PAYMENT_OFFER' ? 'P' : realKind === 'CREDIT_NOTE' ? 'O' : '';
    const id = randomBytes(8).toString('hex');
    const stored: StoredDocument = {
      id,
      kind: realKind,
      number: `${prefix}${year}-${String(n).padStart(5, '0')}`,
      reference: String(doc.orderReference ?? ''),
      status: 'DRAFT',
      fiscalizationId: null,
      publicUrl: `${base}/public/${id}`,
      total,
      createdAt: now(),
      cancelled: false,
      parameters,
    };
    documents.push(stored);
    return stored;
  }

  const sendJson = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, code: string, description: string) =>
    sendJson(res, 200, { response: { status: 'error', code, description } });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url?.startsWith('/public/')) {
      const d = documents.find((x) => req.url === `/public/${x.id}`);
      if (!d) return sendJson(res, 404, {});
      res.writeHead(200, { 'content-type': 'application/pdf' });
      return res.end(`%PDF-1.4 e-računi ${d.number}`);
    }
    if (req.method !== 'POST') return sendJson(res, 405, {});
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      return error(res, 'VALIDATION', 'the request is not JSON');
    }
    const method = typeof body.method === 'string' ? body.method : '';
    calls.push(method);
    const faultAt = faults.findIndex((f) => !f.method || f.method === method);
    const fault = faultAt >= 0 ? faults.splice(faultAt, 1)[0]!.fault : undefined;
    if (fault === 'fail') return sendJson(res, 500, { error: 'internal' });
    if (fault === 'timeout') return; // never answered; the client's timeout ends it
    if (fault === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html>502 Bad Gateway</html>');
    }
    if (
      body.username !== credentials.username ||
      body.md5pass !== md5pass(String(body.username ?? ''), credentials.password) ||
      body.token !== credentials.token
    ) {
      return error(res, 'AUTHENTICATION_FAILED', 'username, md5pass or token is wrong');
    }
    if (!ALL_METHODS.has(method)) return error(res, 'UNKNOWN_METHOD', `unknown method ${method}`);
    const parameters = (body.parameters ?? {}) as Record<string, unknown>;
    if (typeof parameters !== 'object')
      return error(res, 'VALIDATION', 'parameters must be an object');

    if (CREATE_METHODS.has(method)) {
      const created = create(method, parameters);
      if (typeof created === 'string') return error(res, 'VALIDATION', created);
      if (fault === 'timeout-after-create') return; // created, but the answer never comes
      return sendJson(res, 200, { response: { status: 'ok', result: resultOf(created) } });
    }
    const family = method.startsWith('SalesQuote') ? 'PAYMENT_OFFER' : 'INVOICE';
    const sameFamily = (d: StoredDocument) =>
      family === 'PAYMENT_OFFER' ? d.kind === 'PAYMENT_OFFER' : d.kind !== 'PAYMENT_OFFER';
    if (method.endsWith('List')) {
      const result = documents
        .filter(sameFamily)
        .filter((d) => !parameters.orderReference || d.reference === parameters.orderReference)
        .map((d) => resultOf(current(d)));
      return sendJson(res, 200, { response: { status: 'ok', result } });
    }
    const d = documents.find((x) => x.id === parameters.documentID && sameFamily(x));
    if (!d) return error(res, 'NOT_FOUND', 'no such document');
    if (method === PUBLIC_URL_METHOD) {
      return sendJson(res, 200, { response: { status: 'ok', result: { publicURL: d.publicUrl } } });
    }
    return sendJson(res, 200, { response: { status: 'ok', result: resultOf(current(d)) } });
  };

  let server: Server;
  let port = options.port ?? 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((req, res) => {
        handle(req, res).catch(() => sendJson(res, 500, {}));
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        base = `http://127.0.0.1:${port}`;
        resolve();
      });
    });
  const shut = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await listen();

  return {
    get url() {
      return `${base}/WebServicesHR/API`;
    },
    credentials,
    documents,
    calls,
    failNext(fault, count = 1, method) {
      for (let i = 0; i < count; i += 1) faults.push({ fault, method });
    },
    stop: shut,
    start: listen,
    cancel(id) {
      const d = documents.find((x) => x.id === id);
      if (d) d.cancelled = true;
    },
    close: shut,
  };
}
