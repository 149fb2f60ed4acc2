import type { AppDeps } from '../../deps.ts';
import {
  createFcmClient,
  FcmError,
  loadServiceAccount,
  type FcmClient,
} from '../../platform/adapters/fcm/fcm.ts';
import { errorText, givenUp, leaseUntil, retryDelayMs } from './delivery.ts';
import {
  startBatchLoop,
  type BatchLoop,
  type BatchLoopOptions,
} from '../../platform/batch-loop.ts';
import * as repo from './push.repo.ts';

/**
 * The push delivery loop: sends due push_logs rows (one per device) over FCM. Delivery
 * guarantees and the retry policy are in delivery.ts.
 */

/**
 * Push rows per batch. A batch costs a handful of statements whatever its size
 * (deliverPushBatch), so it is big: an admission round's pushes go out in a few batches.
 */
export const PUSH_BATCH = 500;
/** FCM HTTP v1 has no batch send: one request per device, this many in flight per batch. */
const FCM_CONCURRENCY = 64;
/** A row whose device was removed, switched off or moved to another user since it was written. */
const DEVICE_GONE = "device is no longer the user's active push token";

export type GetFcmClient = () => Promise<FcmClient> | undefined;

/** The process's FCM client, made on first use; undefined without FCM credentials. */
export function fcmClientOf(deps: Pick<AppDeps, 'config'>): GetFcmClient {
  let client: Promise<FcmClient> | undefined;
  return () => {
    const { FCM_SERVICE_ACCOUNT_JSON, FCM_PROJECT_ID, FCM_BASE_URL, FCM_TOKEN_URL } = deps.config;
    if (!FCM_SERVICE_ACCOUNT_JSON) return undefined;
    client ??= loadServiceAccount(FCM_SERVICE_ACCOUNT_JSON).then((serviceAccount) =>
      createFcmClient({
        serviceAccount,
        projectId: FCM_PROJECT_ID,
        baseUrl: FCM_BASE_URL,
        tokenUrl: FCM_TOKEN_URL,
        // Credentials live on the wall clock (Google checks iat/exp), not the business clock.
      }),
    );
    // A bad key file must not be cached forever: the next batch tries again.
    client.catch(() => {
      client = undefined;
    });
    return client;
  };
}

/** Runs the push delivery loop in this process (every worker runs one). */
export function startPushDelivery(
  deps: AppDeps,
  options: BatchLoopOptions & { batchSize?: number } = {},
): BatchLoop {
  const getClient = fcmClientOf(deps);
  const batchSize = options.batchSize ?? PUSH_BATCH;
  return startBatchLoop(
    'push delivery',
    deps.logger,
    batchSize,
    () => deliverPushBatch(deps, getClient, batchSize),
    options,
  );
}

/**
 * Delivers one batch of due push rows set-based: one statement leases them with their
 * devices (skipping and clearing any already SENT), the FCM sends, then one update of the
 * rows' outcomes and next attempts and at most one each for touched and unregistered
 * tokens. Only a device still active and still the row's user's is sent to: one that moved
 * to another user since the push was written is not theirs to receive it. Returns how many
 * rows were leased.
 */
export async function deliverPushBatch(
  deps: Pick<AppDeps, 'db' | 'config' | 'logger' | 'clock'>,
  getClient: GetFcmClient,
  limit = PUSH_BATCH,
): Promise<number> {
  const { db, config, logger } = deps;
  const now = deps.clock.now();
  const leased = await repo.leaseDuePushes(db, now, leaseUntil(now), limit);
  const pending = leased.filter((log) => log.status !== 'SENT');
  if (pending.length === 0) return leased.length;

  const attempts: repo.PushAttempt[] = [];
  const fail = (log: repo.LeasedPush, message: string) => attempts.push(givenUp(log, message));

  const clientPromise = getClient();
  let fcm: FcmClient | undefined;
  let notConfigured = clientPromise
    ? undefined
    : 'FCM not configured (FCM_SERVICE_ACCOUNT_JSON is unset)';
  if (clientPromise) {
    try {
      fcm = await clientPromise;
    } catch (err) {
      notConfigured = `FCM not configured: ${errorText(err)}`;
    }
  }

  const sends = pending.flatMap((log) => {
    if (!log.fcm_token || !log.token_active || log.token_user_id !== log.user_id) {
      fail(log, DEVICE_GONE);
      return [];
    }
    if (!fcm) {
      fail(log, notConfigured!);
      return [];
    }
    return [{ log, token: log.fcm_token, fcm }];
  });
  const touched = new Set<string>();
  const unregistered = new Map<string, string>();
  let retried = 0;
  await forEachConcurrently(sends, FCM_CONCURRENCY, async ({ log, token, fcm }) => {
    const attempt = log.attempts + 1;
    try {
      const name = await fcm.send({
        token,
        title: log.title,
        body: log.body,
        data: {
          ...(log.data_json as Record<string, string>),
          notification_type: log.notification_type,
        },
        priority: log.priority,
      });
      attempts.push({
        id: log.id,
        status: 'SENT',
        attempts: attempt,
        next_attempt_at: null,
        fcm_message_id: name,
        sent_at: deps.clock.now(),
        error_message: null,
      });
      touched.add(log.push_token_id!);
    } catch (err) {
      const retry =
        !(err instanceof FcmError && err.tokenInvalid) &&
        (!(err instanceof FcmError) || err.retryable) &&
        attempt < config.PUSH_MAX_ATTEMPTS;
      if (err instanceof FcmError && err.tokenInvalid) unregistered.set(log.push_token_id!, token);
      if (retry) retried++;
      attempts.push({
        id: log.id,
        status: 'FAILED',
        attempts: attempt,
        next_attempt_at: retry ? new Date(now.getTime() + retryDelayMs(attempt)) : null,
        error_message: errorText(err),
      });
    }
  });
  await repo.markPushAttempts(db, attempts);
  await repo.touchPushTokens(db, [...touched], deps.clock.now());
  await repo.deactivatePushTokens(
    db,
    [...unregistered].map(([id, fcm_token]) => ({ id, fcm_token })),
  );
  if (retried) logger.warn({ failures: retried }, 'push delivery failed; will retry');
  return leased.length;
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
