import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { withTimeout } from '../redis.ts';

/**
 * A store for @fastify/rate-limit that decides most requests without a Redis round trip.
 *
 * Counters stay shared by all instances in Redis, with the plugin's fixed-window semantics:
 * a key's window starts at its first increment in Redis and lasts the configured window
 * (a first increment counted in memory reaches Redis within one flush interval).
 * Each instance keeps, per key, the global count it last learned from Redis, that window's
 * expiry, and the increments it has not written yet:
 *
 * - Far below the limit — (known + pending + in flight + 1) × 2 ≤ max — the request is
 *   allowed locally and counted as pending. No Redis call.
 * - In the top half of the limit the request is decided exactly: one script INCRBYs the key
 *   by its pending increments plus this request and returns the count and PTTL; the answer
 *   is that count, as with the plugin's own RedisStore.
 * - Every flush interval the pending increments of all keys are written in one pipeline and
 *   the answers refresh what the instance knows; keys whose window ended are forgotten.
 *
 * The bound: each instance admits at most max/2 requests per key and window locally, and it
 * stops as soon as what it knows reaches max/2. So with N instances a caller bursting across
 * instances can exceed the limit by at most (N − 1) × max/2 requests, and only until the
 * other instances' next flush (one flush interval); near the limit every decision is exact,
 * and on one instance the limit is always exact.
 *
 * Redis trouble: the exact call fails and the plugin lets the request through
 * (skipOnError); pending increments are kept for the next flush but cannot grow past max/2
 * per key (local admission stops there), and the number of keys is capped, so memory stays
 * bounded through an outage.
 */

/** What an instance knows about one key. */
export interface Counter {
  /** The global count Redis last answered for this window. */
  known: number;
  /** Increments allowed here and not sent to Redis yet. */
  pending: number;
  /** Increments sent to Redis whose answer has not arrived. */
  inflight: number;
  /** When the window ends (epoch ms). */
  expiresAt: number;
}

export type Decision =
  { local: true; next: Counter; current: number; ttl: number } | { local: false };

/**
 * Allow locally, or ask Redis? A counter whose window has ended counts as a new one.
 * `current` is this instance's view of the count after the request.
 */
export function decide(
  counter: Counter | undefined,
  max: number,
  windowMs: number,
  now: number,
): Decision {
  const live = counter && counter.expiresAt > now ? counter : undefined;
  const known = live?.known ?? 0;
  const pending = live?.pending ?? 0;
  const inflight = live?.inflight ?? 0;
  const current = known + pending + inflight + 1;
  if (current * 2 > max) return { local: false };
  const expiresAt = live?.expiresAt ?? now + windowMs;
  return {
    local: true,
    next: { known, pending: pending + 1, inflight, expiresAt },
    current,
    ttl: expiresAt - now,
  };
}

/**
 * What a Redis answer (count and PTTL of the key) teaches. Answers of one window may arrive
 * out of order, so the larger count wins; an expiry later by more than half a window means
 * Redis started a new window (the old key expired), whose count replaces the old one.
 */
export function learn(
  counter: Counter,
  count: number,
  pttl: number,
  windowMs: number,
  now: number,
): Counter {
  const expiresAt = now + (pttl > 0 ? pttl : windowMs);
  const newWindow = expiresAt > counter.expiresAt + windowMs / 2;
  return {
    ...counter,
    known: newWindow ? count : Math.max(counter.known, count),
    expiresAt,
  };
}

// KEYS: counter; ARGV: increment, window ms → { count, pttl }. A key without expiry is new
// (or lost it): its window starts now.
const ADD = `
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return { count, ttl }
`;

// KEYS: counter → { count, pttl } without changing it.
const READ = `
local count = redis.call('GET', KEYS[1])
if not count then return { 0, 0 } end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return { tonumber(count), ttl }
`;

