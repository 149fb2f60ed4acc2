import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { hookBefore, normalised, statementsOf } from '../harness/statements.ts';
import { DELIVERY_LEASE_MS, retryDelayMs } from '../../src/modules/notifications/delivery.ts';
import {
  deliverEmailBatch,
  mailerOf,
  startEmailDelivery,
  type GetMailer,
} from '../../src/modules/notifications/email.delivery.ts';
import { notificationJobs } from '../../src/modules/notifications/notifications.jobs.ts';
import {
  countPendingDeliveries,
  findActiveTemplate,
  type EmailLogRow,
} from '../../src/modules/notifications/notifications.repo.ts';
import { renderTemplate } from '../../src/modules/notifications/notifications.rules.ts';
import {
  EMAIL_QUEUE,
  sendEmail,
  type EmailRequest,
  type Locale,
} from '../../src/modules/notifications/notify.ts';
import { mailgunSignature } from '../../src/platform/adapters/smtp/mailgun-webhook.ts';
import { MAILGUN_KEY, useEmailTestContext } from './email-context.ts';
import { waitFor } from '../harness/wait.ts';

/**
 * The email outbox (email.delivery.ts): a batch of due email_logs rows is leased, rendered,
 * sent and written back set-based. These tests check that a mixed batch leaves each row
 * exactly as the per-job worker did, that an SMTP refusal retries that row alone after the
 * backoff, that the statements per batch do not grow with its size, that a worker dying
 * mid-batch only delays its rows, that concurrent loops send each email once, and that jobs
 * of the previous release's queue are moved into the outbox.
 */
const { t, smtp } = await useEmailTestContext();
let getMailer: GetMailer | undefined;
/** One batch, big enough for every row a test makes due (the mailer of this "process"). */
const deliver = (limit = 1_000) =>
  deliverEmailBatch(t.deps, (getMailer ??= mailerOf(t.deps)), limit);

