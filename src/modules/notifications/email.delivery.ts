import type { AppDeps } from '../../deps.ts';
import { createMailer, messageIdDomain, type Mailer } from '../../platform/adapters/smtp/mailer.ts';
import { errorText, givenUp, leaseUntil, retryDelayMs } from './delivery.ts';
import {
  startBatchLoop,
  type BatchLoop,
  type BatchLoopOptions,
} from '../../platform/batch-loop.ts';
import { renderTemplate, TemplateRenderError } from './notifications.rules.ts';
import * as repo from './email.repo.ts';
import { fileStoreOf, type FileStore } from '../../platform/files/file-store.ts';

/**
 * The email delivery loop: renders due email_logs rows from their templates and sends them
 * over SMTP. Delivery guarantees and the retry policy are in delivery.ts.
 */

/**
 * Emails per batch. With a real relay the SMTP pool (SMTP_POOL_MAX connections, one
 * message each at a time, several round trips to the relay per message) sets the drain
 * rate: a batch costs 3 statements whatever its size (deliverEmailBatch). A bigger batch
 * would make each log wait longer for its write after the send (all of a batch re-sent
 * after a crash) and outlast the 10 s graceful stop. A full batch is followed at once.
 */
export const EMAIL_BATCH = 50;

export type GetMailer = () => Mailer | undefined;

/** The process's mailer, made on first use; undefined without SMTP_URL. */
export function mailerOf(deps: Pick<AppDeps, 'config'>): GetMailer {
  let mailer: Mailer | undefined;
  return () => {
    if (!deps.config.SMTP_URL) return undefined;
    mailer ??= createMailer({
      url: deps.config.SMTP_URL,
      from: deps.config.EMAIL_FROM,
      poolMax: deps.config.SMTP_POOL_MAX,
    });
    return mailer;
  };
}

/** Runs the email delivery loop in this process (every worker runs one). */
export function startEmailDelivery(
  deps: AppDeps,
  options: BatchLoopOptions & { batchSize?: number } = {},
): BatchLoop {
  const getMailer = mailerOf(deps);
  const batchSize = options.batchSize ?? EMAIL_BATCH;
  return startBatchLoop(
    'email delivery',
    deps.logger,
    batchSize,
    () => deliverEmailBatch(deps, getMailer, batchSize),
    options,
  );
}

/**
 * Delivers one batch of due emails set-based: one statement leases them (skipping and
 * clearing any the SMTP server already accepted), one selects the active templates their
 * (key, locale) pairs need, then the renders and the sends (all handed to the mailer at
 * once; its pool keeps to SMTP_POOL_MAX connections), then one update writes every row's
 * outcome and next attempt. A Mailgun event that arrives before that update finds its log
 * by the id in the Message-ID and keeps its status (notifications.repo.ts
 * applyDeliveryEvent, markEmailAttempts). Returns how many rows were leased.
 */
export async function deliverEmailBatch(
  deps: Pick<AppDeps, 'db' | 'config' | 'logger' | 'clock'>,
  getMailer: GetMailer,
  limit = EMAIL_BATCH,
): Promise<number> {
  const { db, config, logger } = deps;
  const now = deps.clock.now();
  const leased = await repo.leaseDueEmails(db, now, leaseUntil(now), limit);
  const pending = leased.filter((log) => !repo.EMAIL_DONE.includes(log.status));
  if (pending.length === 0) return leased.length;

  const pairKey = (templateKey: string, locale: string) => JSON.stringify([templateKey, locale]);
  const pairs = new Map(
    pending.map((log) => [
      pairKey(log.template_key, log.locale),
      { template_key: log.template_key, locale: log.locale },
    ]),
  );
  const templates = new Map(
    (await repo.findActiveTemplates(db, [...pairs.values()])).map((t) => [
      pairKey(t.template_key, t.locale),
      t,
    ]),
  );

  const attempts: repo.EmailAttempt[] = [];
  const fail = (log: repo.EmailLogRow, message: string) => attempts.push(givenUp(log, message));
  /** A failed attempt: retried after the backoff while attempts are left, else given up. */
  const failedAttempt = (log: repo.EmailLogRow, attempt: number, err: unknown) => {
    if (attempt < config.EMAIL_MAX_ATTEMPTS) return new Date(now.getTime() + retryDelayMs(attempt));
    logger.warn({ emailLogId: log.id, attempts: attempt, err }, 'email delivery failed; giving up');
    return null;
  };
  const transport = getMailer();
  const sends = pending.flatMap((log) => {
    const template = templates.get(pairKey(log.template_key, log.locale));
    if (!template) {
      fail(log, `no active email template "${log.template_key}" for locale "${log.locale}"`);
      return [];
    }
    let rendered;
    try {
      rendered = renderTemplate(template, (log.variables_json ?? {}) as Record<string, unknown>);
    } catch (err) {
      if (err instanceof TemplateRenderError) {
        fail(log, err.message);
      } else {
        // Not the template's fault (a bug): counted as an attempt and retried.
        const attempt = log.attempts + 1;
        attempts.push({
          id: log.id,
          status: 'FAILED',
          attempts: attempt,
          next_attempt_at: failedAttempt(log, attempt, err),
          error_message: errorText(err),
        });
      }
      return [];
    }
    if (!transport) {
      fail(log, 'SMTP not configured (SMTP_URL is unset)');
      return [];
    }
    return [{ log, rendered, transport }];
  });

  const domain = messageIdDomain(config.EMAIL_FROM);
  const store = fileStoreOf(config);
  await Promise.all(
    sends.map(async ({ log, rendered, transport }) => {
      const attempt = log.attempts + 1;
      try {
        const attachments = await attachmentsOf(store, log);
        if (attachments instanceof MissingAttachment) {
          fail(log, attachments.message);
          return;
        }
        const sent = await transport.send({
          to: log.recipient_email,
          subject: rendered.subject,
          html: rendered.html,
          text: rendered.text,
          messageId: `${log.id}@${domain}`,
          ...(attachments.length ? { attachments } : {}),
        });
        attempts.push({
          id: log.id,
          status: 'SENT',
          attempts: attempt,
          next_attempt_at: null,
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
          next_attempt_at: failedAttempt(log, attempt, err),
          subject: rendered.subject,
          provider: transport.provider,
          error_message: errorText(err),
        });
      }
    }),
  );
  await repo.markEmailAttempts(db, attempts);
  return leased.length;
}

class MissingAttachment {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/**
 * The email's attachments, read from the file store now (the outbox row holds only their
 * keys). A file no longer stored is a problem no retry fixes (the email is given up with
 * the reason); a store that cannot be read now throws, and the attempt is retried.
 */
async function attachmentsOf(
  store: FileStore,
  log: repo.EmailLogRow,
): Promise<MissingAttachment | Array<{ filename: string; contentType: string; content: Buffer }>> {
  const refs = (log.attachments_json ?? []) as unknown as repo.EmailAttachmentRef[];
  const out = [];
  for (const ref of refs) {
    const stream = await store.read(ref.file_key);
    if (!stream) return new MissingAttachment(`attachment ${ref.filename} is no longer stored`);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    out.push({
      filename: ref.filename,
      contentType: ref.content_type,
      content: Buffer.concat(chunks),
    });
  }
  return out;
}
