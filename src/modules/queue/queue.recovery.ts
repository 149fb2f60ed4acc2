import { setTimeout as sleep } from 'node:timers/promises';
import type { AppDeps } from '../../deps.ts';
import { AppError } from '../../platform/errors.ts';
import * as repo from './queue.repo.ts';
import {
  acquireLock,
  keys,
  redisMarkLoaded,
  redisRestore,
  releaseLock,
  type RestoredFan,
} from './queue.redis.ts';
import { saleState } from './queue.rules.ts';
import { preQueueMs, publishChange } from './queue.service.ts';

/**
 * Redis is the fast copy of the line, PostgreSQL its durable record: every waiting fan's
 * line number (`queue_entries.position`, re-dealt there by the fair-start shuffle), the
 * admitted windows, and whether the match was shuffled (`queue_settings.shuffled_at`).
 *
 * Redis restarted without its data, or a failover that lost the last writes, leaves a
 * match without its epoch key (`queue_epoch:{m}`), which is written only when the line is
 * loaded. The join and touch scripts refuse to run without it, so no join can take a line
 * number from a counter that started over; the first caller to notice rebuilds the line
 * from PostgreSQL in its existing order and the others wait for it. Windows and grace
 * periods are read from PostgreSQL by the admission round as always; heartbeats restart at
 * the rebuild (the loss is ours, not the fans'). Rate estimates and the token bucket start
 * over.
 */

const REBUILD_LOCK_MS = 30_000;
/** How long a request waits for another instance's rebuild before it is answered 503. */
const REBUILD_WAIT_MS = 5_000;
const RESTORE_CHUNK = 2_000;
/**
 * Line numbers after a rebuild start this far past the highest one PostgreSQL holds: a join
 * whose number came from the lost copy and whose row was not yet committed when the
 * snapshot was read keeps a place ahead of everyone who joins after the rebuild.
 */
const SEQ_MARGIN = 100_000;

type Deps = Pick<AppDeps, 'config' | 'db' | 'redis' | 'clock'> & Partial<Pick<AppDeps, 'logger'>>;

/** Makes sure the match's line is loaded in Redis; rebuilds it from PostgreSQL if it is not. */
export async function ensureLine(deps: Deps, matchId: string): Promise<void> {
  if ((await deps.redis.exists(keys.epoch(matchId))) === 1) return;
  const lockKey = keys.rebuild(matchId);
  const token = await acquireLock(deps.redis, lockKey, REBUILD_LOCK_MS);
  if (!token) {
    // Another instance is rebuilding: wait for its epoch.
    const deadline = Date.now() + REBUILD_WAIT_MS;
    while (Date.now() < deadline) {
      await sleep(50);
      if ((await deps.redis.exists(keys.epoch(matchId))) === 1) return;
    }
    throw new AppError('SERVICE_BUSY', 'The waiting room is being restored; retry in a second');
  }
  try {
    if ((await deps.redis.exists(keys.epoch(matchId))) === 1) return;
    await rebuildLine(deps, matchId);
  } finally {
    await releaseLock(deps.redis, lockKey, token);
  }
}

/** Loads the line of a match into Redis from queue_entries (idempotent; NX per fan). */
async function rebuildLine(deps: Deps, matchId: string): Promise<void> {
  const started = performance.now();
  const now = deps.clock.now();
  const info = await repo.findMatchSaleInfo(deps.db, matchId);
  const state = info ? saleState(info.status, info.phases, now, preQueueMs(deps.config)) : null;
  const snapshot = await repo.lineSnapshot(deps.db, matchId, state?.open ? state.opensAt : null);
  const fans: RestoredFan[] = snapshot.waiting.map((e, i) => ({
    userId: e.user_id,
    seq: e.position,
    joinedAtMs: e.joined_at.getTime(),
    joinedRank: i + 1,
  }));
  let restored = 0;
  for (let i = 0; i < fans.length; i += RESTORE_CHUNK) {
    restored += await redisRestore(
      deps.redis,
      matchId,
      now.getTime(),
      fans.slice(i, i + RESTORE_CHUNK),
    );
  }
  await redisMarkLoaded(
    deps.redis,
    matchId,
    {
      seqFloor: snapshot.max_position > 0 ? snapshot.max_position + SEQ_MARGIN : 0,
      preopenSeq: snapshot.preopen_position,
      shuffled: info?.settings?.shuffled_at != null,
      admittedTotal: snapshot.admitted,
    },
    now.getTime(),
  );
  if (fans.length > 0) {
    deps.logger?.warn(
      { matchId, waiting: fans.length, restored, ms: Math.round(performance.now() - started) },
      'queue: line rebuilt from PostgreSQL (Redis had lost it)',
    );
    await publishChange(deps, matchId);
  }
}

/**
 * Runs a line script; when it finds the line not loaded (null), rebuilds the line and runs
 * it once more. A second miss (Redis lost again meanwhile) is answered 503.
 */
export async function onLoadedLine<T>(
  deps: Deps,
  matchId: string,
  run: () => Promise<T | null>,
): Promise<T> {
  const first = await run();
  if (first !== null) return first;
  await ensureLine(deps, matchId);
  const second = await run();
  if (second === null) {
    throw new AppError('SERVICE_BUSY', 'The waiting room is being restored; retry in a second');
  }
  return second;
}

/**
 * Fans whose row says WAITING but who are not in the line although they joined before it
 * was loaded: their join's row was committed after the rebuild read the snapshot. They go
 * back at their line number instead of losing the place. → those restored.
 */
export async function restoreMissed(
  deps: Deps,
  matchId: string,
  epochMs: number,
  entries: readonly Pick<repo.QueueEntryRow, 'user_id' | 'status' | 'position' | 'joined_at'>[],
): Promise<string[]> {
  const missed = entries.filter((e) => e.status === 'WAITING' && e.joined_at.getTime() < epochMs);
  if (missed.length === 0) return [];
  await redisRestore(
    deps.redis,
    matchId,
    deps.clock.now().getTime(),
    missed.map((e) => ({
      userId: e.user_id,
      seq: e.position,
      joinedAtMs: e.joined_at.getTime(),
      joinedRank: 0,
    })),
  );
  return missed.map((e) => e.user_id);
}
