import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../../deps.ts';
import { sendPushes } from '../notifications/notify.ts';
import { ensureLine } from './queue.recovery.ts';
import * as repo from './queue.repo.ts';
import {
  acquireLock,
  extendLock,
  keys,
  redisApplyScores,
  redisRemove,
  releaseLock,
  SESSION_TTL_SECONDS,
} from './queue.redis.ts';
import {
  GRACE_PERIOD_MS,
  PURCHASE_WINDOW_MS,
  RATE_WINDOW_MS,
  admissionBudget,
  measuredRate,
  milestoneReached,
  purchaseDeepLink,
  pushText,
  queueDeepLink,
  saleState,
  shuffle,
} from './queue.rules.ts';
import { effectiveSettings, preQueueMs, publishChange, type QueueDeps } from './queue.service.ts';

/**
 * The admission worker: one round per match every QUEUE_TICK_MS. A round runs under the
 * match's Redis lock, so any number of workers may call it; each step is idempotent.
 *
 * 1. end purchase windows that are over (EXPIRED + push);
 * 2. drop fans whose last heartbeat is older than the grace period (LEFT);
 * 3. at the opening, shuffle the fans who joined before it (once per match);
 * 4. admit from the front at the match's rate, up to its cap of active buyers (ACTIVE +
 *    20-minute window + "It's your turn!" push);
 * 5. publish the change to every WebSocket hub; push milestones to fans who moved up.
 */

const LOCK_TTL_MS = 30_000;
const SWEEP_BATCH = 1_000;
const SHUFFLE_CHUNK = 1_000;
/** A line entry with no database row this old was never confirmed (crashed join): dropped. */
const UNCONFIRMED_AFTER_MS = 60_000;
/** Fans at the front checked for milestone pushes each round. */
const MILESTONE_SCAN = 1_000;

export interface RoundReport {
  match_id: string;
  locked: boolean;
  expired: string[];
  swept: string[];
  shuffled: number | null;
  admitted: string[];
  dropped: string[];
  notified: number;
}

const emptyReport = (matchId: string, locked: boolean): RoundReport => ({
  match_id: matchId,
  locked,
  expired: [],
  swept: [],
  shuffled: null,
  admitted: [],
  dropped: [],
  notified: 0,
});

type Deps = QueueDeps & Pick<AppDeps, 'logger'>;

/** One admission round for a match (a no-op when another worker holds its lock). */
export async function runRound(deps: Deps, matchId: string): Promise<RoundReport> {
  const lockKey = keys.lock(matchId);
  const token = await acquireLock(deps.redis, lockKey, LOCK_TTL_MS);
  if (!token) return emptyReport(matchId, false);
  try {
    return await round(deps, matchId, () => extendLock(deps.redis, lockKey, token, LOCK_TTL_MS));
  } finally {
    await releaseLock(deps.redis, lockKey, token);
  }
}

async function round(
  deps: Deps,
  matchId: string,
  keepLock: () => Promise<boolean>,
): Promise<RoundReport> {
  const report = emptyReport(matchId, true);
  const info = await repo.findMatchSaleInfo(deps.db, matchId);
  if (!info) return report;
  // Redis lost the line (restart without data, failover): rebuilt from PostgreSQL first.
  await ensureLine(deps, matchId);
  const now = deps.clock.now();
  const settings = effectiveSettings(deps.config, info);

  report.expired = await expireWindows(deps, matchId, now);
  report.swept = await sweepGrace(deps, matchId, now);

  const state = saleState(info.status, info.phases, now, preQueueMs(deps.config));
  const meta = await deps.redis.hmget(keys.meta(matchId), 'shuffled', 'preopen_seq');
  let shuffled = meta[0] === '1';
  if (state.open && now >= state.opensAt && !shuffled) {
    report.shuffled = await fairStart(deps, matchId, Number(meta[1] ?? 0), settings, keepLock);
    shuffled = true;
  }

  const canAdmit =
    settings.enabled && !settings.paused && state.open && state.phaseOpen && shuffled;
  if (canAdmit) {
    const admitted = await admit(deps, matchId, now, settings);
    report.admitted = admitted.admitted;
    report.dropped = admitted.dropped;
  } else {
    // No credit piles up while paused or closed.
    await deps.redis.hset(keys.meta(matchId), 'last_round_ms', now.getTime(), 'credit', 0);
  }

  const moved =
    report.admitted.length + report.dropped.length + report.swept.length + report.expired.length >
      0 || report.shuffled !== null;
  // Live positions first: the milestone pushes below go to the outbox and may take longer.
  if (moved) await publishChange(deps, matchId);
  if (canAdmit && moved) report.notified = await notifyMilestones(deps, matchId);
  return report;
}

