import { Writable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../logging.ts';
import { createEracuniClient, EracuniRejected, EracuniUnavailable } from './eracuni.ts';
import {
  centsOf,
  createParameters,
  decimal,
  envelope,
  md5pass,
  type DocumentRequest,
} from './eracuni.protocol.ts';
import { startEracuniServer } from './local-server.ts';

let clock = Date.now();
const server = await startEracuniServer({ fiscaliseAfterMs: 1_000, now: () => clock });
afterAll(() => server.close());

const lines: string[] = [];
const logger = createLogger(
  'info',
  new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  }),
);
const client = (overrides: Partial<Parameters<typeof createEracuniClient>[0]> = {}) =>
  createEracuniClient({
    url: server.url,
    credentials: server.credentials,
    logger,
    timeoutMs: 300,
    attempts: 3,
    retryDelayMs: 10,
    ...overrides,
  });

let n = 0;
const invoice = (over: Partial<DocumentRequest> = {}): DocumentRequest => ({
  kind: 'INVOICE',
  reference: `HNS-TEST-${++n}-${Date.now()}`,
  date: '2026-12-04',
  currency: 'EUR',
  buyer: { name: 'Ana Anić', email: 'ana@example.com' },
  lines: [
    { description: 'Ulaznica', quantity: 2, unitGross: 2_000, vatBp: 500 },
    { description: 'Naknada', quantity: 1, unitGross: 240, vatBp: 2_500 },
  ],
  ...over,
});

beforeEach(() => {
  lines.length = 0;
  server.calls.length = 0;
});

describe('e-računi protocol details confirmed from its public API pages', () => {
  it('md5pass is the MD5 of the UPPERCASE username and the password ("WS Authentication")', () => {
    // The page's own example: user ivan, password novak → md5pass 8b29582c…
    expect(md5pass('ivan', 'novak')).toBe('8b29582ce0a1c85dc0c574d218acb900');
    expect(md5pass('IVAN', 'novak')).toBe(md5pass('ivan', 'novak'));
    expect(md5pass('ivan', 'Novak')).not.toBe(md5pass('ivan', 'novak'));
    expect(
      envelope({ username: 'ivan', password: 'novak', token: 'T' }, 'SalesInvoiceGet', {}),
    ).toMatchObject({ username: 'ivan', md5pass: '8b29582ce0a1c85dc0c574d218acb900', token: 'T' });
  });

  it('a create names its SalesInvoice with the documented fields and our idempotency key', () => {
    const req = invoice();
    const p = createParameters(req);
    expect(p.apiTransactionId).toBe(req.reference);
    expect(p.SalesInvoice).toMatchObject({
      dateOfSupplyFrom: '2026-12-04',
      buyerName: 'Ana Anić',
      buyerEMail: 'ana@example.com',
    });
    const items = (p.SalesInvoice as { Items: Array<Record<string, unknown>> }).Items;
    expect(items[0]).toMatchObject({ description: 'Ulaznica', quantity: 2, unit: 'kom' });
  });

  it('keeps to the rate limit: no more than `calls` requests start within a window', async () => {
    const starts: number[] = [];
    const limited = client({ rateLimit: { calls: 2, windowMs: 300 } });
    const t0 = Date.now();
    // Each create is two calls (the lookup by reference, then the create): 6 calls in all.
    await Promise.all(
      [invoice(), invoice(), invoice()].map(async (req) => {
        await limited.createDocument(req);
        starts.push(Date.now() - t0);
      }),
    );
    expect(server.calls).toHaveLength(6);
    // 6 calls at 2 per 300 ms: the last starts no sooner than 2 windows in.
    expect(Math.max(...starts)).toBeGreaterThanOrEqual(600);
  });

  it('the local server answers a repeated apiTransactionId with the document it made', async () => {
    const req = invoice();
    const raw = async () =>
      (
        await fetch(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(
            envelope(server.credentials, 'SalesInvoiceCreate', createParameters(req)),
          ),
        })
      ).json() as Promise<{ response: { status: string; result: { documentID: string } } }>;
    const first = await raw();
    const again = await raw();
    expect(first.response.status).toBe('ok');
    expect(again.response.result.documentID).toBe(first.response.result.documentID);
    expect(server.documents.filter((d) => d.reference === req.reference)).toHaveLength(1);
  });
});

