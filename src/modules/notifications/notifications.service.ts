/** Use cases of the notifications module; each is one transaction. */
import type { AppDeps } from '../../deps.ts';
import {
  verifyMailgunSignature,
  MAILGUN_MAX_SKEW_SECONDS,
} from '../../platform/adapters/smtp/mailgun-webhook.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { validateTemplate } from './notifications.rules.ts';
import * as repo from './notifications.repo.ts';
import type { EmailTemplateOut, MailgunWebhookBody } from './notifications.schemas.ts';

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());
const iso0 = (d: Date | string | null) => (d === null ? null : iso(d));

export function toTemplateOut(row: repo.EmailTemplateRow): EmailTemplateOut {
  return {
    id: row.id,
    template_key: row.template_key,
    locale: row.locale as 'hr' | 'en',
    name: row.name,
    subject: row.subject,
    body_html: row.body_html,
    body_text: row.body_text,
    variables: row.variables,
    is_active: row.is_active,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

// Email templates ---------------------------------------------------------------------------

export async function listEmailTemplates(
  deps: Pick<AppDeps, 'db'>,
  query: { page: number; limit: number; template_key?: string; locale?: string },
) {
  const { rows, total } = await repo.listTemplates(deps.db, {
    template_key: query.template_key,
    locale: query.locale,
    limit: query.limit,
    offset: (query.page - 1) * query.limit,
  });
  return { items: rows.map(toTemplateOut), page: query.page, limit: query.limit, total };
}

export async function getEmailTemplate(deps: Pick<AppDeps, 'db'>, id: string) {
  const row = await repo.findTemplateById(deps.db, id);
  if (!row) throw notFound('Email template');
  return toTemplateOut(row);
}

export async function updateEmailTemplate(
  deps: Pick<AppDeps, 'db' | 'jobs' | 'clock'>,
  actorId: string,
  id: string,
  patch: {
    name?: string;
    subject?: string;
    body_html?: string;
    body_text?: string;
    is_active?: boolean;
  },
  context: Record<string, unknown> = {},
) {
  return deps.db.transaction().execute(async (trx) => {
    const current = await repo.findTemplateById(trx, id, { forUpdate: true });
    if (!current) throw notFound('Email template');
    const next = { ...current, ...patch };
    const errors = validateTemplate(next, current.variables);
    if (errors.length) {
      throw new AppError('VALIDATION_FAILED', 'The template uses variables it does not declare', {
        errors,
        extra: { declared_variables: current.variables },
      });
    }
    const changed = (Object.keys(patch) as Array<keyof typeof patch>).filter(
      (k) => patch[k] !== undefined && patch[k] !== current[k],
    );
    if (changed.length === 0) return toTemplateOut(current);
    const updated = await repo.updateTemplate(
      trx,
      id,
      Object.fromEntries(changed.map((k) => [k, patch[k]])),
    );
    await recordAudit(deps, trx, {
      domain: 'notification',
      action: 'email_template_updated',
      actor: { type: 'user', id: actorId },
      subject: { type: 'email_template', id },
      changes: {
        template_key: current.template_key,
        locale: current.locale,
        fields: changed,
        before: Object.fromEntries(changed.map((k) => [k, current[k]])),
        after: Object.fromEntries(changed.map((k) => [k, updated[k]])),
      },
      context,
    });
    return toTemplateOut(updated);
  });
}

// Push tokens -------------------------------------------------------------------------------

export async function registerPushToken(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  userId: string,
  input: { device_id: string; fcm_token: string; platform: 'IOS' | 'ANDROID' },
) {
  return deps.db.transaction().execute(async (trx) => {
    if (!(await repo.userExists(trx, userId))) throw notFound('User');
    const row = await repo.upsertPushToken(trx, {
      ...input,
      user_id: userId,
      now: deps.clock.now(),
    });
    return {
      id: row.id,
      device_id: row.device_id,
      platform: row.platform,
      is_active: row.is_active,
      created_at: iso(row.created_at),
      last_used_at: iso0(row.last_used_at),
    };
  });
}

export async function removePushToken(deps: Pick<AppDeps, 'db'>, userId: string, deviceId: string) {
  const deleted = await repo.deletePushToken(deps.db, userId, deviceId);
  // Another user's device answers like a missing one: ids do not leak.
  if (!deleted) throw notFound('Push token');
}

// Mailgun webhook ---------------------------------------------------------------------------

/**
 * Mailgun delivery events → email_logs. `delivered` moves a SENT (or FAILED-then-retried)
 * log to DELIVERED; a permanent `failed` (bounce, rejected address) moves it to BOUNCED.
 * Temporary failures are ignored: Mailgun retries them itself and reports the outcome.
 * The signature is verified first, and each token is accepted once (replay protection).
 */
export async function handleMailgunEvent(
  deps: Pick<AppDeps, 'db' | 'redis' | 'clock' | 'config' | 'logger'>,
  body: MailgunWebhookBody,
): Promise<{ status: 'ok'; matched: boolean; updated: boolean }> {
  const key = deps.config.MAILGUN_WEBHOOK_SIGNING_KEY;
  if (!key) {
    throw new AppError(
      'DEPENDENCY_UNAVAILABLE',
      'Mailgun webhooks are not configured (MAILGUN_WEBHOOK_SIGNING_KEY is unset)',
    );
  }
  const verdict = verifyMailgunSignature(key, body.signature, deps.clock.now());
  if (!verdict.ok) throw new AppError('WEBHOOK_SIGNATURE_INVALID', `Mailgun ${verdict.reason}`);
  const tokenKey = `mailgun:token:${body.signature.token}`;
  const fresh = await deps.redis.set(tokenKey, '1', 'EX', MAILGUN_MAX_SKEW_SECONDS * 2, 'NX');
  if (fresh === null)
    throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'Mailgun token was already used');

  try {
    return await applyMailgunEvent(deps, body['event-data']);
  } catch (err) {
    // Not processed: Mailgun's retry of this very request must be accepted.
    await deps.redis.del(tokenKey).catch(() => {});
    throw err;
  }
}

async function applyMailgunEvent(
  deps: Pick<AppDeps, 'db' | 'clock' | 'logger'>,
  event: MailgunWebhookBody['event-data'],
): Promise<{ status: 'ok'; matched: boolean; updated: boolean }> {
  const messageId = event.message?.headers['message-id']?.replace(/^<|>$/g, '');
  if (!messageId) return { status: 'ok', matched: false, updated: false };

  let result: { matched: boolean; updated: boolean };
  if (event.event === 'delivered') {
    result = await repo.applyDeliveryEvent(deps.db, messageId, {
      status: 'DELIVERED',
      from: ['QUEUED', 'SENT', 'FAILED'],
      delivered_at: deps.clock.now(),
    });
  } else if (event.event === 'failed' && event.severity === 'permanent') {
    const status = event['delivery-status'];
    const reason = [event.reason, status?.code, status?.description || status?.message]
      .filter((p) => p !== undefined && p !== '')
      .join(' ');
    result = await repo.applyDeliveryEvent(deps.db, messageId, {
      status: 'BOUNCED',
      from: ['QUEUED', 'SENT', 'FAILED', 'DELIVERED'],
      error_message: `bounced: ${reason || 'permanent failure'}`.slice(0, 2_000),
    });
  } else {
    // Other events (opened, clicked, temporary failures Mailgun retries itself) change nothing.
    result = { matched: await repo.emailLogExists(deps.db, messageId), updated: false };
  }
  if (!result.matched) {
    deps.logger.info({ messageId, event: event.event }, 'Mailgun event for an unknown message');
  }
  return { status: 'ok', ...result };
}
