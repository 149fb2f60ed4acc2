import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPiiCipher, getPiiCipher, maskLast4, parsePiiKeys } from './crypto.ts';

const key = () => randomBytes(32).toString('base64');
const blindIndexKey = key();

describe('PII cipher', () => {
  const k0 = key();
  const k1 = key();
  const old = createPiiCipher({ keys: { k0 }, activeKeyId: 'k0', blindIndexKey });
  const rotated = createPiiCipher({ keys: { k1, k0 }, activeKeyId: 'k1', blindIndexKey });

  it('round-trips and names the key in a randomized ciphertext', () => {
    const a = old.encrypt('69435151530');
    const b = old.encrypt('69435151530');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1:k0:[\w-]+:[\w-]+:[\w-]+$/);
    expect(a).not.toContain('69435151530');
    expect(old.decrypt(a)).toBe('69435151530');
  });

  it('after rotation writes under the new key and still reads data written under the old one', () => {
    const written = old.encrypt('AB1234567');
    const fresh = rotated.encrypt('AB1234567');
    expect(fresh.split(':')[1]).toBe('k1');
    expect(rotated.decrypt(written)).toBe('AB1234567');
    expect(rotated.decrypt(fresh)).toBe('AB1234567');
    // The old-only cipher cannot read the new key's data.
    expect(() => old.decrypt(fresh)).toThrow(/k1/);
  });

  it('rejects tampered ciphertexts and relabelled key ids', () => {
    const c = rotated.encrypt('secret');
    const parts = c.split(':');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    expect(() =>
      rotated.decrypt([...parts.slice(0, 4), body.toString('base64url')].join(':')),
    ).toThrow();
    expect(() => rotated.decrypt(['v1', 'k0', ...parts.slice(2)].join(':'))).toThrow();
  });

  it('gives a deterministic keyed blind index independent of the encryption key', () => {
    expect(old.blindIndex('69435151530')).toBe(rotated.blindIndex('69435151530'));
    expect(old.blindIndex('69435151530')).toMatch(/^[0-9a-f]{64}$/);
    expect(old.blindIndex('69435151530')).not.toBe(old.blindIndex('69435151531'));
    const other = createPiiCipher({ keys: { k0 }, activeKeyId: 'k0', blindIndexKey: key() });
    expect(other.blindIndex('69435151530')).not.toBe(old.blindIndex('69435151530'));
  });

  it('refuses bad keys', () => {
    expect(() =>
      createPiiCipher({ keys: { k0: 'c2hvcnQ=' }, activeKeyId: 'k0', blindIndexKey }),
    ).toThrow(/32 bytes/);
    expect(() => createPiiCipher({ keys: { k0 }, activeKeyId: 'k9', blindIndexKey })).toThrow(/k9/);
  });

  it('parses PII_KEYS with the first key active and memoizes per config', () => {
    expect(parsePiiKeys(`k1:${k1}, k0:${k0}`)).toEqual({
      keys: [
        { id: 'k1', key: k1 },
        { id: 'k0', key: k0 },
      ],
      activeKeyId: 'k1',
    });
    const config = { PII_KEYS: `k1:${k1},k0:${k0}`, PII_BLIND_INDEX_KEY: blindIndexKey };
    expect(getPiiCipher(config)).toBe(getPiiCipher(config));
    expect(getPiiCipher(config).decrypt(old.encrypt('x'))).toBe('x');
  });

  it('masks all but the last 4 characters', () => {
    expect(maskLast4('69435151530')).toBe('*******1530');
    expect(maskLast4('123')).toBe('123');
  });
});