describe('e-računi client against the local protocol server (E8-F5)', () => {
  it('issues an invoice: numbered, totalled to the cent, fiscalised after the delay', async () => {
    const req = invoice();
    const doc = await client().createDocument(req);
    expect(doc).toMatchObject({ reference: req.reference, status: 'DRAFT', total: 4_240 });
    expect(doc.number).toMatch(/^2026-\d{5}$/);
    clock += 600;
    expect((await client().getDocument('INVOICE', doc.id)).status).toBe('SENT');
    clock += 600;
    const fiscalised = await client().getDocument('INVOICE', doc.id);
    expect(fiscalised.status).toBe('FISCALIZED');
    expect(fiscalised.fiscalizationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fiscalised.publicUrl).toContain(doc.id);
  });

  it('logs every call and answer without the credentials', async () => {
    await client().createDocument(invoice());
    const text = lines.join('');
    expect(text).toContain('SalesInvoiceCreate');
    expect(text).not.toContain(server.credentials.token);
    expect(text).not.toContain(server.credentials.username);
    expect(text).not.toContain('md5pass');
  });

  it('refuses wrong credentials without retrying', async () => {
    const bad = client({ credentials: { ...server.credentials, token: 'WRONG' } });
    await expect(bad.createDocument(invoice())).rejects.toBeInstanceOf(EracuniRejected);
    expect(server.calls).toEqual(['SalesInvoiceList']);
  });

  it('does not retry a document the service refuses (validation)', async () => {
    const before = server.documents.length;
    await expect(client().createDocument(invoice({ lines: [] }))).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    expect(server.calls.filter((c) => c === 'SalesInvoiceCreate')).toHaveLength(1);
    expect(server.documents.length).toBe(before);
  });

  it('retries 5xx and garbage with backoff, then succeeds', async () => {
    server.failNext('fail', 1, 'SalesInvoiceCreate');
    server.failNext('garbage', 1, 'SalesInvoiceCreate');
    const req = invoice();
    const doc = await client().createDocument(req);
    expect(doc.reference).toBe(req.reference);
    expect(server.calls.filter((c) => c === 'SalesInvoiceCreate')).toHaveLength(3);
  });

  it('a create that times out after the server made the document does not make a second', async () => {
    server.failNext('timeout-after-create', 1, 'SalesInvoiceCreate');
    const req = invoice();
    const doc = await client().createDocument(req);
    expect(server.documents.filter((d) => d.reference === req.reference)).toHaveLength(1);
    expect(server.documents.find((d) => d.reference === req.reference)!.id).toBe(doc.id);
    // the same request again (a job re-run) finds it too
    await client().createDocument(req);
    expect(server.documents.filter((d) => d.reference === req.reference)).toHaveLength(1);
  });

  it('gives up as unavailable when the server is down', async () => {
    await server.stop();
    try {
      await expect(client().createDocument(invoice())).rejects.toBeInstanceOf(EracuniUnavailable);
    } finally {
      await server.start();
    }
  });

  it('creates payment offers and credit notes with their own numbering', async () => {
    const offer = await client().createDocument(
      invoice({ kind: 'PAYMENT_OFFER', dueDate: '2027-01-03' }),
    );
    expect(offer.number).toMatch(/^P2026-/);
    await expect(client().createDocument(invoice({ kind: 'CREDIT_NOTE' }))).rejects.toBeInstanceOf(
      EracuniRejected,
    );
    const credit = await client().createDocument(
      invoice({ kind: 'CREDIT_NOTE', referencedNumber: '2026-00001' }),
    );
    expect(credit.number).toMatch(/^O2026-/);
  });

  it('converts amounts without floats', () => {
    expect(decimal(4_240)).toBe('42.40');
    expect(decimal(5)).toBe('0.05');
    expect(centsOf('689.000')).toBe(68_900);
    expect(centsOf('0.055')).toBe(6);
    expect(centsOf(decimal(123_456))).toBe(123_456);
  });
});