type Answer = [count: number, pttl: number];
type Arg = string | number;
interface CounterCommands {
  rateLimitAdd(key: string, increment: Arg, windowMs: Arg): Promise<Answer>;
  rateLimitRead(key: string): Promise<Answer>;
}
interface CounterPipeline {
  rateLimitAdd(key: string, increment: Arg, windowMs: Arg): CounterPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

const defined = new WeakSet<Redis>();

function scripts(redis: Redis): Redis & CounterCommands {
  if (!defined.has(redis)) {
    redis.defineCommand('rateLimitAdd', { numberOfKeys: 1, lua: ADD });
    redis.defineCommand('rateLimitRead', { numberOfKeys: 1, lua: READ });
    defined.add(redis);
  }
  return redis as Redis & CounterCommands;
}

interface Entry extends Counter {
  windowMs: number;
}

export interface SharedCountersOptions {
  redis: Redis;
  flushIntervalMs: number;
  /** Keys held in memory; past it, new keys are decided by Redis (exactly) and not held. */
  maxKeys?: number;
  /** How long close() waits for the last flush. */
  closeTimeoutMs?: number;
}

export const DEFAULT_MAX_KEYS = 100_000;

/**
 * The per-instance memory of the counters, shared by the store and its per-route children,
 * and the flush timer writing it to Redis.
 */
export class SharedCounters {
  private readonly redis: Redis & CounterCommands;
  private readonly entries = new Map<string, Entry>();
  private readonly dirty = new Set<string>();
  private readonly maxKeys: number;
  private readonly closeTimeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(options: SharedCountersOptions) {
    this.redis = scripts(options.redis);
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    // A pending write is not a reason to keep the process alive; close() flushes.
    this.timer.unref();
  }

  /** Keys held in memory. */
  get size(): number {
    return this.entries.size;
  }

  /** Increments not yet sent to Redis, all keys. */
  get pending(): number {
    let sum = 0;
    for (const key of this.dirty) sum += this.entries.get(key)?.pending ?? 0;
    return sum;
  }

  get closed(): boolean {
    return this.timer === undefined;
  }

  async incr(
    key: string,
    windowMs: number,
    max: number,
  ): Promise<{ current: number; ttl: number }> {
    const now = Date.now();
    const entry = this.entries.get(key);
    const decision = decide(entry, max, windowMs, now);
    if (!decision.local) return this.exact(key, entry, windowMs, now);
    if (entry && entry.expiresAt === decision.next.expiresAt) {
      entry.pending = decision.next.pending;
    } else if (entry || this.entries.size < this.maxKeys) {
      // A new key, or a window that ended here: a fresh entry (answers to the old one are
      // recognised by identity and dropped).
      this.entries.set(key, { ...decision.next, windowMs });
    } else {
      return this.exact(key, undefined, windowMs, now);
    }
    this.dirty.add(key);
    return { current: decision.current, ttl: decision.ttl };
  }

  /** Sends this key's pending increments plus this request; the count decides. */
  private async exact(
    key: string,
    held: Entry | undefined,
    windowMs: number,
    now: number,
  ): Promise<{ current: number; ttl: number }> {
    let entry = held && held.expiresAt > now ? held : undefined;
    if (!entry && (held || this.entries.size < this.maxKeys)) {
      entry = { known: 0, pending: 0, inflight: 0, expiresAt: now + windowMs, windowMs };
      this.entries.set(key, entry);
    }
    if (!entry) {
      // Over the key cap: decided by Redis alone, like the plugin's RedisStore.
      const [count, ttl] = await this.redis.rateLimitAdd(key, 1, windowMs);
      return { current: count, ttl };
    }
    const take = entry.pending + 1;
    entry.pending = 0;
    entry.inflight += take;
    this.dirty.delete(key);
    let answer: Answer;
    try {
      answer = await this.redis.rateLimitAdd(key, take, windowMs);
    } catch (err) {
      // The plugin lets this request through (skipOnError) uncounted; the increments it
      // carried for earlier requests wait for the next flush.
      this.settle(key, entry, take, null, take - 1);
      throw err;
    }
    this.settle(key, entry, take, answer, 0);
    return { current: answer[0], ttl: answer[1] };
  }

