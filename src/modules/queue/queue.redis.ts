import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The live line in Redis. Every key of a match carries the `{<match_id>}` hash tag so one
 * Lua script may touch them together on a Redis Cluster; the client's keyPrefix is added
 * to KEYS by ioredis.
 *
 * - `queue:{m}`                 sorted set: user id → line number (the `seq` counter)
 * - `queue_meta:{m}`            hash: seq, preopen_seq, shuffled, rate_measured, admitted_total,
 *                               last_round_ms, credit, first_round_ms
 * - `queue_session:{m}:<user>`  hash: status, seq, joined_at, joined_rank, last_heartbeat,
 *                               milestone (30-min TTL)
 * - `queue_hb:{m}`              sorted set: user id → last heartbeat (ms, injectable clock)
 * - `queue_rounds:{m}`          sorted set of admission rounds (`<ms>:<count>:<id>` → ms)
 * - `queue_lock:{m}`            the admission lock (one worker per match at a time)
 * - `queue_epoch:{m}`           when this copy of the line was loaded (ms); missing = Redis
 *                               lost the line (restart without data, failover): the scripts
 *                               that read the line refuse to run until it is rebuilt from
 *                               PostgreSQL (queue.recovery.ts)
 * - `queue_rebuild:{m}`         the rebuild lock
 */
export const keys = {
  line: (m: string) => `queue:{${m}}`,
  meta: (m: string) => `queue_meta:{${m}}`,
  session: (m: string, u: string) => `queue_session:{${m}}:${u}`,
  heartbeats: (m: string) => `queue_hb:{${m}}`,
  rounds: (m: string) => `queue_rounds:{${m}}`,
  lock: (m: string) => `queue_lock:{${m}}`,
  epoch: (m: string) => `queue_epoch:{${m}}`,
  rebuild: (m: string) => `queue_rebuild:{${m}}`,
  ticker: () => 'queue_ticker',
};

/** Pub/sub channels are not prefixed by ioredis: the configured prefix is added here. */
export const channelFor = (prefix: string, matchId: string) => `${prefix}queue-events:${matchId}`;

export const SESSION_TTL_SECONDS = 30 * 60;

// KEYS: line, meta, session, heartbeats, epoch
// ARGV: user, now_ms, session_ttl_s, grace_ms, opens_at_ms
// → { rank, size, created, seq, rate_measured|false }, or { -2 } when the line is not loaded
const JOIN = `
if redis.call('EXISTS', KEYS[5]) == 0 then return { -2 } end
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
local now = tonumber(ARGV[2])
if rank then
  local hb = redis.call('ZSCORE', KEYS[4], ARGV[1])
  if (not hb) or (now - tonumber(hb) > tonumber(ARGV[4])) then
    redis.call('ZREM', KEYS[1], ARGV[1])
    redis.call('ZREM', KEYS[4], ARGV[1])
    redis.call('DEL', KEYS[3])
    rank = false
  end
end
local created = 0
local seq
if rank then
  seq = redis.call('ZSCORE', KEYS[1], ARGV[1])
else
  seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
  redis.call('ZADD', KEYS[1], seq, ARGV[1])
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'status', 'WAITING', 'seq', seq, 'joined_at', ARGV[2])
  rank = redis.call('ZRANK', KEYS[1], ARGV[1])
  if now < tonumber(ARGV[5]) then
    redis.call('HSET', KEYS[2], 'preopen_seq', seq)
  else
    -- where the fan started: progress pushes are for moves from here (not before opening:
    -- the shuffle redraws those places)
    redis.call('HSET', KEYS[3], 'joined_rank', rank + 1)
  end
  created = 1
end
redis.call('ZADD', KEYS[4], now, ARGV[1])
redis.call('HSET', KEYS[3], 'last_heartbeat', ARGV[2])
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[3]))
return { rank, redis.call('ZCARD', KEYS[1]), created, tostring(seq), redis.call('HGET', KEYS[2], 'rate_measured') }
`;

