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
 * and the log update sends again on retry) and idempotent where it matters: a SENT email
 * or push is never sent again by a retried job.
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

  return defineJob<EmailJob>({
    name: EMAIL_QUEUE,
    // One fetch per poll (jobs.ts has no burst mode): the batch sets the drain rate, its
    // emails go out concurrently over the SMTP pool.
    batchSize: 50,
    pollingIntervalSeconds: 0.5,
    queue: RETRY_POLICY,
    handler: async (request, job) => {
      const { db, config, logger } = deps;
      const locale = request.locale ?? 'hr';
      // Jobs queued before logs were written with them get their row now.
      const logId =
        request.email_log_id ??
        (await repo.insertEmailLog(db, {
          template_key: request.template_key,
          locale,
          recipient_email: request.to,
          variables_json: request.variables,
        }));
      const log = await repo.findEmailLog(db, logId);
      if (!log) throw new Error(`email_logs row ${logId} is missing`);
      if (log.status === 'SENT' || log.status === 'DELIVERED' || log.status === 'BOUNCED') return;

      const fail = (message: string, attempts = log.attempts) =>
        repo.markEmailAttempt(db, log.id, { status: 'FAILED', attempts, error_message: message });

      const template = await repo.findActiveTemplate(db, request.template_key, locale);
      if (!template) {
        await fail(`no active email template "${request.template_key}" for locale "${locale}"`);
        return;
      }
      let rendered;
      try {
        rendered = renderTemplate(template, request.variables ?? {});
      } catch (err) {
        if (!(err instanceof TemplateRenderError)) throw err;
        await fail(err.message);
        return;
      }
      const transport = getMailer();
      if (!transport) {
        await fail('SMTP not configured (SMTP_URL is unset)');
        return;
      }

      const attempt = log.attempts + 1;
      try {
        const sent = await transport.send({
          to: log.recipient_email,
          subject: rendered.subject,
          html: rendered.html,
          text: rendered.text,
          messageId: `${log.id}@${messageIdDomain(config.EMAIL_FROM)}`,
        });
        await repo.markEmailAttempt(db, log.id, {
          status: 'SENT',
          attempts: attempt,
          subject: rendered.subject,
          provider: transport.provider,
          provider_message_id: sent.messageId,
          sent_at: deps.clock.now(),
          error_message: null,
        });
      } catch (err) {
        await repo.markEmailAttempt(db, log.id, {
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
        throw err;
      }
    },
  });
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

  return defineJob<PushRequest>({
    name: PUSH_QUEUE,
    batchSize: 25,
    pollingIntervalSeconds: 0.5,
    queue: RETRY_POLICY,
    handler: async (request, job: Job<PushRequest>) => {
      const { db, config, logger } = deps;
      const base = {
        user_id: request.user_id,
        job_id: job.id,
        notification_type: request.notification_type,
        title: request.title,
        body: request.body,
        data_json: request.data ?? {},
        priority: request.priority ?? 'NORMAL',
      };
      const tokens = await repo.activePushTokens(db, request.user_id);
      if (tokens.length === 0) {
        await repo.ensurePushLogs(db, [
          {
            ...base,
            push_token_id: null,
            status: 'FAILED',
            error_message: 'user has no active push token',
          },
        ]);
        return;
      }
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
      const logs = await repo.ensurePushLogs(
        db,
        tokens.map((t) => ({ ...base, push_token_id: t.id })),
      );
      if (!fcm) {
        for (const log of logs.filter((l) => l.status !== 'SENT')) {
          await repo.markPushAttempt(db, log.id, {
            status: 'FAILED',
            attempts: log.attempts,
            error_message: notConfigured!,
          });
        }
        return;
      }

      const byId = new Map(tokens.map((t) => [t.id, t]));
      const retry: Error[] = [];
      await Promise.all(
        logs
          .filter(
            (log) => log.status !== 'SENT' && log.push_token_id && byId.has(log.push_token_id),
          )
          .map(async (log) => {
            const device = byId.get(log.push_token_id!)!;
            const attempt = log.attempts + 1;
            try {
              const name = await fcm.send({
                token: device.fcm_token,
                title: request.title,
                body: request.body,
                data: { ...(request.data ?? {}), notification_type: request.notification_type },
                priority: request.priority ?? 'NORMAL',
              });
              await repo.markPushAttempt(db, log.id, {
                status: 'SENT',
                attempts: attempt,
                fcm_message_id: name,
                sent_at: deps.clock.now(),
                error_message: null,
              });
              await repo.touchPushToken(db, device.id, deps.clock.now());
            } catch (err) {
              await repo.markPushAttempt(db, log.id, {
                status: 'FAILED',
                attempts: attempt,
                error_message: errorText(err),
              });
              if (err instanceof FcmError && err.tokenInvalid) {
                await repo.deactivatePushToken(db, device.id, device.fcm_token);
              } else if (
                (!(err instanceof FcmError) || err.retryable) &&
                attempt < config.PUSH_MAX_ATTEMPTS
              ) {
                retry.push(err as Error);
              }
            }
          }),
      );
      if (retry.length) {
        logger.warn({ jobId: job.id, failures: retry.length }, 'push delivery failed; will retry');
        throw retry[0];
      }
    },
  });
}

export const notificationJobs = (deps: AppDeps) => [emailJob(deps), pushJob(deps)];
