import type { Job } from 'pg-boss';
import type { AppDeps } from '../../deps.ts';
import {
  createFcmClient,
  FcmError,
  loadServiceAccount,
  type FcmClient,
} from '../../platform/adapters/fcm/fcm.ts';
import { createMailer, messageIdDomain, type Mailer } from '../../platform/adapters/smtp/mailer.ts';
import { defineJob } from '../../platform/jobs.ts';
import { renderTemplate, TemplateRenderError } from './notifications.rules.ts';
import * as repo from './notifications.repo.ts';
import { EMAIL_QUEUE, PUSH_QUEUE, type EmailJob, type PushRequest } from './notify.ts';

/**
 * Delivery workers. Both are at-least-once (a worker dying between the provider's answer
 * and the log update sends again on retry; both update the logs of a whole batch after
 * its sends) and idempotent where it matters: a SENT email or push is never sent again by
 * a retried job.
 *
 * Retry policy: pg-boss retries a failed job with exponential backoff (queue options
 * below); the handlers count attempts in the log row and give up after
 * EMAIL_MAX_ATTEMPTS / PUSH_MAX_ATTEMPTS by completing the job with the log FAILED.
 * A problem no retry can fix (unknown template, missing variable, FCM not configured,
 * unregistered device) fails the log at once without retrying.
 */
const RETRY_POLICY = { retryLimit: 100, retryDelay: 30, retryBackoff: true, retryDelayMax: 3_600 };

const errorText = (err: unknown) =>
  (err instanceof Error ? err.message : String(err)).slice(0, 2_000);

export function emailJob(deps: AppDeps) {
  let mailer: Mailer | undefined;
  const getMailer = () => {
    if (!deps.config.SMTP_URL) return undefined;
    mailer ??= createMailer({
      url: deps.config.SMTP_URL,
      from: deps.config.EMAIL_FROM,
      poolMax: deps.config.SMTP_POOL_MAX,
    });
    return mailer;
  };

  const deliver = (jobs: Job<EmailJob>[]) => deliverEmails(deps, getMailer, jobs);
  return defineJob<EmailJob>({
    name: EMAIL_QUEUE,
    // With a real relay the SMTP pool (SMTP_POOL_MAX connections, one message each at a
    // time, several round trips to the relay per message) sets the drain rate: a batch
    // costs 3 statements whatever its size (deliverEmails). A bigger batch would make each
    // log wait longer for its write after the send (all of a batch re-sent after a crash)
    // and outlast the 10 s graceful stop. A full batch makes the worker fetch again at once
    // (jobs.ts burst mode).
    batchSize: 50,
    pollingIntervalSeconds: 0.5,
    queue: RETRY_POLICY,
    batchHandler: deliver,
    // One job alone (callers outside the worker): the same delivery as a batch of one.
    handler: async (_request, job) => {
      const err = (await deliver([job])).get(job.id);
      if (err) throw err;
    },
  });
}

/** A log in one of these states was accepted by the SMTP server: never sent again. */
const EMAIL_DONE: ReadonlySet<repo.EmailStatus> = new Set(['SENT', 'DELIVERED', 'BOUNCED']);

/**
 * Delivers a fetched batch of email jobs set-based: the rows of legacy jobs in one insert,
 * one select of the batch's logs, one of the active templates its (key, locale) pairs
 * need, the renders and the sends (all handed to the mailer at once; its pool keeps to
 * SMTP_POOL_MAX connections), then one update of all attempts. Each job's outcome is its
 * own: an Error (the SMTP server refused and attempts are left, or the log is missing)
 * makes pg-boss retry that job alone; a log already SENT, DELIVERED or BOUNCED is skipped.
 * A Mailgun event that arrives before the update finds its log by the id in the Message-ID
 * and keeps its status (notifications.repo.ts applyDeliveryEvent, markEmailAttempts).
 */