async function expireWindows(deps: Deps, matchId: string, now: Date): Promise<string[]> {
  const expired = await deps.db.transaction().execute(async (trx) => {
    const users = await repo.expireWindows(trx, matchId, now);
    const text = pushText('expired');
    await sendPushes(
      deps,
      trx,
      users.map((userId) => ({
        user_id: userId,
        notification_type: text.notification_type,
        title: text.title,
        body: text.body,
        data: {
          match_id: matchId,
          deeplink: queueDeepLink(matchId),
          title_en: text.title_en,
          body_en: text.body_en,
        },
      })),
    );
    return users;
  });
  // Sessions of expired windows go; the fan rejoins at the end of the line.
  await redisRemove(deps.redis, matchId, 'drop', 0, expired);
  return expired;
}

async function sweepGrace(deps: Deps, matchId: string, now: Date): Promise<string[]> {
  const cutoff = now.getTime() - GRACE_PERIOD_MS;
  const swept: string[] = [];
  for (;;) {
    const stale = await deps.redis.zrangebyscore(
      keys.heartbeats(matchId),
      '-inf',
      cutoff,
      'LIMIT',
      0,
      SWEEP_BATCH,
    );
    if (stale.length === 0) break;
    const removed = await redisRemove(deps.redis, matchId, 'stale', cutoff, stale);
    await repo.markLeft(deps.db, matchId, removed, ['WAITING']);
    swept.push(...removed);
    if (stale.length < SWEEP_BATCH) break;
  }
  return swept;
}

/**
 * The fair start: fans who joined before the opening (line numbers up to preopen_seq) get
 * a uniformly random order among themselves, keeping the same set of line numbers, so
 * everyone who joined after the opening stays behind them. Runs once per match (the
 * `shuffled` flag, under the lock); a worker dying half-way makes the next round shuffle
 * again, which is still a uniform permutation.
 */
async function fairStart(
  deps: Deps,
  matchId: string,
  preopenSeq: number,
  settings: { admission_rate_per_minute: number; max_active_buyers: number },
  keepLock: () => Promise<boolean>,
): Promise<number> {
  let count = 0;
  if (preopenSeq > 0) {
    const flat = await deps.redis.zrangebyscore(
      keys.line(matchId),
      '-inf',
      preopenSeq,
      'WITHSCORES',
    );
    const members: string[] = [];
    const scores: number[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      members.push(flat[i]!);
      scores.push(Number(flat[i + 1]));
    }
    // Scores come sorted: the i-th of the shuffled fans takes the i-th line number.
    const order = shuffle(members);
    const pairs = order.map((m, i) => [m, scores[i]!] as const);
    for (let i = 0; i < pairs.length; i += SHUFFLE_CHUNK) {
      count += await redisApplyScores(
        deps.redis,
        matchId,
        preopenSeq,
        pairs.slice(i, i + SHUFFLE_CHUNK),
      );
      if (!(await keepLock())) throw new Error(`lost the queue lock of ${matchId} mid-shuffle`);
    }
    await deps.db.transaction().execute(async (trx) => {
      for (let i = 0; i < pairs.length; i += 5_000) {
        const chunk = pairs.slice(i, i + 5_000);
        await repo.reassignPositions(
          trx,
          matchId,
          chunk.map((p) => p[0]),
          chunk.map((p) => p[1]),
        );
      }
    });
  }
  await repo.markShuffled(
    deps.db,
    matchId,
    {
      admission_rate_per_minute: settings.admission_rate_per_minute,
      max_active_buyers: settings.max_active_buyers,
    },
    deps.clock.now(),
  );
  await deps.redis.hset(keys.meta(matchId), 'shuffled', '1');
  deps.logger.info({ matchId, shuffled: count }, 'queue opened with a fair-start shuffle');
  return count;
}

