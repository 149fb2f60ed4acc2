import { Redis, type RedisOptions } from 'ioredis';

/**
 * One ioredis client per process for commands. Pub/sub needs its own connection:
 * call `redis.duplicate()` where a subscriber is needed.
 *
 * Keys carry the configured prefix (tests use a unique one per file). Keys that several
 * commands touch atomically must share a `{hash tag}` (e.g. `queue:{<match_id>}`) so a
 * Redis Cluster keeps them in one slot.
 */
export function createRedis(url: string, keyPrefix: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    keyPrefix,
    lazyConnect: false,
    // Fail a command after a few reconnect attempts instead of hanging a request forever.
    maxRetriesPerRequest: 3,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  });
  // Connection errors are reported by health checks; an unhandled 'error' would crash.
  redis.on('error', () => {});
  return redis;
}

/** PING with a deadline: a down Redis must answer "down" quickly, not queue the command. */
export async function pingRedis(redis: Redis, timeoutMs = 1_000): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  try {
    const result = await withTimeout(redis.ping(), timeoutMs);
    return result === 'PONG';
  } catch {
    return false;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Redis could not run the command: the connection is gone and the retries ran out, or the
 * server is not serving yet (restarting and loading its data, a replica being promoted).
 */
export function isRedisUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { name, message } = err as { name?: unknown; message?: unknown };
  if (name === 'MaxRetriesPerRequestError') return true;
  return (
    typeof message === 'string' &&
    /^(Connection is closed|Stream isn't writeable|LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)/.test(
      message,
    )
  );
}