async function deliverEmails(
  deps: AppDeps,
  getMailer: () => Mailer | undefined,
  jobs: Job<EmailJob>[],
): Promise<Map<string, Error | undefined>> {
  const { db, config, logger } = deps;
  const outcomes = new Map<string, Error | undefined>(jobs.map((job) => [job.id, undefined]));
  const localeOf = (job: Job<EmailJob>) => job.data.locale ?? 'hr';
  // Jobs queued before logs were written with them get their row now; it takes the job's
  // id, so a retry of the job finds it.
  const logIdOf = (job: Job<EmailJob>) => job.data.email_log_id ?? job.id;
  await repo.insertLegacyEmailLogs(
    db,
    jobs
      .filter((job) => !job.data.email_log_id)
      .map((job) => ({
        id: job.id,
        template_key: job.data.template_key,
        locale: localeOf(job),
        recipient_email: job.data.to,
        variables_json: job.data.variables,
      })),
  );
  const logs = new Map(
    (await repo.findEmailLogs(db, [...new Set(jobs.map(logIdOf))])).map((log) => [log.id, log]),
  );
  const pending = jobs.flatMap((job) => {
    const log = logs.get(logIdOf(job));
    if (!log) {
      outcomes.set(job.id, new Error(`email_logs row ${logIdOf(job)} is missing`));
      return [];
    }
    return EMAIL_DONE.has(log.status) ? [] : [{ job, log }];
  });
  if (pending.length === 0) return outcomes;

  const pairKey = (templateKey: string, locale: string) => JSON.stringify([templateKey, locale]);
  const pairs = new Map(
    pending.map(({ job }) => [
      pairKey(job.data.template_key, localeOf(job)),
      { template_key: job.data.template_key, locale: localeOf(job) },
    ]),
  );
  const templates = new Map(
    (await repo.findActiveTemplates(db, [...pairs.values()])).map((t) => [
      pairKey(t.template_key, t.locale),
      t,
    ]),
  );

  const attempts: repo.EmailAttempt[] = [];
  // Problems no retry fixes: the log is FAILED at once and the job completes.
  const fail = (log: repo.EmailLogRow, message: string) =>
    attempts.push({ id: log.id, status: 'FAILED', attempts: log.attempts, error_message: message });
  const transport = getMailer();
  const sends = pending.flatMap(({ job, log }) => {
    const request = job.data;
    const template = templates.get(pairKey(request.template_key, localeOf(job)));
    if (!template) {
      fail(log, `no active email template "${request.template_key}" for locale "${localeOf(job)}"`);
      return [];
    }
    let rendered;
    try {
      rendered = renderTemplate(template, request.variables ?? {});
    } catch (err) {
      if (!(err instanceof TemplateRenderError)) {
        outcomes.set(job.id, err instanceof Error ? err : new Error(String(err)));
      } else {
        fail(log, err.message);
      }
      return [];
    }
    if (!transport) {
      fail(log, 'SMTP not configured (SMTP_URL is unset)');
      return [];
    }
    return [{ job, log, rendered, transport }];
  });

  const domain = messageIdDomain(config.EMAIL_FROM);
  await Promise.all(
    sends.map(async ({ job, log, rendered, transport }) => {
      const attempt = log.attempts + 1;
      try {
        const sent = await transport.send({
          to: log.recipient_email,
          subject: rendered.subject,
          html: rendered.html,
          text: rendered.text,
          messageId: `${log.id}@${domain}`,
        });
        attempts.push({
          id: log.id,
          status: 'SENT',
          attempts: attempt,
          subject: rendered.subject,
          provider: transport.provider,
          provider_message_id: sent.messageId,
          sent_at: deps.clock.now(),
          error_message: null,
        });
      } catch (err) {
        attempts.push({
          id: log.id,
          status: 'FAILED',
          attempts: attempt,
          subject: rendered.subject,
          provider: transport.provider,
          error_message: errorText(err),
        });
        if (attempt >= config.EMAIL_MAX_ATTEMPTS) {
          logger.warn(
            { emailLogId: log.id, jobId: job.id, attempts: attempt, err },
            'email delivery failed; giving up',
          );
          return;
        }
        outcomes.set(job.id, err instanceof Error ? err : new Error(String(err)));
      }
    }),
  );
  await repo.markEmailAttempts(db, attempts);
  return outcomes;
}

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
    // One job alone (callers outside the worker): the same delivery as a batch of one.
    handler: async (_request, job) => {
      const err = (await deliver([job])).get(job.id);
      if (err) throw err;
    },
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

export const notificationJobs = (deps: AppDeps) => [emailJob(deps), pushJob(deps)];
