/**
 * The one place that decides what personal identifiers may leave the process in an audit
 * event (spec "Audit Logging Infrastructure", PII handling):
 * - an OIB (any key containing `oib`, any letter case: `oib`, `holder_oib`, `newHolderOib`)
 *   keeps only its last 4 digits: `12345678903` → `*******8903`;
 * - a passport number (any key containing `passport`, plus `document_number`, which holds
 *   a passport number for foreign holders) is removed entirely, key and value.
 * It walks objects and arrays at any depth and returns a new value; the input is untouched.
 * `recordAudit` applies it before the event is written to the job table, so neither the
 * outbox nor Loki ever holds the clear values.
 */
const OIB_KEY = /oib/i;
const DROPPED_KEY = /passport|^document_?number$/i;

export function maskOib(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string' && /^\*+\d{4}$/.test(value)) return value; // already masked
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value).replace(/\D/g, '');
    if (digits.length <= 4) return '*'.repeat(digits.length);
    return '*'.repeat(digits.length - 4) + digits.slice(-4);
  }
  // An OIB key holding a structure is unexpected: keep its shape, mask every leaf.
  if (Array.isArray(value)) return value.map(maskOib);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskOib(v)]));
  }
  return '[masked]';
}

export function maskPii<T>(value: T): T {
  return walk(value, new WeakSet()) as T;
}

function walk(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => walk(item, seen));
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (DROPPED_KEY.test(key)) continue;
      out[key] = OIB_KEY.test(key) ? maskOib(inner) : walk(inner, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