/** A Mailgun webhook request for this log's Message-ID, signed like Mailgun does. */
async function mailgunEvent(event: Record<string, unknown>, messageId: string) {
  const timestamp = String(Math.floor(t.clock.now().getTime() / 1000));
  const token = randomUUID().replaceAll('-', '');
  const res = await t.request({
    method: 'POST',
    url: '/webhooks/mailgun',
    payload: {
      signature: { timestamp, token, signature: mailgunSignature(MAILGUN_KEY, timestamp, token) },
      'event-data': { ...event, message: { headers: { 'message-id': `<${messageId}>` } } },
    },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as { status: string; matched: boolean; updated: boolean };
}

/**
 * What an email of the batch is: sent normally; its log already SENT (accepted after an
 * earlier failed attempt, as a Mailgun event can show); an unknown template; a missing
 * variable; refused once by the SMTP server (retried); refused with its last attempt
 * (given up).
 */
type Kind = 'normal' | 'sent' | 'unknown' | 'missing' | 'refused' | 'doomed';

interface Case {
  kind: Kind;
  request: EmailRequest & { locale: Locale };
  logId: string;
}

const REFUSAL = { code: 451, message: '4.2.1 Mailbox busy, try again later' };

const requestOf = (kind: Kind, to: string, n: number): EmailRequest & { locale: Locale } => {
  const locale: Locale = n % 2 ? 'en' : 'hr';
  const variables = { customer_name: `Navijač ${n}`, match_name: 'Hrvatska – Italija' };
  if (kind === 'unknown') return { template_key: 'no_such_template', to, locale, variables };
  // queue_turn also needs purchase_url and window_minutes.
  if (kind === 'missing') return { template_key: 'queue_turn', to, locale: 'hr', variables };
  return { template_key: 'purchase_window_expired', to, locale, variables };
};

const queue = (request: EmailRequest) =>
  t.deps.db.transaction().execute((trx) => sendEmail(t.deps, trx, request));

/** `normals` plain emails and one of each other kind, in a mixed order, all due now. */
async function mixedBatch(normals: number): Promise<Case[]> {
  const tag = randomUUID().slice(0, 8);
  const kinds: Kind[] = Array.from({ length: normals }, () => 'normal');
  for (const [i, kind] of (
    ['sent', 'unknown', 'missing', 'refused', 'doomed'] as const
  ).entries()) {
    kinds.splice(Math.min(1 + i * 2, kinds.length), 0, kind);
  }
  const cases: Case[] = [];
  for (const [n, kind] of kinds.entries()) {
    const request = requestOf(kind, `${kind}-${n}-${tag}@example.hr`, n);
    const logId = await queue(request);
    if (kind === 'sent') {
      await t.deps.db
        .updateTable('email_logs')
        .set({ status: 'SENT', attempts: 1, provider_message_id: `${logId}@hns.hr` })
        .where('id', '=', logId)
        .execute();
    }
    if (kind === 'doomed') {
      await t.deps.db
        .updateTable('email_logs')
        .set({ status: 'FAILED', attempts: 2, error_message: 'earlier refusal' })
        .where('id', '=', logId)
        .execute();
    }
    if (kind === 'refused' || kind === 'doomed') {
      smtp.refuseRecipients.set(request.to, { ...REFUSAL, times: 1 });
    }
    cases.push({ kind, request, logId });
  }
  return cases;
}

const logOf = (id: string) =>
  t.deps.db.selectFrom('email_logs').selectAll().where('id', '=', id).executeTakeFirst();
const mailsTo = (to: string) => smtp.received.filter((m) => m.envelopeTo.includes(to));

/** Checks the row an email left and the mail it sent; `sends` is how many attempts the refused one made. */
async function expectCase(c: Case, sends = 1) {
  const { request } = c;
  const log = (await logOf(c.logId)) as EmailLogRow;
  expect(log, c.kind).toBeDefined();
  expect(log).toMatchObject({
    template_key: request.template_key,
    locale: request.locale,
    recipient_email: request.to,
    variables_json: request.variables,
  });
  const mails = mailsTo(request.to);
  switch (c.kind) {
    case 'normal':
    case 'refused': {
      if (c.kind === 'refused' && sends === 1) {
        expect(log).toMatchObject({
          status: 'FAILED',
          attempts: 1,
          provider: 'smtp:127.0.0.1',
          provider_message_id: null,
          sent_at: null,
        });
        expect(log.error_message).toMatch(/451 4\.2\.1 Mailbox busy/);
        // Due again after the first backoff step.
        expect(log.next_attempt_at).toEqual(new Date(t.clock.now().getTime() + retryDelayMs(1)));
        expect(mails).toEqual([]);
        break;
      }
      const template = (await findActiveTemplate(t.deps.db, request.template_key, log.locale))!;
      const { subject } = renderTemplate(template, request.variables);
      expect(log).toMatchObject({
        status: 'SENT',
        attempts: c.kind === 'refused' ? sends : 1,
        subject,
        provider: 'smtp:127.0.0.1',
        provider_message_id: `${c.logId}@hns.hr`,
        error_message: null,
        next_attempt_at: null,
      });
      expect(log.sent_at).toBeInstanceOf(Date);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.parsed.subject).toBe(subject);
      expect(mails[0]!.parsed.messageId).toBe(`<${c.logId}@hns.hr>`);
      break;
    }
    case 'sent':
      expect(log).toMatchObject({
        status: 'SENT',
        attempts: 1,
        subject: null,
        provider_message_id: `${c.logId}@hns.hr`,
        next_attempt_at: null,
      });
      expect(mails).toEqual([]);
      break;
    case 'unknown':
      expect(log).toMatchObject({
        status: 'FAILED',
        attempts: 0,
        subject: null,
        provider: null,
        next_attempt_at: null,
        error_message: `no active email template "no_such_template" for locale "${request.locale}"`,
      });
      expect(mails).toEqual([]);
      break;
    case 'missing':
      expect(log).toMatchObject({
        status: 'FAILED',
        attempts: 0,
        subject: null,
        provider: null,
        next_attempt_at: null,
        error_message:
          'template "queue_turn" (hr): missing variable(s) purchase_url, window_minutes',
      });
      expect(mails).toEqual([]);
      break;
    case 'doomed':
      expect(log).toMatchObject({
        status: 'FAILED',
        attempts: 3,
        provider: 'smtp:127.0.0.1',
        provider_message_id: null,
        next_attempt_at: null, // given up
      });
      expect(log.error_message).toMatch(/451 4\.2\.1 Mailbox busy/);
      expect(mails).toEqual([]);
      break;
  }
}

describe('email delivery from the outbox, per batch', () => {
  it('writes one row per email in the caller transaction: one statement, no job', async () => {
    const { result: id, sql: statements } = await statementsOf(() =>
      queue(requestOf('normal', `one-${randomUUID()}@example.hr`, 0)),
    );
    expect(normalised(statements).map((s) => s.split(' ').slice(0, 3).join(' '))).toEqual([
      'begin',
      'insert into "email_logs"',
      'commit',
    ]);
    expect(await logOf(id)).toMatchObject({
      status: 'QUEUED',
      attempts: 0,
      next_attempt_at: t.clock.now(),
    });
    const jobs = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM ${sql.table(`${t.config.JOBS_SCHEMA}.job`)}`.execute(
      t.deps.db,
    );
    expect(jobs.rows[0]!.n).toBe(0);
    await deliver();
    expect((await logOf(id))!.status).toBe('SENT');
  });

  it('gives every email of a mixed batch its outcome, in a fixed number of statements', async () => {
    const statementsFor = async (normals: number) => {
      const cases = await mixedBatch(normals);
      const received = smtp.received.length;
      const { result: leased, sql: statements } = await statementsOf(() => deliver());
      expect(leased).toBe(cases.length);
      for (const c of cases) await expectCase(c);
      expect(smtp.received.length - received).toBe(normals);

      // Nothing is due until the refused email's backoff has passed.
      expect(await deliver()).toBe(0);
      t.clock.advance(retryDelayMs(1) - 1);
      expect(await deliver()).toBe(0);
      t.clock.advance(1);
      // The refused email alone is tried again and sent; the log counts the second attempt.
      expect(await deliver()).toBe(1);
      const refused = cases.find((c) => c.kind === 'refused')!;
      await expectCase(refused, 2);

      // Nothing is left: later batches send nothing and change no row.
      t.clock.advance(24 * 3_600_000);
      const again = smtp.received.length;
      const refusals = smtp.refused.length;
      expect(await deliver()).toBe(0);
      expect(smtp.received.length).toBe(again);
      expect(smtp.refused.length).toBe(refusals);
      for (const c of cases) await expectCase(c, 2);
      return normalised(statements);
    };

    const small = await statementsFor(10);
    const large = await statementsFor(300);
    // lease (update … returning), select templates, update outcomes
    expect(small).toHaveLength(3);
    expect(large).toHaveLength(small.length);
    expect(small[0]).toMatch(/^UPDATE email_logs SET next_attempt_at = .*FOR UPDATE SKIP LOCKED/);
    expect(small[1]).toMatch(/^select .* from "email_templates"/i);
    expect(small[2]).toMatch(/^UPDATE email_logs AS l/);
  });

  it('keeps a Mailgun event that arrives between the send and the write of its batch', async () => {
    const tag = randomUUID().slice(0, 8);
    const cases: Case[] = [];
    for (const [n, name] of ['delivered', 'bounced', 'plain'].entries()) {
      const request = requestOf('normal', `${name}-${tag}@example.hr`, n);
      cases.push({ kind: 'normal', request, logId: await queue(request) });
    }
    const [delivered, bounced, plain] = cases as [Case, Case, Case];
    const events: Array<{ status: string; matched: boolean; updated: boolean }> = [];
    const leased = await hookBefore(
      /^UPDATE email_logs AS l/,
      async () => {
        // Both were sent; their rows do not carry the Message-ID yet.
        expect((await logOf(delivered.logId))!.provider_message_id).toBeNull();
        events.push(await mailgunEvent({ event: 'delivered' }, `${delivered.logId}@hns.hr`));
        events.push(
          await mailgunEvent(
            {
              event: 'failed',
              severity: 'permanent',
              reason: 'bounce',
              'delivery-status': { code: 550, description: 'No such mailbox' },
            },
            `${bounced.logId}@hns.hr`,
          ),
        );
      },
      () => deliver(),
    );
    expect(leased).toBe(3);
    expect(events).toEqual([
      { status: 'ok', matched: true, updated: true },
      { status: 'ok', matched: true, updated: true },
    ]);

    // The worker's write fills in the attempt and keeps the provider's status.
    const sentFields = (c: Case) => ({
      attempts: 1,
      provider: 'smtp:127.0.0.1',
      provider_message_id: `${c.logId}@hns.hr`,
      sent_at: expect.any(Date),
      next_attempt_at: null,
    });
    expect(await logOf(delivered.logId)).toMatchObject({
      ...sentFields(delivered),
      status: 'DELIVERED',
      delivered_at: expect.any(Date),
      error_message: null,
    });
    expect(await logOf(bounced.logId)).toMatchObject({
      ...sentFields(bounced),
      status: 'BOUNCED',
      error_message: 'bounced: bounce 550 No such mailbox',
    });
    await expectCase(plain);
    // Later events match the stored Message-ID; a bounce stays final.
    expect(await mailgunEvent({ event: 'delivered' }, `${bounced.logId}@hns.hr`)).toEqual({
      status: 'ok',
      matched: true,
      updated: false,
    });
    expect(await mailgunEvent({ event: 'delivered' }, `${randomUUID()}@hns.hr`)).toEqual({
      status: 'ok',
      matched: false,
      updated: false,
    });
  });

  it('a failed attempt that Mailgun reports delivered is not retried', async () => {
    const request = requestOf('refused', `late-${randomUUID()}@example.hr`, 0);
    smtp.refuseRecipients.set(request.to, { ...REFUSAL, times: 1 });
    const logId = await queue(request);
    expect(await deliver()).toBe(1);
    expect(await logOf(logId)).toMatchObject({ status: 'FAILED', attempts: 1 });
    // The relay did take it after all (its answer was lost on the way back).
    expect(await mailgunEvent({ event: 'delivered' }, `${logId}@hns.hr`)).toMatchObject({
      updated: true,
    });
    t.clock.advance(retryDelayMs(1));
    expect(await deliver()).toBe(0);
    expect(await logOf(logId)).toMatchObject({ status: 'DELIVERED', next_attempt_at: null });
    expect(mailsTo(request.to)).toEqual([]);
  });

  it('a worker dying mid-batch leaves its emails leased until the lease ends, then they are sent again', async () => {
    const tag = randomUUID().slice(0, 8);
    const cases: Case[] = [];
    for (let n = 0; n < 5; n++) {
      const request = requestOf('normal', `crash-${n}-${tag}@example.hr`, n);
      cases.push({ kind: 'normal', request, logId: await queue(request) });
    }
    // The worker sends, then dies before writing the outcomes.
    await expect(
      hookBefore(
        /^UPDATE email_logs AS l/,
        () => Promise.reject(new Error('worker killed')),
        () => deliver(),
      ),
    ).rejects.toThrow('worker killed');
    for (const c of cases) {
      expect(mailsTo(c.request.to)).toHaveLength(1);
      expect(await logOf(c.logId)).toMatchObject({
        status: 'QUEUED',
        attempts: 0,
        next_attempt_at: new Date(t.clock.now().getTime() + DELIVERY_LEASE_MS),
      });
    }
    // Other workers leave them alone while the lease runs…
    t.clock.advance(DELIVERY_LEASE_MS - 1);
    expect(await deliver()).toBe(0);
    // …and deliver them again after it: at least once.
    t.clock.advance(1);
    expect(await deliver()).toBe(cases.length);
    for (const c of cases) {
      expect(await logOf(c.logId)).toMatchObject({
        status: 'SENT',
        attempts: 1,
        next_attempt_at: null,
      });
      expect(mailsTo(c.request.to)).toHaveLength(2);
    }
  });

  it('three loops draining one outbox send each email exactly once', async () => {
    const tag = randomUUID().slice(0, 8);
    const requests = Array.from({ length: 240 }, (_, n) =>
      requestOf('normal', `many-${n}-${tag}@example.hr`, n),
    );
    await t.deps.db.transaction().execute(async (trx) => {
      for (const r of requests) await sendEmail(t.deps, trx, r);
    });
    const loops = [1, 2, 3].map(() => startEmailDelivery(t.deps, { batchSize: 20, pollMs: 20 }));
    try {
      await waitFor(async () => (await countPendingDeliveries(t.deps.db, 'email_logs')) === 0, {
        timeoutMs: 30_000,
        what: 'outbox drained',
      });
    } finally {
      await Promise.all(loops.map((l) => l.stop()));
    }
    for (const r of requests) expect(mailsTo(r.to), r.to).toHaveLength(1);
    const logs = await t.deps.db
      .selectFrom('email_logs')
      .select(['status', 'attempts'])
      .where('recipient_email', 'like', `many-%-${tag}@example.hr`)
      .execute();
    expect(logs).toHaveLength(requests.length);
    expect(logs.every((l) => l.status === 'SENT' && l.attempts === 1)).toBe(true);
  });
});

describe("the previous release's email queue", () => {
  it('moves its jobs into the outbox, once, and sends nothing already sent', async () => {
    const tag = randomUUID().slice(0, 8);
    const [withLog, legacy, sent] = ['with-log', 'legacy', 'sent'].map((name, n) =>
      requestOf('normal', `${name}-${tag}@example.hr`, n),
    ) as [Case['request'], Case['request'], Case['request']];
    // Rows the previous release wrote with its jobs: not in the outbox (next_attempt_at NULL).
    const logIds = await t.deps.db
      .transaction()
      .execute(async (trx) => [
        await sendEmail(t.deps, trx, withLog),
        await sendEmail(t.deps, trx, sent),
      ]);
    await t.deps.db
      .updateTable('email_logs')
      .set({ next_attempt_at: null })
      .where('id', 'in', logIds)
      .execute();
    await t.deps.db
      .updateTable('email_logs')
      .set({ status: 'SENT', attempts: 1 })
      .where('id', '=', logIds[1]!)
      .execute();
    const jobIds = await t.deps.db.transaction().execute(async (trx) => [
      await t.deps.jobs.enqueue(trx, EMAIL_QUEUE, { ...withLog, email_log_id: logIds[0] }),
      await t.deps.jobs.enqueue(trx, EMAIL_QUEUE, legacy), // queued before logs were written
      await t.deps.jobs.enqueue(trx, EMAIL_QUEUE, { ...sent, email_log_id: logIds[1] }),
    ]);

    const received = smtp.received.length;
    await t.startWorker(notificationJobs(t.deps));
    const jobStates = async () =>
      (
        await sql<{ state: string }>`
          SELECT state FROM ${sql.table(`${t.config.JOBS_SCHEMA}.job`)}
           WHERE id = ANY(${sql.val(jobIds)}::uuid[])`.execute(t.deps.db)
      ).rows;
    await waitFor(async () => (await jobStates()).every((j) => j.state === 'completed'), {
      what: 'email jobs moved',
    });
    // Moved, not sent: the worker's job only writes the outbox.
    expect(smtp.received.length).toBe(received);
    expect(await logOf(logIds[0]!)).toMatchObject({
      status: 'QUEUED',
      next_attempt_at: t.clock.now(),
    });
    expect(await logOf(jobIds[1]!)).toMatchObject({
      status: 'QUEUED',
      recipient_email: legacy.to,
      next_attempt_at: t.clock.now(),
    });
    expect(await logOf(logIds[1]!)).toMatchObject({ status: 'SENT', next_attempt_at: null });

    // A job delivered twice by pg-boss is moved twice: still one row, one email.
    const [def] = notificationJobs(t.deps);
    const redelivered = [
      { id: jobIds[1]!, data: legacy },
      { id: jobIds[0]!, data: { ...withLog, email_log_id: logIds[0] } },
    ] as never[];
    await def!.batchHandler!(redelivered);
    expect(await deliver()).toBe(2);
    await def!.batchHandler!(redelivered);
    expect(await deliver()).toBe(0);
    expect(mailsTo(withLog.to)).toHaveLength(1);
    expect(mailsTo(legacy.to)).toHaveLength(1);
    expect(mailsTo(sent.to)).toEqual([]);
    expect(await logOf(jobIds[1]!)).toMatchObject({
      status: 'SENT',
      provider_message_id: `${jobIds[1]}@hns.hr`,
    });
    const rows = await t.deps.db
      .selectFrom('email_logs')
      .select('id')
      .where('recipient_email', 'in', [withLog.to, legacy.to, sent.to])
      .execute();
    expect(rows).toHaveLength(3);
  });
});
