import { SignJWT, jwtVerify } from 'jose';
import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import type { QueueStatus } from '../../platform/db/types.generated.ts';
import {
  completePurchase,
  findEntry,
  findSettings,
  hasSalesPhase,
  releaseSlots,
} from './queue.repo.ts';
import { keys } from './queue.redis.ts';
import { memoOf } from '../../platform/memo.ts';

/**
 * The waiting room's contract with the purchase flow (cart, checkout, payments).
 *
 * A match is *queued* when its waiting room is enabled: its queue_settings row says
 * enabled, or it has no row and has at least one active sales phase (the default, so an
 * on-sale is protected unless a match manager turns the waiting room off). For a queued
 * match the cart must only let a fan buy while `getPurchaseWindow` answers `admitted: true`,
 * holding seats until `window_expires_at` at the latest; the order completing calls
 * `completeOrderPurchase` in its own transaction.
 */

export type PurchaseWindow =
  | { queued: false }
  | {
      queued: true;
      admitted: false;
      /** The live position (1 = next) when WAITING; 0 otherwise. */
      position: number;
      /** WAITING, or why the fan is not admitted (no entry, window over, done, left). */
      status: QueueStatus | 'NOT_IN_QUEUE';
    }
  | { queued: true; admitted: true; window_started_at: Date; window_expires_at: Date };

type Deps = Pick<AppDeps, 'db' | 'redis' | 'clock' | 'config'>;

/** Is the waiting room of this match enabled (see above)? */
export async function isQueued(db: Executor, matchId: string): Promise<boolean> {
  const settings = await findSettings(db, matchId);
  if (settings) return settings.enabled;
  return hasSalesPhase(db, matchId);
}

/**
 * Where a fan stands for buying tickets of a match. Reads the fan's entry from the database
 * (authoritative); whether the match is queued at all is a per-match fact every cart
 * addition asks, memoised like the other sale facts (SALE_FACTS_TTL_MS, platform/memo.ts).
 */
export async function getPurchaseWindow(
  deps: Deps,
  userId: string,
  matchId: string,
): Promise<PurchaseWindow> {
  const queued = await memoOf<boolean>(deps.db, 'queue.enabled', deps.config.SALE_FACTS_TTL_MS).get(
    matchId,
    () => isQueued(deps.db, matchId),
  );
  if (!queued) return { queued: false };
  const entry = await findEntry(deps.db, userId, matchId);
  const now = deps.clock.now();
  if (!entry) return { queued: true, admitted: false, position: 0, status: 'NOT_IN_QUEUE' };
  if (entry.status === 'ACTIVE' && entry.window_started_at && entry.window_expires_at) {
    if (entry.window_expires_at.getTime() > now.getTime()) {
      return {
        queued: true,
        admitted: true,
        window_started_at: entry.window_started_at,
        window_expires_at: entry.window_expires_at,
      };
    }
    // Over, even if the expiry sweep has not run yet.
    return { queued: true, admitted: false, position: 0, status: 'EXPIRED' };
  }
  if (entry.status === 'WAITING') {
    const rank = await deps.redis.zrank(keys.line(matchId), userId);
    return {
      queued: true,
      admitted: false,
      position: rank === null ? 0 : rank + 1,
      status: 'WAITING',
    };
  }
  return { queued: true, admitted: false, position: 0, status: entry.status };
}

/**
 * The fan gave up buying (emptied their cart, their open orders cancelled with it), in the
 * caller's transaction: their entry keeps its window, so they may still come back and buy
 * until it ends, but it no longer takes one of the match's active-buyer slots, and the next
 * fan in line is admitted in their place.
 */
export async function releaseBuyerSlot(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  userId: string,
  matchIds: readonly string[],
): Promise<void> {
  await releaseSlots(trx, userId, matchIds, deps.clock.now());
}

/**
 * Completes a paid order and the fan's place in the waiting room, in the caller's
 * transaction (the order's) and one statement (the payment webhook's hot path): the queue
 * entry, ACTIVE or EXPIRED (the payment finished after the window closed), becomes
 * COMPLETED, which frees its slot among the active buyers; the order becomes COMPLETED,
 * linked to that entry (orders.queue_entry_id) when there is one.
 */
export async function completeOrderPurchase(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  order: { id: string; user_id: string; match_id: string },
): Promise<void> {
  await completePurchase(trx, {
    orderId: order.id,
    userId: order.user_id,
    matchId: order.match_id,
    at: deps.clock.now(),
  });
}

// --- Admission proof ------------------------------------------------------------------

const PROOF_TYPE = 'queue_admission';
const PROOF_AUDIENCE = 'hns-ticketing-cart';

const proofKey = (deps: Pick<AppDeps, 'config'>) =>
  new TextEncoder().encode(`queue-admission:${deps.config.JWT_SECRETS[0]}`);

/**
 * A signed, short-lived proof of admission (HS256 JWT: sub = user, mid = match, exp = end
 * of the purchase window). Handed to the fan with the ACTIVE status (REST and WebSocket);
 * the cart may require it (header `X-Queue-Admission`) and check it with
 * `verifyAdmissionProof` without a database read, then rely on `getPurchaseWindow`.
 */
export async function issueAdmissionProof(
  deps: Pick<AppDeps, 'config'>,
  userId: string,
  matchId: string,
  windowStartedAt: Date,
  windowExpiresAt: Date,
): Promise<string> {
  return new SignJWT({ typ: PROOF_TYPE, mid: matchId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuer(deps.config.JWT_ISSUER)
    .setAudience(PROOF_AUDIENCE)
    .setIssuedAt(Math.floor(windowStartedAt.getTime() / 1000))
    .setExpirationTime(Math.floor(windowExpiresAt.getTime() / 1000))
    .sign(proofKey(deps));
}

/** The window the proof grants, or null when it is invalid, expired, or for someone else. */
export async function verifyAdmissionProof(
  deps: Pick<AppDeps, 'config' | 'clock'>,
  token: string,
  userId: string,
  matchId: string,
): Promise<{ window_expires_at: Date } | null> {
  try {
    const { payload } = await jwtVerify(token, proofKey(deps), {
      issuer: deps.config.JWT_ISSUER,
      audience: PROOF_AUDIENCE,
      algorithms: ['HS256'],
      currentDate: deps.clock.now(),
    });
    if (payload.typ !== PROOF_TYPE || payload.sub !== userId || payload.mid !== matchId) {
      return null;
    }
    return { window_expires_at: new Date((payload.exp ?? 0) * 1000) };
  } catch {
    return null;
  }
}
