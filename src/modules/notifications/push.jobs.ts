import type { Job } from 'pg-boss';
import type { AppDeps } from '../../deps.ts';
import {
  createFcmClient,
  FcmError,
  loadServiceAccount,
  type FcmClient,
} from '../../platform/adapters/fcm/fcm.ts';
import { batchOfOne, defineJob } from '../../platform/jobs.ts';
import { errorText, RETRY_POLICY } from './delivery.ts';
import * as repo from './notifications.repo.ts';
import { PUSH_QUEUE, type PushRequest } from './notify.ts';

/**
 * The push worker: sends a queued push to each of the user's active devices over FCM.
 * Delivery guarantees and the retry policy are in delivery.ts.
 */

export function pushJob(deps: AppDeps) {
  let client: Promise<FcmClient> | undefined;
  const getClient = () => {
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
    // A bad key file must not be cached forever: the next job tries again.
    client.catch(() => {
      client = undefined;
    });
    return client;
  };

  const deliver = (jobs: Job<PushRequest>[]) => deliverPushes(deps, getClient, jobs);
  return defineJob<PushRequest>({
    name: PUSH_QUEUE,
    // A batch costs a handful of statements whatever its size (deliverPushes), so it is
    // big: an admission round's pushes go out in a few fetches, not one per 25 jobs.
    batchSize: 500,
    pollingIntervalSeconds: 0.5,
    queue: RETRY_POLICY,
    batchHandler: deliver,
    handler: batchOfOne(deliver),
  });
}

const NO_DEVICE = 'user has no active push token';
/** FCM HTTP v1 has no batch send: one request per device, this many in flight per batch. */
const FCM_CONCURRENCY = 64;

/**
 * Delivers a fetched batch of push jobs set-based: one select of the recipients' devices,
 * one insert of the log rows (a FAILED row without a device for a user who has none), one
 * select of the rows, the FCM sends, then one update of the rows and at most one each for
 * touched and unregistered tokens. Each job's outcome is its own: an Error (a device worth
 * retrying failed) makes pg-boss retry that job alone, and the retry sends only to the
 * devices not yet SENT.
 */
async function deliverPushes(
  deps: AppDeps,
  getClient: () => Promise<FcmClient> | undefined,
  jobs: Job<PushRequest>[],
): Promise<Map<string, Error | undefined>> {
  const { db, config, logger } = deps;
  const outcomes = new Map<string, Error | undefined>(jobs.map((job) => [job.id, undefined]));
  const tokens = await repo.activePushTokensOf(db, [...new Set(jobs.map((j) => j.data.user_id))]);
  const devicesOf = Map.groupBy(tokens, (t) => t.user_id);

  const rows = jobs.flatMap((job): repo.NewPushLog[] => {
    const request = job.data;
    const base = {
      user_id: request.user_id,
      job_id: job.id,
      notification_type: request.notification_type,
      title: request.title,
      body: request.body,
      data_json: request.data ?? {},
      priority: request.priority ?? 'NORMAL',
    };
    const devices = devicesOf.get(request.user_id);
    if (!devices) {
      return [
        { ...base, push_token_id: null, status: 'FAILED' as const, error_message: NO_DEVICE },
      ];
    }
    return devices.map((t) => ({ ...base, push_token_id: t.id }));
  });
  await repo.insertPushLogs(db, rows);
  const withDevices = jobs.filter((job) => devicesOf.has(job.data.user_id));
  if (withDevices.length === 0) return outcomes;

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
  const logs = await repo.pushLogsOfJobs(
    db,
    withDevices.map((job) => job.id),
  );
  const pending = logs.filter((log) => log.status !== 'SENT');
  if (!fcm) {
    await repo.markPushAttempts(
      db,
      pending.map((log) => ({
        id: log.id,
        status: 'FAILED',
        attempts: log.attempts,
        error_message: notConfigured!,
      })),
    );
    return outcomes;
  }

  const jobOf = new Map(withDevices.map((job) => [job.id, job]));
  const deviceOf = new Map(tokens.map((t) => [t.id, t]));
  const sends = pending.flatMap((log) => {
    const job = jobOf.get(log.job_id)!;
    const device = log.push_token_id ? deviceOf.get(log.push_token_id) : undefined;
    // Only the job's user's devices still active: a device that moved to another user
    // since the first attempt is not theirs to receive it.
    return device && device.user_id === job.data.user_id ? [{ log, job, device }] : [];
  });
  const attempts: repo.PushAttempt[] = [];
  const touched = new Set<string>();
  const unregistered: Array<{ id: string; fcm_token: string }> = [];
  let retried = 0;
  await forEachConcurrently(sends, FCM_CONCURRENCY, async ({ log, job, device }) => {
    const request = job.data;
    const attempt = log.attempts + 1;
    try {
      const name = await fcm.send({
        token: device.fcm_token,
        title: request.title,
        body: request.body,
        data: { ...(request.data ?? {}), notification_type: request.notification_type },
        priority: request.priority ?? 'NORMAL',
      });
      attempts.push({
        id: log.id,
        status: 'SENT',
        attempts: attempt,
        fcm_message_id: name,
        sent_at: deps.clock.now(),
        error_message: null,
      });
      touched.add(device.id);
    } catch (err) {
      attempts.push({
        id: log.id,
        status: 'FAILED',
        attempts: attempt,
        error_message: errorText(err),
      });
      if (err instanceof FcmError && err.tokenInvalid) {
        unregistered.push({ id: device.id, fcm_token: device.fcm_token });
      } else if (
        (!(err instanceof FcmError) || err.retryable) &&
        attempt < config.PUSH_MAX_ATTEMPTS
      ) {
        retried++;
        if (!outcomes.get(job.id)) outcomes.set(job.id, err as Error);
      }
    }
  });
  await repo.markPushAttempts(db, attempts);
  await repo.touchPushTokens(db, [...touched], deps.clock.now());
  await repo.deactivatePushTokens(db, unregistered);
  if (retried) {
    const jobsToRetry = [...outcomes.values()].filter(Boolean).length;
    logger.warn({ failures: retried, jobs: jobsToRetry }, 'push delivery failed; will retry');
  }
  return outcomes;
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
