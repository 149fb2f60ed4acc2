/**
 * A per-process memo for reference facts that hot requests read every time (a match's
 * phases, zones and fees during an on-sale): every SQL round trip costs API and database
 * CPU, and these facts change a few times a day. An entry lives `ttlMs` of real time
 * (not the injectable clock: it bounds staleness, it is not a business rule), so a change
 * reaches every process within that bound. Concurrent misses of one key share one load,
 * so a burst of requests costs one read. `ttlMs` 0 disables it (every get loads).
 */
export interface TtlMemo<V> {
  get(key: string, load: () => Promise<V>): Promise<V>;
  clear(): void;
}

export function createTtlMemo<V>(ttlMs: number, maxEntries = 10_000): TtlMemo<V> {
  const entries = new Map<string, { value: Promise<V>; expiresAt: number }>();
  return {
    get(key, load) {
      if (ttlMs <= 0) return load();
      const now = performance.now();
      const hit = entries.get(key);
      if (hit && hit.expiresAt > now) return hit.value;
      if (entries.size >= maxEntries) entries.clear();
      const value = load();
      entries.set(key, { value, expiresAt: now + ttlMs });
      // A failed load is not remembered: the next request tries again.
      value.catch(() => {
        if (entries.get(key)?.value === value) entries.delete(key);
      });
      return value;
    },
    clear: () => entries.clear(),
  };
}

const memosByOwner = new WeakMap<object, Map<string, TtlMemo<unknown>>>();

/**
 * The memo called `name` of `owner` (pass the database handle: one set per process in
 * production, per test context in tests), created on first use with `ttlMs`.
 */
export function memoOf<V>(owner: object, name: string, ttlMs: number): TtlMemo<V> {
  let memos = memosByOwner.get(owner);
  if (!memos) {
    memos = new Map();
    memosByOwner.set(owner, memos);
  }
  let memo = memos.get(name);
  if (!memo) {
    memo = createTtlMemo<unknown>(ttlMs);
    memos.set(name, memo);
  }
  return memo as TtlMemo<V>;
}