// KEYS: line, meta, session, heartbeats, epoch
// ARGV: user, now_ms, session_ttl_s, grace_ms, touch (1|0)
// → { rank|-1, size, lost (1|0), rate_measured|false, epoch }, or { -2 } when not loaded
const TOUCH = `
local epoch = redis.call('GET', KEYS[5])
if not epoch then return { -2 } end
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
local now = tonumber(ARGV[2])
local lost = 0
if rank then
  local hb = redis.call('ZSCORE', KEYS[4], ARGV[1])
  if (not hb) or (now - tonumber(hb) > tonumber(ARGV[4])) then
    redis.call('ZREM', KEYS[1], ARGV[1])
    redis.call('ZREM', KEYS[4], ARGV[1])
    redis.call('DEL', KEYS[3])
    rank = false
    lost = 1
  elseif ARGV[5] == '1' then
    redis.call('ZADD', KEYS[4], now, ARGV[1])
    redis.call('HSET', KEYS[3], 'last_heartbeat', ARGV[2])
    redis.call('EXPIRE', KEYS[3], tonumber(ARGV[3]))
  end
end
local size = redis.call('ZCARD', KEYS[1])
local rate = redis.call('HGET', KEYS[2], 'rate_measured')
if not rank then rank = -1 end
return { rank, size, lost, rate, epoch }
`;

// KEYS: line, heartbeats, session → removed (1|0)
const LEAVE = `
local n = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
return n
`;

// Removes members from the line (admitted, stale, or swept).
// KEYS: line, heartbeats, session_1..session_n
// ARGV: mode ('admit'|'drop'|'stale'), cutoff_ms|window_expires_ms, user_1..user_n
// 'stale' removes a member only if its last heartbeat is still <= cutoff (a heartbeat that
// arrived meanwhile keeps the place). → the removed user ids
const REMOVE = `
local removed = {}
for i = 3, #ARGV do
  local user = ARGV[i]
  local go = true
  if ARGV[1] == 'stale' then
    local hb = redis.call('ZSCORE', KEYS[2], user)
    go = (not hb) or tonumber(hb) <= tonumber(ARGV[2])
  end
  if go then
    local n = redis.call('ZREM', KEYS[1], user)
    redis.call('ZREM', KEYS[2], user)
    local session = KEYS[i]
    if ARGV[1] == 'admit' then
      redis.call('HSET', session, 'status', 'ACTIVE', 'window_expires_at', ARGV[2])
      redis.call('EXPIRE', session, 1800)
    else
      redis.call('DEL', session)
    end
    if n > 0 or ARGV[1] ~= 'stale' then removed[#removed + 1] = user end
  end
end
return removed
`;

// The fair-start shuffle: new line numbers for members that joined before the opening.
// KEYS: line; ARGV: preopen_seq, user_1, seq_1, user_2, seq_2, … → members changed
const APPLY_SCORES = `
local limit = tonumber(ARGV[1])
local changed = 0
for i = 2, #ARGV, 2 do
  local current = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if current and tonumber(current) <= limit then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[i + 1], ARGV[i])
    changed = changed + 1
  end
end
return changed
`;

// Puts fans back in a line Redis lost, from their queue_entries rows. A member already in
// the line keeps its place, heartbeat and session; a restored one gets a fresh heartbeat.
// KEYS: line, heartbeats, session_1..session_n
// ARGV: now_ms, session_ttl_s, then per fan: user, seq, joined_at_ms, joined_rank
// → members restored
const RESTORE = `
local restored = 0
for i = 0, (#ARGV - 2) / 4 - 1 do
  local user, seq = ARGV[3 + i * 4], ARGV[4 + i * 4]
  if redis.call('ZADD', KEYS[1], 'NX', seq, user) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[1], user)
    local session = KEYS[3 + i]
    redis.call('DEL', session)
    redis.call('HSET', session, 'status', 'WAITING', 'seq', seq, 'joined_at', ARGV[5 + i * 4],
      'last_heartbeat', ARGV[1])
    if tonumber(ARGV[6 + i * 4]) > 0 then
      redis.call('HSET', session, 'joined_rank', ARGV[6 + i * 4])
    end
    redis.call('EXPIRE', session, tonumber(ARGV[2]))
    restored = restored + 1
  end
end
return restored
`;

// The end of a rebuild: the counters the line needs, then the epoch that marks it loaded.
// KEYS: meta, epoch; ARGV: seq_floor, preopen_seq, shuffled (1|0), admitted_total, epoch_ms
const LOADED = `
if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], 'seq') or '0') then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1])
end
if tonumber(ARGV[2]) > 0 then redis.call('HSETNX', KEYS[1], 'preopen_seq', ARGV[2]) end
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'shuffled', '1') end
redis.call('HSETNX', KEYS[1], 'admitted_total', ARGV[4])
redis.call('SET', KEYS[2], ARGV[5])
return 1
`;

