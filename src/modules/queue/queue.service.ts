import type { AppDeps } from '../../deps.ts';
import type { Database } from '../../platform/db/database.ts';
import type { QueueStatus } from '../../platform/db/types.generated.ts';
import { AppError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { remainingAllowance } from '../sales/allowance.ts';
import { issueAdmissionProof } from './queue.admission.ts';
import { onLoadedLine, restoreMissed } from './queue.recovery.ts';
import { writeWaitingEntry } from './queue.writer.ts';
import * as repo from './queue.repo.ts';
import type { MatchSaleInfo, QueueEntryRow, QueueSettingsRow } from './queue.repo.ts';
import {
  channelFor,
  keys,
  redisJoin,
  redisLeave,
  redisTouch,
  type TouchResult,
} from './queue.redis.ts';
import {
  GRACE_PERIOD_MS,
  effectiveRate,
  estimateWaitSeconds,
  purchaseDeepLink,
  saleState,
} from './queue.rules.ts';

/** Use cases of the fan's waiting room (join, status, heartbeat, leave) and the admin view. */

export type QueueDeps = Pick<AppDeps, 'config' | 'db' | 'redis' | 'clock' | 'jobs'>;

export interface EffectiveSettings {
  enabled: boolean;
  admission_rate_per_minute: number;
  max_active_buyers: number;
  paused: boolean;
}

/** What the fan sees: REST responses and WebSocket messages carry the same fields. */
export interface QueueView {
  match_id: string;
  status: QueueStatus;
  /** 1 = next to be admitted; null when not waiting. */
  position: number | null;
  /** Seconds until admission (estimated); 0 when not waiting. */
  estimated_wait_time: number;
  total_queue_size: number;
  /** When the line opens (fair-start shuffle) or opened. */
  queue_opens_at: string | null;
  /** Positions before the opening are provisional: the opening shuffles early arrivals. */
  position_provisional: boolean;
  window_started_at: string | null;
  window_expires_at: string | null;
  /** Proof of admission for the purchase endpoints (ACTIVE only). */
  admission_token: string | null;
  purchase_url: string | null;
}

export function effectiveSettings(
  config: AppDeps['config'],
  info: Pick<MatchSaleInfo, 'phases' | 'settings'>,
): EffectiveSettings {
  const s: QueueSettingsRow | null = info.settings;
  return {
    enabled: s ? s.enabled : info.phases.length > 0,
    admission_rate_per_minute:
      s?.admission_rate_per_minute ?? config.QUEUE_ADMISSION_RATE_PER_MINUTE,
    max_active_buyers: s?.max_active_buyers ?? config.QUEUE_MAX_ACTIVE_BUYERS,
    paused: s?.paused ?? false,
  };
}

export const preQueueMs = (config: AppDeps['config']) => config.QUEUE_PRE_QUEUE_MINUTES * 60_000;

// The match and its phases are read on every join: a short per-process cache keeps a
// burst of joins off PostgreSQL. Admin changes clear it here; other instances see them
// within SALE_INFO_TTL_MS.
const SALE_INFO_TTL_MS = 2_000;
const saleInfoCache = new WeakMap<
  Database,
  Map<string, { at: number; info: Promise<MatchSaleInfo | undefined> }>
>();

/** The match's sale info; concurrent callers share one read (no stampede on a cold cache). */
export async function cachedSaleInfo(
  deps: Pick<AppDeps, 'db'>,
  matchId: string,
): Promise<MatchSaleInfo> {
  let cache = saleInfoCache.get(deps.db);
  if (!cache) saleInfoCache.set(deps.db, (cache = new Map()));
  let hit = cache.get(matchId);
  if (!hit || performance.now() - hit.at >= SALE_INFO_TTL_MS) {
    hit = { at: performance.now(), info: repo.findMatchSaleInfo(deps.db, matchId) };
    cache.set(matchId, hit);
    if (cache.size > 1_000) cache.delete(cache.keys().next().value!);
    const entry = hit;
    // A failed read is not cached.
    entry.info.catch(() => {
      if (cache.get(matchId) === entry) cache.delete(matchId);
    });
  }
  const info = await hit.info;
  if (!info) throw new AppError('MATCH_NOT_FOUND', `No match with id ${matchId}`);
  return info;
}

export function forgetSaleInfo(deps: Pick<AppDeps, 'db'>, matchId: string) {
  saleInfoCache.get(deps.db)?.delete(matchId);
}

/** Tells every instance's WebSocket hub that positions of this match changed. */
export async function publishChange(deps: Pick<AppDeps, 'redis' | 'config'>, matchId: string) {
  await deps.redis.publish(channelFor(deps.config.REDIS_KEY_PREFIX, matchId), 'changed');
}

export function waitingView(
  deps: QueueDeps,
  info: MatchSaleInfo,
  matchId: string,
  rank: number,
  size: number,
  rateMeasured: number | null,
  now: Date = deps.clock.now(),
): QueueView {
  const settings = effectiveSettings(deps.config, info);
  const state = saleState(info.status, info.phases, now, preQueueMs(deps.config));
  const opensAt = state.open ? state.opensAt : null;
  const untilOpen = opensAt ? opensAt.getTime() - now.getTime() : 0;
  const position = rank + 1;
  return {
    match_id: matchId,
    status: 'WAITING',
    position,
    estimated_wait_time: estimateWaitSeconds(
      position,
      effectiveRate(rateMeasured, settings.admission_rate_per_minute),
      untilOpen,
    ),
    total_queue_size: size,
    queue_opens_at: opensAt?.toISOString() ?? null,
    position_provisional: untilOpen > 0,
    window_started_at: null,
    window_expires_at: null,
    admission_token: null,
    purchase_url: null,
  };
}

/** The view of an entry that is not waiting in Redis (admitted, done, left, expired). */
export async function entryView(
  deps: QueueDeps,
  entry: QueueEntryRow,
  size: number,
): Promise<QueueView> {
  const now = deps.clock.now();
  let status = entry.status;
  // An open window past its end is over even before the expiry sweep has run.
  if (status === 'ACTIVE' && entry.window_expires_at && entry.window_expires_at <= now) {
    status = 'EXPIRED';
  }
  const active = status === 'ACTIVE' && entry.window_started_at && entry.window_expires_at;
  return {
    match_id: entry.match_id,
    status,
    position: null,
    estimated_wait_time: 0,
    total_queue_size: size,
    queue_opens_at: null,
    position_provisional: false,
    window_started_at: entry.window_started_at?.toISOString() ?? null,
    window_expires_at: entry.window_expires_at?.toISOString() ?? null,
    admission_token: active
      ? await issueAdmissionProof(
          deps,
          entry.user_id,
          entry.match_id,
          entry.window_started_at!,
          entry.window_expires_at!,
        )
      : null,
    purchase_url: active ? purchaseDeepLink(entry.match_id) : null,
  };
}

const isForeignKeyViolation = (err: unknown) =>
  typeof err === 'object' && err !== null && (err as { code?: string }).code === '23503';

/**
 * POST /queue/{match_id}/join. Idempotent: a fan already in the line gets their place back
 * (and it counts as a heartbeat); a fan whose window expired or who left starts again at
 * the end, and so does a fan who completed a purchase and may still buy; an admitted fan,
 * or a completed one at their limit, gets that entry.
 */
export async function joinQueue(
  deps: QueueDeps,
  userId: string,
  matchId: string,
): Promise<{ view: QueueView; created: boolean }> {
  const info = await cachedSaleInfo(deps, matchId);
  const settings = effectiveSettings(deps.config, info);
  const now = deps.clock.now();
  if (!settings.enabled) {
    throw new AppError(
      'QUEUE_NOT_OPEN',
      'This match has no waiting room: tickets are bought directly when on sale.',
    );
  }
  const state = saleState(info.status, info.phases, now, preQueueMs(deps.config));
  if (!state.open) throw new AppError('QUEUE_NOT_OPEN', state.reason);

  const joined = await onLoadedLine(deps, matchId, () =>
    redisJoin(deps.redis, matchId, userId, now.getTime(), GRACE_PERIOD_MS, state.opensAt.getTime()),
  );
  if (joined.created) {
    const input = {
      user_id: userId,
      match_id: matchId,
      position: joined.seq,
      joined_at: now,
      grace_period_expires_at: new Date(now.getTime() + GRACE_PERIOD_MS),
    };
    let waiting: boolean;
    try {
      waiting = await writeWaitingEntry(deps.db, input);
    } catch (err) {
      await redisLeave(deps.redis, matchId, userId);
      if (isForeignKeyViolation(err)) {
        throw new AppError('NOT_FOUND', 'Your user account was not found', { cause: err });
      }
      throw err;
    }
    if (!waiting) {
      const entry = await repo.findEntry(deps.db, userId, matchId);
      // Bought already and may buy more (E5-F4's rejoin rule): a new start at the end of
      // the line, the place just taken. Read only here, off the path of a first join.
      const again =
        entry?.status === 'COMPLETED' &&
        (await remainingAllowance(deps, userId, matchId)) > 0 &&
        (await repo.reopenCompletedEntry(deps.db, input));
      if (!again) {
        // Admitted, or bought all they may: that entry stands; take the new place back out.
        await redisLeave(deps.redis, matchId, userId);
        return { view: await entryView(deps, entry!, joined.size - 1), created: false };
      }
    }
  }
  return {
    view: waitingView(deps, info, matchId, joined.rank, joined.size, joined.rateMeasured),
    created: joined.created,
  };
}

async function touch(
  deps: QueueDeps,
  userId: string,
  matchId: string,
  heartbeat: boolean,
): Promise<QueueView> {
  const info = await cachedSaleInfo(deps, matchId);
  const now = deps.clock.now();
  const redisTouchOnce = () =>
    redisTouch(deps.redis, matchId, userId, now.getTime(), GRACE_PERIOD_MS, heartbeat);
  let t: TouchResult = await onLoadedLine(deps, matchId, redisTouchOnce);
  let entry: QueueEntryRow | undefined;
  if (t.rank === null && !t.lost) {
    // Not in the line: a join from before a rebuild whose row came after it goes back in.
    entry = await repo.findEntry(deps.db, userId, matchId);
    if (entry && (await restoreMissed(deps, matchId, t.epochMs, [entry])).length > 0) {
      t = await onLoadedLine(deps, matchId, redisTouchOnce);
    }
  }
  if (t.rank !== null) {
    if (heartbeat) {
      await repo.touchEntry(
        deps.db,
        userId,
        matchId,
        now,
        new Date(now.getTime() + GRACE_PERIOD_MS),
        true,
      );
    }
    return waitingView(deps, info, matchId, t.rank, t.size, t.rateMeasured);
  }
  entry ??= await repo.findEntry(deps.db, userId, matchId);
  if (!entry) throw new AppError('QUEUE_ENTRY_NOT_FOUND');
  if (entry.status === 'WAITING') {
    // The place is gone from the line (grace period over, or never confirmed): record it.
    await repo.markLeft(deps.db, matchId, [userId], ['WAITING']);
    if (t.lost) await publishChange(deps, matchId);
    entry = { ...entry, status: 'LEFT', is_connected: false };
  } else if (heartbeat && entry.status === 'ACTIVE') {
    await repo.touchEntry(
      deps.db,
      userId,
      matchId,
      now,
      new Date(now.getTime() + GRACE_PERIOD_MS),
      true,
    );
  }
  return entryView(deps, entry, t.size);
}

/** GET /queue/{match_id}/status (counts as activity in Redis, not a heartbeat write). */
export const queueStatus = (deps: QueueDeps, userId: string, matchId: string) =>
  touch(deps, userId, matchId, false);

/** POST /queue/{match_id}/heartbeat: keeps the place for another 30 minutes. */
export const queueHeartbeat = (deps: QueueDeps, userId: string, matchId: string) =>
  touch(deps, userId, matchId, true);

/** POST /queue/{match_id}/leave: gives up the place (or the open purchase window). */
export async function leaveQueue(
  deps: QueueDeps,
  userId: string,
  matchId: string,
): Promise<QueueView> {
  await cachedSaleInfo(deps, matchId);
  const removed = await redisLeave(deps.redis, matchId, userId);
  const left = await repo.markLeft(deps.db, matchId, [userId]);
  const entry = await repo.findEntry(deps.db, userId, matchId);
  if (!entry) throw new AppError('QUEUE_ENTRY_NOT_FOUND');
  if (removed || left.length > 0) await publishChange(deps, matchId);
  return entryView(deps, entry, await deps.redis.zcard(keys.line(matchId)));
}

// --- admin ---------------------------------------------------------------------------

export interface QueueAdminView {
  match_id: string;
  settings: EffectiveSettings;
  /** Whether the line is open for joining now, and when it opens/opened. */
  open: boolean;
  queue_opens_at: string | null;
  shuffled: boolean;
  counts: {
    waiting: number;
    active: number;
    completed: number;
    expired: number;
    left: number;
  };
  /** Admissions per minute measured over the last 5 minutes (null before any). */
  admitted_per_minute: number | null;
  total_admitted: number;
}

export async function queueAdminView(deps: QueueDeps, matchId: string): Promise<QueueAdminView> {
  const info = await repo.findMatchSaleInfo(deps.db, matchId);
  if (!info) throw new AppError('MATCH_NOT_FOUND', `No match with id ${matchId}`);
  const [counts, waiting, meta] = await Promise.all([
    repo.countByStatus(deps.db, matchId),
    deps.redis.zcard(keys.line(matchId)),
    deps.redis.hmget(keys.meta(matchId), 'rate_measured', 'admitted_total', 'shuffled'),
  ]);
  const state = saleState(info.status, info.phases, deps.clock.now(), preQueueMs(deps.config));
  return {
    match_id: matchId,
    settings: effectiveSettings(deps.config, info),
    open: state.open,
    queue_opens_at: state.open ? state.opensAt.toISOString() : null,
    shuffled: meta[2] === '1',
    counts: {
      waiting,
      active: counts.ACTIVE,
      completed: counts.COMPLETED,
      expired: counts.EXPIRED,
      left: counts.LEFT,
    },
    admitted_per_minute: meta[0] === null ? null : Math.round(Number(meta[0]) * 10) / 10,
    total_admitted: Number(meta[1] ?? 0),
  };
}

export interface SettingsChange {
  admission_rate_per_minute?: number;
  max_active_buyers?: number;
  paused?: boolean;
  enabled?: boolean;
}

/** PUT /admin/matches/{id}/queue: one transaction with its audit event. */
export async function updateQueueSettings(
  deps: QueueDeps,
  actorId: string,
  matchId: string,
  change: SettingsChange,
  context: Record<string, unknown>,
): Promise<QueueAdminView> {
  await deps.db.transaction().execute(async (trx) => {
    const info = await repo.findMatchSaleInfo(trx, matchId);
    if (!info) throw new AppError('MATCH_NOT_FOUND', `No match with id ${matchId}`);
    await repo.lockSettings(trx, matchId);
    const before = effectiveSettings(deps.config, {
      ...info,
      settings: (await repo.findSettings(trx, matchId)) ?? null,
    });
    const after = { ...before, ...change };
    await repo.upsertSettings(trx, { match_id: matchId, ...after, updated_by: actorId });
    await recordAudit(deps, trx, {
      domain: 'queue',
      action: 'queue_settings_updated',
      actor: { type: 'user', id: actorId },
      subject: { type: 'match', id: matchId },
      changes: { before, after },
      context,
    });
  });
  forgetSaleInfo(deps, matchId);
  await publishChange(deps, matchId);
  return queueAdminView(deps, matchId);
}
