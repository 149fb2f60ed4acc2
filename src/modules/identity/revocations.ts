import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import type { Closable, Revocations } from '../../platform/http/auth.ts';
import { findProfileOwnerByOibIndex } from './profiles.repo.ts';
import { listSessionsRevokedSince, revokeUserSessions } from './sessions.repo.ts';

/**
 * Access tokens are stateless JWTs; this makes the revocation of their session reach every
 * API instance within seconds, with no database or Redis call per request.
 *
 * The record is `sessions.revoked_at`, written in the use case's transaction (logout,
 * refresh-token reuse, a suspended user's sessions, a blacklisted OIB's users). Each
 * instance keeps the ids of the sessions revoked within an access token's lifetime in
 * memory: after the commit the revoking instance publishes the ids over Redis pub/sub
 * (every instance has them within milliseconds), and every instance also reads the newly
 * revoked sessions from the database every REVOCATION_SYNC_MS, so a message lost to a
 * Redis outage or a reconnect delays a revocation by at most that, never forever. Past the
 * access token lifetime an entry is dropped: every token of that session has expired.
 */
export const REVOCATION_SYNC_MS = 2_000;
/** A transaction may stamp revoked_at and commit later: re-read this far back each sync. */
const COMMIT_LAG_MS = 60_000;

const channelOf = (prefix: string) => `${prefix}auth-revoked-sessions`;

type Deps = Pick<AppDeps, 'db' | 'redis' | 'config' | 'clock' | 'logger'>;

/** After the commit: tells every instance at once (the sync would find them anyway). */
export async function announceRevokedSessions(
  deps: Pick<AppDeps, 'redis' | 'config' | 'logger'>,
  sessionIds: readonly string[],
): Promise<void> {
  if (sessionIds.length === 0) return;
  try {
    await deps.redis.publish(channelOf(deps.config.REDIS_KEY_PREFIX), sessionIds.join(','));
  } catch (err) {
    deps.logger.warn(
      { err },
      'revoked sessions not announced; instances find them at the next sync',
    );
  }
}

/**
 * Blacklisting an OIB ends the sessions of the user whose default profile carries it, in
 * the caller's transaction; announce the returned ids after the commit.
 */
export async function revokeSessionsOfOibOwner(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  oibBlindIndex: string,
): Promise<string[]> {
  const owner = await findProfileOwnerByOibIndex(trx, oibBlindIndex);
  return owner ? revokeUserSessions(trx, owner, 'user_blacklisted', deps.clock.now()) : [];
}

/** WebSocket close code of a revoked session (4000-4999 are the application's). */
export const SESSION_REVOKED_CLOSE_CODE = 4401;

export interface SessionRevocations extends Revocations {
  /** Was this session revoked (within an access token's lifetime)? In memory only. */
  isRevoked(sessionId: string): boolean;
  /** Closes the connection when the session is revoked (its upgrade was checked once). */
  watch(sessionId: string, connection: Closable): void;
  /** Reads the newly revoked sessions from the database now. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export async function startSessionRevocations(deps: Deps): Promise<SessionRevocations> {
  const lifetimeMs = (deps.config.ACCESS_TOKEN_TTL_SECONDS + 60) * 1000;
  const revoked = new Map<string, number>(); // session id → revoked at (ms)
  const watched = new Map<string, Set<Closable>>();
  let since = deps.clock.now().getTime() - lifetimeMs;
  const learn = (id: string, at: number) => {
    if (!revoked.has(id)) {
      for (const c of watched.get(id) ?? []) c.close(SESSION_REVOKED_CLOSE_CODE, 'session revoked');
      watched.delete(id);
    }
    revoked.set(id, at);
  };

  const prune = () => {
    const horizon = deps.clock.now().getTime() - lifetimeMs;
    for (const [id, at] of revoked) if (at < horizon) revoked.delete(id);
  };
  let running: Promise<void> | null = null;
  const sync = () =>
    (running ??= (async () => {
      try {
        const rows = await listSessionsRevokedSince(deps.db, new Date(since));
        let latest = since;
        for (const r of rows) {
          const at = r.revoked_at.getTime();
          learn(r.id, at);
          if (at > latest) latest = at;
        }
        since = Math.max(since, latest - COMMIT_LAG_MS);
        prune();
      } catch (err) {
        deps.logger.warn({ err }, 'revoked sessions not synchronised; retrying');
      } finally {
        running = null;
      }
    })());

  const subscriber = deps.redis.duplicate();
  subscriber.on('error', () => {});
  subscriber.on('message', (_channel: string, message: string) => {
    const at = deps.clock.now().getTime();
    for (const id of message.split(',')) if (id) learn(id, at);
  });
  // A reconnect may have missed messages: read the database at once.
  subscriber.on('ready', () => void sync());
  await subscriber.subscribe(channelOf(deps.config.REDIS_KEY_PREFIX)).catch((err: unknown) => {
    deps.logger.warn({ err }, 'revocation channel not subscribed; relying on the sync');
  });
  await sync();
  const timer = setInterval(() => void sync(), REVOCATION_SYNC_MS);
  timer.unref();

  return {
    isRevoked: (sessionId) => revoked.has(sessionId),
    watch(sessionId, connection) {
      if (revoked.has(sessionId))
        return connection.close(SESSION_REVOKED_CLOSE_CODE, 'session revoked');
      let set = watched.get(sessionId);
      if (!set) watched.set(sessionId, (set = new Set()));
      set.add(connection);
      connection.once('close', () => {
        set.delete(connection);
        if (set.size === 0 && watched.get(sessionId) === set) watched.delete(sessionId);
      });
    },
    sync,
    async close() {
      clearInterval(timer);
      await running;
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
