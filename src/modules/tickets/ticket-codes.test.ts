import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createTicketSigner,
  generateBarcode,
  isValidBarcode,
  luhnCheckDigit,
} from './ticket-codes.ts';

const KEYS = 'k1:Z5DUCHddgywxFixEJw3ggRxZA1cS6lz9qSRG/ls52rg=';
const OTHER = 'k0:Z12AeURlYzLXJ8JVfzD6fYoPRCD/PovyCYFXgOjlf3Y=';
const ticket = {
  id: '6f1c2d3e-4b5a-4c6d-8e7f-901234567890',
  matchId: '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d',
};

describe('ticket barcodes and signed QR payloads (E9-F1)', () => {
  it('draws 18-digit barcodes with a Luhn check digit that catches single-digit misreads', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const b = generateBarcode();
      expect(b).toMatch(/^[1-9]\d{17}$/);
      expect(isValidBarcode(b)).toBe(true);
      seen.add(b);
    }
    expect(seen.size).toBe(2000);
    expect(luhnCheckDigit('7992739871')).toBe(3);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 17 }), fc.integer({ min: 1, max: 9 }), (pos, delta) => {
        const b = generateBarcode();
        const wrong = b.slice(0, pos) + String((Number(b[pos]) + delta) % 10) + b.slice(pos + 1);
        expect(isValidBarcode(wrong)).toBe(false);
      }),
    );
  });

  it('verifies payloads offline and rejects tampering, unknown keys and other formats', () => {
    const signer = createTicketSigner(KEYS);
    const barcode = generateBarcode();
    const payload = signer.qrPayload({ ...ticket, barcode });
    expect(payload.startsWith(`HNS1:${ticket.id}:${ticket.matchId}:${barcode}:k1:`)).toBe(true);
    expect(signer.verify(payload)).toEqual({
      ticketId: ticket.id,
      matchId: ticket.matchId,
      barcode,
    });

    const other = generateBarcode();
    expect(signer.verify(payload.replace(barcode, other))).toBeNull();
    expect(signer.verify(payload.replace(ticket.matchId, ticket.id))).toBeNull();
    // A changed signature character (in the middle: the last base64url character carries
    // padding bits, and a random signature already ending in "AA" made this flaky).
    const at = payload.length - 20;
    const flipped = payload[at] === 'A' ? 'B' : 'A';
    expect(signer.verify(payload.slice(0, at) + flipped + payload.slice(at + 1))).toBeNull();
    expect(signer.verify('not a ticket')).toBeNull();
    expect(createTicketSigner(OTHER).verify(payload)).toBeNull();

    // rotation: a new first key signs, the old one still verifies
    const rotated = createTicketSigner(`${OTHER},${KEYS}`);
    expect(rotated.verify(payload)).not.toBeNull();
    expect(rotated.qrPayload({ ...ticket, barcode })).toContain(':k0:');
    expect(Object.keys(rotated.publicKeys())).toEqual(['k0', 'k1']);
    expect(rotated.publicKeys().k1).toContain('BEGIN PUBLIC KEY');
  });
});
