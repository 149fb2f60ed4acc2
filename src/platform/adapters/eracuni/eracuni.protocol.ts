import { createHash } from 'node:crypto';

/**
 * e-računi's JSON web-service protocol, in ONE place: the envelope, the method names and
 * how our documents map onto its fields. The client (eracuni.ts) and the local server
 * (local-server.ts) both speak only through this file, so a correction after testing
 * against the real service is a change here alone.
 *
 * CONFIRMED from e-računi's public API pages (WikiPages "WS Authentication", "WS API
 * SalesInvoice", "WS API SalesQuote", "WS API ReceivedInvoice", read for issue 25):
 *  - one endpoint (https://e-racuni.com/WebServicesHR/API for Croatia) taking a POSTed
 *    JSON object `username`, `md5pass`, `token`, `method`, `parameters`;
 *  - md5pass = hex MD5 of the username in UPPERCASE followed by the password exactly as
 *    set ("IVANnovak" for user ivan, password novak);
 *  - the methods SalesInvoiceCreate/Get/List/GetPDF/GetPublicURL/Cancel and
 *    SalesQuoteCreate/Get/List (and SalesQuoteCreateInvoice, not used);
 *  - a Get takes `documentID` ("internal document identificator; no other parameter is
 *    needed"), as SalesQuoteGet and ReceivedInvoiceGet document it;
 *  - `parameters.SalesInvoice` with `dateOfSupplyFrom`, `buyerName`, `buyerStreet`,
 *    `buyerEMail` and `Items` of `description`, `quantity`, `unit`, `netPrice` (net,
 *    VAT added at the general rate when no rate is given);
 *  - answers carry `status="ok"` on their `response`, and amounts such as
 *    `amountWithVAT` with three decimals ("689.000");
 *  - a limit of 4 requests in 4 seconds per company (waiting for each answer keeps to
 *    it; see the invoicing README).
 *
 * UNCONFIRMED (marked below; check them in the API developer panel,
 * https://e-racuni.hr/rhr/developer, before going live): the JSON answer's exact shape
 * (`response.result` / `response.code` + `description`); the field carrying our own
 * reference (`orderReference`) and the list filter by it; `apiTransactionId` as the
 * create's idempotency key (sent by other public e-računi integrations, not in the public
 * pages); gross prices with a VAT rate per item (`price`, `vatPercentage`, also used by
 * other integrations) instead of net prices; the status values and the fiscalisation and
 * URL fields of a document (`status`, `fiscalIdentifier` = the JIR, `publicURL`); a
 * credit note as a sales invoice of type `CreditNote` with `referencedInvoiceNumber`; the
 * quote's `validUntil`; the error codes.
 */

export const METHODS = {
  INVOICE: { create: 'SalesInvoiceCreate', get: 'SalesInvoiceGet', list: 'SalesInvoiceList' },
  // UNCONFIRMED: credit notes as sales invoices of another type (same methods).
  CREDIT_NOTE: { create: 'SalesInvoiceCreate', get: 'SalesInvoiceGet', list: 'SalesInvoiceList' },
  PAYMENT_OFFER: { create: 'SalesQuoteCreate', get: 'SalesQuoteGet', list: 'SalesQuoteList' },
} as const;

export const PUBLIC_URL_METHOD = 'SalesInvoiceGetPublicURL';

export type DocumentKind = keyof typeof METHODS;
export type RemoteStatus = 'DRAFT' | 'SENT' | 'FISCALIZED' | 'CANCELLED';

/** Amounts are integer cents; rates basis points (25 % = 2500), as everywhere in the code. */
export interface DocumentLine {
  description: string;
  quantity: number;
  /** Gross unit price (VAT included), cents. */
  unitGross: number;
  vatBp: number;
}

export interface DocumentRequest {
  kind: DocumentKind;
  /** Our own unique reference (idempotency: looked up before any retried create). */
  reference: string;
  /** YYYY-MM-DD, Europe/Zagreb. */
  date: string;
  currency: string;
  buyer: { name: string; email?: string | null; oib?: string | null; address?: string | null };
  lines: DocumentLine[];
  /** Credit notes: the number of the invoice credited. */
  referencedNumber?: string;
  /** Payment offers: YYYY-MM-DD the payment is due. */
  dueDate?: string;
}

export interface RemoteDocument {
  id: string;
  number: string;
  reference: string;
  status: RemoteStatus;
  fiscalizationId: string | null;
  publicUrl: string | null;
  /** Gross total, cents. */
  total: number;
}

export interface Credentials {
  username: string;
  password: string;
  token: string;
}

export interface Envelope {
  username: string;
  md5pass: string;
  token: string;
  method: string;
  parameters: Record<string, unknown>;
}

// CONFIRMED ("WS Authentication"): MD5 of the UPPERCASE username and the password as set.
export const md5pass = (username: string, password: string) =>
  createHash('md5').update(`${username.toUpperCase()}${password}`).digest('hex');