async function admit(
  deps: Deps,
  matchId: string,
  now: Date,
  settings: { admission_rate_per_minute: number; max_active_buyers: number },
): Promise<{ admitted: string[]; dropped: string[] }> {
  const nowMs = now.getTime();
  const [meta, waiting, active] = await Promise.all([
    deps.redis.hmget(keys.meta(matchId), 'credit', 'last_round_ms'),
    deps.redis.zcard(keys.line(matchId)),
    repo.countActive(deps.db, matchId, now, deps.config.QUEUE_IDLE_SLOT_MS),
  ]);
  const lastRound = meta[1] === null ? null : Number(meta[1]);
  const budget = admissionBudget({
    credit: Number(meta[0] ?? 0),
    elapsedMs: lastRound === null ? deps.config.QUEUE_TICK_MS : nowMs - lastRound,
    ratePerMinute: settings.admission_rate_per_minute,
    active,
    maxActive: settings.max_active_buyers,
    waiting,
  });

  let admitted: string[] = [];
  let dropped: string[] = [];
  if (budget.admit > 0) {
    const candidates = await deps.redis.zrange(keys.line(matchId), '0', String(budget.admit - 1));
    const expiresAt = new Date(nowMs + PURCHASE_WINDOW_MS);
    admitted = await deps.db.transaction().execute(async (trx) => {
      const users = await repo.activateEntries(trx, matchId, candidates, now, expiresAt);
      const text = pushText('turn');
      // One statement for the round's pushes: the round holds its fans' queue rows locked
      // until it commits, and their sockets wait on those rows.
      await sendPushes(
        deps,
        trx,
        users.map((userId) => ({
          user_id: userId,
          notification_type: text.notification_type,
          title: text.title,
          body: text.body,
          priority: 'HIGH' as const,
          data: {
            match_id: matchId,
            deeplink: purchaseDeepLink(matchId),
            window_expires_at: expiresAt.toISOString(),
            title_en: text.title_en,
            body_en: text.body_en,
          },
        })),
      );
      // In line order (RETURNING has none; PostgreSQL 18 returns them differently from 15).
      const activated = new Set(users);
      return candidates.filter((c) => activated.has(c));
    });
    await redisRemove(deps.redis, matchId, 'admit', expiresAt.getTime(), admitted);
    dropped = await dropStale(
      deps,
      matchId,
      candidates.filter((c) => !admitted.includes(c)),
      nowMs,
    );
  }

  // The measured rate: admissions per minute over the sliding window, rounds with no
  // admission (cap reached) included, so estimates follow what really happens.
  if (waiting > 0) {
    const pipeline = deps.redis.pipeline();
    pipeline.zadd(keys.rounds(matchId), nowMs, `${nowMs}:${admitted.length}:${randomUUID()}`);
    pipeline.zremrangebyscore(keys.rounds(matchId), '-inf', nowMs - RATE_WINDOW_MS);
    pipeline.zrange(keys.rounds(matchId), '0', '-1');
    const results = (await pipeline.exec()) ?? [];
    const members = (results[2]?.[1] as string[] | undefined) ?? [];
    const rounds = members.map((m) => {
      const [at, count] = m.split(':');
      return { at: Number(at), count: Number(count) };
    });
    const rate = measuredRate(rounds, nowMs, deps.config.QUEUE_TICK_MS);
    if (rate !== null) await deps.redis.hset(keys.meta(matchId), 'rate_measured', rate.toFixed(3));
  }
  const pipeline = deps.redis.pipeline();
  pipeline.hset(keys.meta(matchId), 'credit', budget.credit, 'last_round_ms', nowMs);
  if (admitted.length) pipeline.hincrby(keys.meta(matchId), 'admitted_total', admitted.length);
  await pipeline.exec();
  return { admitted, dropped };
}

