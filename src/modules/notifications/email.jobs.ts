import type { Job } from 'pg-boss';
import type { AppDeps } from '../../deps.ts';
import { createMailer, messageIdDomain, type Mailer } from '../../platform/adapters/smtp/mailer.ts';
import { batchOfOne, defineJob } from '../../platform/jobs.ts';
import { errorText, RETRY_POLICY } from './delivery.ts';
import { renderTemplate, TemplateRenderError } from './notifications.rules.ts';
import * as repo from './notifications.repo.ts';
import { EMAIL_QUEUE, type EmailJob } from './notify.ts';

/**
 * The email worker: renders a queued email from its template and sends it over SMTP.
 * Delivery guarantees and the retry policy are in delivery.ts.
 */

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
    handler: batchOfOne(deliver),
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