export const envelope = (
  credentials: Credentials,
  method: string,
  parameters: Record<string, unknown>,
): Envelope => ({
  username: credentials.username,
  md5pass: md5pass(credentials.username, credentials.password),
  token: credentials.token,
  method,
  parameters,
});

/** A copy safe to log: no credential of the envelope. */
export const redacted = (e: Envelope) => ({ method: e.method, parameters: e.parameters });

/** Cents ↔ e-računi's decimal strings (never a float in between). */
export const decimal = (cents: number) =>
  `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`;
export function centsOf(value: unknown): number {
  const text = typeof value === 'number' ? value.toFixed(2) : String(value);
  const m = /^(-)?(\d+)(?:\.(\d{1,3}))?$/.exec(text.trim());
  if (!m) throw new TypeError(`not an amount: ${text}`);
  const frac = (m[3] ?? '').padEnd(3, '0');
  // three decimals (689.000 in the examples) rounded half-up to the cent
  const cents = Number(m[2]) * 100 + Number(frac.slice(0, 2)) + (Number(frac[2]) >= 5 ? 1 : 0);
  return m[1] ? -cents : cents;
}
const percent = (bp: number) => `${Math.floor(bp / 100)}.${String(bp % 100).padStart(2, '0')}`;
export const bpOf = (value: unknown) => Math.round(Number(value) * 100);

/** The document's key in `parameters` (SalesInvoice / SalesQuote). */
export const documentKey = (kind: DocumentKind) =>
  kind === 'PAYMENT_OFFER' ? 'SalesQuote' : 'SalesInvoice';

export function createParameters(req: DocumentRequest): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    dateOfSupplyFrom: req.date,
    buyerName: req.buyer.name,
    buyerEMail: req.buyer.email ?? undefined,
    buyerTaxNumber: req.buyer.oib ?? undefined,
    buyerStreet: req.buyer.address ?? undefined,
    currency: req.currency,
    orderReference: req.reference, // UNCONFIRMED field name
    Items: req.lines.map((l) => ({
      description: l.description,
      quantity: l.quantity,
      unit: 'kom',
      price: decimal(l.unitGross), // UNCONFIRMED: gross price with vatPercentage
      vatPercentage: percent(l.vatBp),
    })),
  };
  if (req.kind === 'CREDIT_NOTE') {
    doc.invoiceType = 'CreditNote'; // UNCONFIRMED
    doc.referencedInvoiceNumber = req.referencedNumber; // UNCONFIRMED
  }
  if (req.dueDate) doc[req.kind === 'PAYMENT_OFFER' ? 'validUntil' : 'dateDue'] = req.dueDate;
  // UNCONFIRMED: e-računi's own idempotency key (the same id never makes a second
  // document); the lookup by our reference before any retried create stays the guard.
  return { [documentKey(req.kind)]: doc, apiTransactionId: req.reference };
}

/** parameters of the list call finding our reference (UNCONFIRMED filter name). */
export const listByReference = (reference: string) => ({ orderReference: reference });
// CONFIRMED: a Get by e-računi's internal id.
export const getParameters = (id: string) => ({ documentID: id });

/** The document fields of an answer's result. */
export function documentOf(result: unknown): RemoteDocument {
  const r = result as Record<string, unknown>;
  const status = String(r.status ?? '');
  if (!['DRAFT', 'SENT', 'FISCALIZED', 'CANCELLED'].includes(status)) {
    throw new TypeError(`unknown document status: ${status}`);
  }
  if (typeof r.documentID !== 'string' || typeof r.number !== 'string') {
    throw new TypeError('documentID and number expected');
  }
  return {
    id: r.documentID,
    number: r.number,
    reference: String(r.orderReference ?? ''),
    status: status as RemoteStatus,
    fiscalizationId: typeof r.fiscalIdentifier === 'string' ? r.fiscalIdentifier : null,
    publicUrl: typeof r.publicURL === 'string' ? r.publicURL : null,
    total: centsOf(r.amountWithVAT),
  };
}

/** The result as the server writes it (local-server.ts), the inverse of documentOf. */
export const resultOf = (d: RemoteDocument) => ({
  documentID: d.id,
  number: d.number,
  orderReference: d.reference,
  status: d.status,
  fiscalIdentifier: d.fiscalizationId,
  publicURL: d.publicUrl,
  amountWithVAT: decimal(d.total),
});

/** UNCONFIRMED answer shape: { response: { status: 'ok', result } | { status: 'error', code, description } }. */
export type Answer =
  | { response: { status: 'ok'; result: unknown } }
  | { response: { status: 'error'; code: string; description: string } };

/** Error codes a retry cannot fix (bad credentials or a document the service refuses). */
export const PERMANENT_ERRORS = ['AUTHENTICATION_FAILED', 'VALIDATION', 'UNKNOWN_METHOD'];