// KEYS: lock; ARGV: token, ttl_ms → 1 when extended
const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

// KEYS: lock; ARGV: token → 1 when released
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type Arg = string | number;

interface QueueCommands {
  queueJoin(...args: Arg[]): Promise<[number, number, number, string, string | null]>;
  queueTouch(...args: Arg[]): Promise<[number, number, number, string | null, string]>;
  queueRestore(...args: Arg[]): Promise<number>;
  queueLoaded(...args: Arg[]): Promise<number>;
  queueLeave(...args: Arg[]): Promise<number>;
  queueRemove(...args: Arg[]): Promise<string[]>;
  queueApplyScores(...args: Arg[]): Promise<number>;
  queueLockExtend(...args: Arg[]): Promise<number>;
  queueLockRelease(...args: Arg[]): Promise<number>;
}

const defined = new WeakSet<Redis>();

/** The client with the waiting-room scripts defined (once per client; EVALSHA with fallback). */
export function scripts(redis: Redis): Redis & QueueCommands {
  if (!defined.has(redis)) {
    redis.defineCommand('queueJoin', { numberOfKeys: 5, lua: JOIN });
    redis.defineCommand('queueTouch', { numberOfKeys: 5, lua: TOUCH });
    redis.defineCommand('queueRestore', { lua: RESTORE });
    redis.defineCommand('queueLoaded', { numberOfKeys: 2, lua: LOADED });
    redis.defineCommand('queueLeave', { numberOfKeys: 3, lua: LEAVE });
    redis.defineCommand('queueRemove', { lua: REMOVE });
    redis.defineCommand('queueApplyScores', { numberOfKeys: 1, lua: APPLY_SCORES });
    redis.defineCommand('queueLockExtend', { numberOfKeys: 1, lua: EXTEND });
    redis.defineCommand('queueLockRelease', { numberOfKeys: 1, lua: RELEASE });
    defined.add(redis);
  }
  return redis as Redis & QueueCommands;
}

/** The scripts' answer when the line's epoch key is missing (Redis lost it). */
const NOT_LOADED = -2;

export interface JoinResult {
  rank: number;
  size: number;
  created: boolean;
  seq: number;
  rateMeasured: number | null;
}

/** The join, or null when Redis lost the line and it must be rebuilt first. */
export async function redisJoin(
  redis: Redis,
  matchId: string,
  userId: string,
  nowMs: number,
  graceMs: number,
  opensAtMs: number,
): Promise<JoinResult | null> {
  const [rank, size, created, seq, rate] = await scripts(redis).queueJoin(
    keys.line(matchId),
    keys.meta(matchId),
    keys.session(matchId, userId),
    keys.heartbeats(matchId),
    keys.epoch(matchId),
    userId,
    nowMs,
    SESSION_TTL_SECONDS,
    graceMs,
    opensAtMs,
  );
  if (rank === NOT_LOADED) return null;
  return {
    rank,
    size,
    created: created === 1,
    seq: Number(seq),
    rateMeasured: rate === null ? null : Number(rate),
  };
}

export interface TouchResult {
  /** 0-based rank, or null when not in the line. */
  rank: number | null;
  size: number;
  /** The place was lost just now (grace period over). */
  lost: boolean;
  rateMeasured: number | null;
  /** When the line in Redis was loaded (queue_epoch, ms of the clock). */
  epochMs: number;
}

/** The touch, or null when Redis lost the line and it must be rebuilt first. */
export async function redisTouch(
  redis: Redis,
  matchId: string,
  userId: string,
  nowMs: number,
  graceMs: number,
  touch: boolean,
): Promise<TouchResult | null> {
  const [rank, size, lost, rate, epoch] = await scripts(redis).queueTouch(
    keys.line(matchId),
    keys.meta(matchId),
    keys.session(matchId, userId),
    keys.heartbeats(matchId),
    keys.epoch(matchId),
    userId,
    nowMs,
    SESSION_TTL_SECONDS,
    graceMs,
    touch ? 1 : 0,
  );
  if (rank === NOT_LOADED) return null;
  return {
    rank: rank < 0 ? null : rank,
    size,
    lost: lost === 1,
    rateMeasured: rate === null ? null : Number(rate),
    epochMs: Number(epoch),
  };
}

