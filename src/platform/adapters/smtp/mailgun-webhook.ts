/**
 * Mailgun webhook signatures: `signature` is HMAC-SHA256, keyed with the webhook signing
 * key, of `timestamp + token` in hex. We also refuse timestamps more than 15 minutes off
 * (replay of an old capture); callers refuse a token seen before.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const MAILGUN_MAX_SKEW_SECONDS = 15 * 60;

export function mailgunSignature(signingKey: string, timestamp: string, token: string): string {
  return createHmac('sha256', signingKey)
    .update(timestamp + token)
    .digest('hex');
}

export function verifyMailgunSignature(
  signingKey: string,
  sig: { timestamp: string; token: string; signature: string },
  now: Date,
): { ok: true } | { ok: false; reason: string } {
  const expected = Buffer.from(mailgunSignature(signingKey, sig.timestamp, sig.token), 'hex');
  const given = Buffer.from(sig.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'signature does not match' };
  }
  const ts = Number(sig.timestamp);
  if (!Number.isFinite(ts) || Math.abs(now.getTime() / 1000 - ts) > MAILGUN_MAX_SKEW_SECONDS) {
    return { ok: false, reason: 'timestamp is too far from the current time' };
  }
  return { ok: true };
}