/**
 * Candidates at the front that were not admitted: their entry is no longer WAITING (left,
 * expired or admitted by an earlier round that died before cleaning up) → drop; no row
 * yet → a join still in flight, kept unless it is older than UNCONFIRMED_AFTER_MS.
 */
async function dropStale(
  deps: Deps,
  matchId: string,
  userIds: string[],
  nowMs: number,
): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await repo.findEntries(deps.db, matchId, userIds);
  const known = new Set(rows.map((r) => r.user_id));
  const drop = rows.filter((r) => r.status !== 'WAITING').map((r) => r.user_id);
  for (const u of userIds) {
    if (known.has(u)) continue;
    const joinedAt = await deps.redis.hget(keys.session(matchId, u), 'joined_at');
    if (joinedAt === null || nowMs - Number(joinedAt) > UNCONFIRMED_AFTER_MS) drop.push(u);
  }
  return redisRemove(deps.redis, matchId, 'drop', 0, drop);
}

/**
 * Progressive pushes (E5-F3) for the front of the line: crossing 1000, 500, 250 and 100
 * ("you moved up") and 50 ("You're almost at the front!"), each at most once per fan and
 * only the best one reached. The last milestone announced lives in the fan's session.
 */
async function notifyMilestones(deps: Deps, matchId: string): Promise<number> {
  const front = await deps.redis.zrange(keys.line(matchId), '0', String(MILESTONE_SCAN - 1));
  if (front.length === 0) return 0;
  const pipeline = deps.redis.pipeline();
  for (const u of front) pipeline.hmget(keys.session(matchId, u), 'milestone', 'joined_rank');
  const results = (await pipeline.exec()) ?? [];
  const due: { userId: string; position: number; milestone: number }[] = [];
  front.forEach((userId, i) => {
    const [last, joinedRank] = (results[i]?.[1] as (string | null)[] | undefined) ?? [];
    // Milestones already reached when joining are not news.
    const baseline = last
      ? Number(last)
      : joinedRank
        ? milestoneReached(Number(joinedRank), null)
        : null;
    const milestone = milestoneReached(i + 1, baseline);
    if (milestone !== null) due.push({ userId, position: i + 1, milestone });
  });
  if (due.length === 0) return 0;
  await sendPushes(
    deps,
    deps.db,
    due.map((d) => {
      const text = pushText(d.milestone <= 50 ? 'near_front' : 'moved', d.position);
      return {
        user_id: d.userId,
        notification_type: text.notification_type,
        title: text.title,
        body: text.body,
        data: {
          match_id: matchId,
          position: String(d.position),
          deeplink: queueDeepLink(matchId),
          title_en: text.title_en,
          body_en: text.body_en,
        },
      };
    }),
  );
  const marks = deps.redis.pipeline();
  for (const d of due) {
    marks.hset(keys.session(matchId, d.userId), 'milestone', d.milestone);
    marks.expire(keys.session(matchId, d.userId), SESSION_TTL_SECONDS);
  }
  await marks.exec();
  return due.length;
}

/**
 * The worker loop body: one round for every match that is on sale (or about to be) or has
 * purchase windows open. Called every QUEUE_TICK_MS by the `queue.tick` job.
 */
export async function tendAll(deps: Deps): Promise<RoundReport[]> {
  const matchIds = await repo.matchesToTend(deps.db, deps.clock.now(), preQueueMs(deps.config));
  const reports: RoundReport[] = [];
  for (const matchId of matchIds) {
    try {
      reports.push(await runRound(deps, matchId));
    } catch (err) {
      deps.logger.error({ err, matchId }, 'queue round failed');
    }
  }
  return reports;
}
