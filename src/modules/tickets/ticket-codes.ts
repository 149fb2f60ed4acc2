import {
  createPrivateKey,
  createPublicKey,
  randomInt,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

/**
 * What is printed on a ticket (E4-F8, E9-F1):
 *
 * - **barcode**: 18 digits, the first 17 uniformly random (crypto RNG, ~56 bits, so
 *   barcodes cannot be guessed or enumerated) and a Luhn check digit that lets a scanner
 *   reject misreads; UNIQUE in the database. Numeric so every turnstile reader (Code 128,
 *   manual entry) can take it.
 * - **QR payload**: `HNS1:<ticket id>:<match id>:<barcode>:<key id>:<signature>`, signed
 *   with Ed25519 over everything before the signature. A scanner holding only the public
 *   keys verifies a ticket offline and knows which match it is for; nobody without the
 *   private key can forge one. Keys rotate like PII keys: the first of TICKET_SIGNING_KEYS
 *   signs, all verify.
 */

const PAYLOAD_VERSION = 'HNS1';

export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function isValidBarcode(barcode: string): boolean {
  return /^\d{18}$/.test(barcode) && luhnCheckDigit(barcode.slice(0, 17)) === Number(barcode[17]);
}

export function generateBarcode(): string {
  // First digit 1-9 so the value never loses a leading zero in a spreadsheet export.
  let body = String(randomInt(1, 10));
  while (body.length < 17) body += String(randomInt(0, 10));
  return body + String(luhnCheckDigit(body));
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface TicketSigner {
  readonly activeKeyId: string;
  qrPayload(ticket: { id: string; matchId: string; barcode: string }): string;
  /** The ticket a payload names, or null when it is malformed or not signed by our keys. */
  verify(payload: string): { ticketId: string; matchId: string; barcode: string } | null;
  /** Key id → SPKI PEM public key, for scanners. */
  publicKeys(): Record<string, string>;
}

export function createTicketSigner(spec: string): TicketSigner {
  const keys = new Map<string, { priv: KeyObject; pub: KeyObject }>();
  for (const entry of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = entry.indexOf(':');
    const id = entry.slice(0, at);
    const seed = Buffer.from(entry.slice(at + 1), 'base64');
    if (at <= 0 || seed.length !== 32 || !/^[A-Za-z0-9_-]{1,16}$/.test(id)) {
      throw new Error('TICKET_SIGNING_KEYS entries must be "<id>:<base64 of 32 bytes>"');
    }
    const priv = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    keys.set(id, { priv, pub: createPublicKey(priv) });
  }
  const activeKeyId = [...keys.keys()][0];
  if (!activeKeyId) throw new Error('at least one ticket signing key is required');
  const active = keys.get(activeKeyId)!;

  return {
    activeKeyId,
    qrPayload({ id, matchId, barcode }) {
      const body = `${PAYLOAD_VERSION}:${id}:${matchId}:${barcode}:${activeKeyId}`;
      const signature = sign(null, Buffer.from(body), active.priv).toString('base64url');
      return `${body}:${signature}`;
    },
    verify(payload) {
      const parts = payload.split(':');
      if (parts.length !== 6 || parts[0] !== PAYLOAD_VERSION) return null;
      const [, ticketId, matchId, barcode, kid, signature] = parts as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const key = keys.get(kid);
      if (!key || !isValidBarcode(barcode)) return null;
      const body = parts.slice(0, 5).join(':');
      const ok = verify(null, Buffer.from(body), key.pub, Buffer.from(signature, 'base64url'));
      return ok ? { ticketId, matchId, barcode } : null;
    },
    publicKeys() {
      return Object.fromEntries(
        [...keys].map(([id, k]) => [id, k.pub.export({ format: 'pem', type: 'spki' }).toString()]),
      );
    },
  };
}

const signers = new Map<string, TicketSigner>();

export function getTicketSigner(config: { TICKET_SIGNING_KEYS: string }): TicketSigner {
  let signer = signers.get(config.TICKET_SIGNING_KEYS);
  if (!signer) {
    signer = createTicketSigner(config.TICKET_SIGNING_KEYS);
    signers.set(config.TICKET_SIGNING_KEYS, signer);
  }
  return signer;
}