export async function redisLeave(redis: Redis, matchId: string, userId: string): Promise<boolean> {
  const n = await scripts(redis).queueLeave(
    keys.line(matchId),
    keys.heartbeats(matchId),
    keys.session(matchId, userId),
    userId,
  );
  return n > 0;
}

export async function redisRemove(
  redis: Redis,
  matchId: string,
  mode: 'admit' | 'drop' | 'stale',
  value: number,
  userIds: readonly string[],
): Promise<string[]> {
  if (userIds.length === 0) return [];
  const sessionKeys = userIds.map((u) => keys.session(matchId, u));
  return scripts(redis).queueRemove(
    2 + userIds.length,
    keys.line(matchId),
    keys.heartbeats(matchId),
    ...sessionKeys,
    mode,
    value,
    ...userIds,
  );
}

export async function redisApplyScores(
  redis: Redis,
  matchId: string,
  preopenSeq: number,
  pairs: ReadonlyArray<readonly [string, number]>,
): Promise<number> {
  if (pairs.length === 0) return 0;
  return scripts(redis).queueApplyScores(keys.line(matchId), preopenSeq, ...pairs.flat());
}

export interface RestoredFan {
  userId: string;
  seq: number;
  joinedAtMs: number;
  /** The place when restored: progress pushes are for moves from here (0: not known). */
  joinedRank: number;
}

/** Puts fans back in the line (NX: a fan already there keeps everything); → how many. */
export async function redisRestore(
  redis: Redis,
  matchId: string,
  nowMs: number,
  fans: readonly RestoredFan[],
): Promise<number> {
  if (fans.length === 0) return 0;
  return scripts(redis).queueRestore(
    2 + fans.length,
    keys.line(matchId),
    keys.heartbeats(matchId),
    ...fans.map((f) => keys.session(matchId, f.userId)),
    nowMs,
    SESSION_TTL_SECONDS,
    ...fans.flatMap((f) => [f.userId, f.seq, f.joinedAtMs, f.joinedRank]),
  );
}

/** Marks the line loaded (the epoch) with the counters it needs. */
export async function redisMarkLoaded(
  redis: Redis,
  matchId: string,
  state: { seqFloor: number; preopenSeq: number; shuffled: boolean; admittedTotal: number },
  epochMs: number,
): Promise<void> {
  await scripts(redis).queueLoaded(
    keys.meta(matchId),
    keys.epoch(matchId),
    state.seqFloor,
    state.preopenSeq,
    state.shuffled ? '1' : '0',
    state.admittedTotal,
    epochMs,
  );
}

/** A lease: SET NX PX with a random token, extended and released only by its holder. */
export async function acquireLock(
  redis: Redis,
  key: string,
  ttlMs: number,
): Promise<string | null> {
  const token = randomUUID();
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  return ok === 'OK' ? token : null;
}

export async function extendLock(
  redis: Redis,
  key: string,
  token: string,
  ttlMs: number,
): Promise<boolean> {
  return (await scripts(redis).queueLockExtend(key, token, ttlMs)) === 1;
}

export async function releaseLock(redis: Redis, key: string, token: string): Promise<void> {
  await scripts(redis).queueLockRelease(key, token);
}

/** The 0-based ranks of these users (null when not waiting), one round trip. */
export async function ranksOf(
  redis: Redis,
  matchId: string,
  userIds: readonly string[],
): Promise<{
  ranks: (number | null)[];
  size: number;
  rateMeasured: number | null;
  /** When the line was loaded (ms), or null: Redis lost it and it must be rebuilt. */
  epochMs: number | null;
}> {
  const pipeline = redis.pipeline();
  for (const u of userIds) pipeline.zrank(keys.line(matchId), u);
  pipeline.zcard(keys.line(matchId));
  pipeline.hget(keys.meta(matchId), 'rate_measured');
  pipeline.get(keys.epoch(matchId));
  const results = (await pipeline.exec()) ?? [];
  const ranks = userIds.map((_, i) => {
    const [err, value] = results[i] ?? [null, null];
    if (err) throw err;
    return value === null || value === undefined ? null : Number(value);
  });
  const size = Number(results[userIds.length]?.[1] ?? 0);
  const rate = results[userIds.length + 1]?.[1];
  const epoch = results[userIds.length + 2]?.[1];
  return {
    ranks,
    size,
    rateMeasured: rate === null || rate === undefined ? null : Number(rate),
    epochMs: epoch === null || epoch === undefined ? null : Number(epoch),
  };
}