  private settle(
    key: string,
    entry: Entry,
    take: number,
    answer: Answer | null,
    restore: number,
  ): void {
    if (this.entries.get(key) !== entry) return; // the window ended meanwhile
    entry.inflight -= take;
    if (answer) {
      const learned = learn(entry, answer[0], answer[1], entry.windowMs, Date.now());
      entry.known = learned.known;
      entry.expiresAt = learned.expiresAt;
    } else if (restore > 0) {
      entry.pending += restore;
      this.dirty.add(key);
    }
  }

  /** Non-mutating: Redis's count plus what this instance has not written yet. */
  async read(key: string): Promise<{ current: number; ttl: number }> {
    const [count, ttl] = await this.redis.rateLimitRead(key);
    const entry = this.entries.get(key);
    const unwritten = entry && entry.expiresAt > Date.now() ? entry.pending : 0;
    return { current: count + unwritten, ttl };
  }

  /**
   * Forgets keys whose window ended, then writes all pending increments in one pipeline.
   * One flush at a time: a slow Redis does not pile up flushes.
   */
  flush(): Promise<void> {
    this.flushing ??= this.writePending().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(key);
        this.dirty.delete(key);
      }
    }
    if (this.dirty.size === 0) return;
    const batch: Array<{ key: string; entry: Entry; take: number }> = [];
    const pipeline = this.redis.pipeline() as unknown as CounterPipeline;
    for (const key of this.dirty) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      const take = entry.pending;
      entry.pending = 0;
      entry.inflight += take;
      batch.push({ key, entry, take });
      pipeline.rateLimitAdd(key, take, entry.windowMs);
    }
    this.dirty.clear();
    let results: Array<[Error | null, unknown]> | null = null;
    try {
      results = await pipeline.exec();
    } catch {
      results = null;
    }
    batch.forEach(({ key, entry, take }, i) => {
      const [err, answer] = results?.[i] ?? [new Error('no answer'), null];
      if (err) this.settle(key, entry, take, null, take);
      else this.settle(key, entry, take, answer as Answer, 0);
    });
  }

  /** Stops the timer and writes what is pending (bounded wait: Redis may be down). */
  async close(): Promise<void> {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    const last = (async () => {
      await this.flushing;
      await this.flush();
    })();
    await withTimeout(last, this.closeTimeoutMs).catch(() => {});
  }
}

/**
 * The store class the plugin instantiates (`new Store(options)`), bound to this instance's
 * counters. Keys are `<nameSpace><key>`, per-route children `<nameSpace><METHOD><url>-<key>`,
 * as with the plugin's RedisStore.
 */
export function sharedCounterStore(
  counters: SharedCounters,
  nameSpace: string,
): FastifyRateLimitStoreCtor {
  class SharedCounterStore implements FastifyRateLimitStore {
    private readonly prefix: string;

    constructor(_options: unknown, prefix = nameSpace) {
      this.prefix = prefix;
    }

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
      max: number,
    ): void {
      counters.incr(this.prefix + key, timeWindow, max).then(
        (result) => callback(null, result),
        (err: Error) => callback(err),
      );
    }

    read(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
    ): void {
      counters.read(this.prefix + key).then(
        (result) => callback(null, result),
        (err: Error) => callback(err),
      );
    }

    child(routeOptions: unknown): FastifyRateLimitStore {
      const route = (routeOptions as { routeInfo?: { method?: string; url?: string } }).routeInfo;
      return new SharedCounterStore(
        undefined,
        `${this.prefix}${route?.method ?? ''}${route?.url ?? ''}-`,
      );
    }
  }
  return SharedCounterStore as unknown as FastifyRateLimitStoreCtor;
}
