import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { Job } from 'pg-boss';
import { describe, expect, it } from 'vitest';
import { fetchedJob } from '../harness/jobs.ts';
import { statementsOf } from '../harness/statements.ts';
import { emailJob } from '../../src/modules/notifications/email.jobs.ts';
import {
  findActiveTemplate,
  insertEmailLog,
  type EmailLogRow,
} from '../../src/modules/notifications/notifications.repo.ts';
import { renderTemplate } from '../../src/modules/notifications/notifications.rules.ts';
import {
  EMAIL_QUEUE,
  sendEmail,
  type EmailJob,
  type EmailRequest,
  type Locale,
} from '../../src/modules/notifications/notify.ts';
import { mailgunSignature } from '../../src/platform/adapters/smtp/mailgun-webhook.ts';
import { MAILGUN_KEY, useEmailTestContext } from './email-context.ts';
import { fastRetry } from '../harness/fast-retry.ts';
import { waitFor } from '../harness/wait.ts';

/**
 * The email worker handles a fetched batch set-based (email.jobs.ts deliverEmails):
 * these tests check that a mixed batch leaves each email_logs row exactly as handling the
 * jobs one by one did, that an SMTP refusal retries its job alone, and that the statements
 * per batch do not grow with the batch size.
 */
const { t, smtp } = await useEmailTestContext();

/** Runs `hook` just before the first statement matching `pattern` that pg sends during `fn`. */
async function hookBefore<T>(
  pattern: RegExp,
  hook: () => Promise<void>,
  fn: () => Promise<T>,
): Promise<T> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const real = proto.query;
  let fired = false;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0] as string | { text: string };
    if (fired || !pattern.test((typeof q === 'string' ? q : q.text).trim())) {
      return real.apply(this, args);
    }
    fired = true;
    return hook().then(() => real.apply(this, args));
  };
  try {
    return await fn();
  } finally {
    proto.query = real;
  }
}

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
 * What a job of the batch is: sent normally; its log already SENT; an unknown template; a
 * missing variable; refused once by the SMTP server (retried); refused with its last
 * attempt (given up); queued before logs were written with jobs (no email_log_id).
 */
type Kind = 'normal' | 'sent' | 'unknown' | 'missing' | 'refused' | 'doomed' | 'legacy';

interface Case {
  kind: Kind;
  job: Job<EmailJob>;
  /** The job's email_logs id (a legacy job's row takes the job id). */
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

/** A fetched email job. */
const asJob = (data: EmailJob, id?: string) => fetchedJob(EMAIL_QUEUE, data, id);

/** `normals` plain emails and one of each other kind, in a mixed order. */
async function mixedBatch(normals: number): Promise<Case[]> {
  const tag = randomUUID().slice(0, 8);
  const kinds: Kind[] = Array.from({ length: normals }, () => 'normal');
  for (const [i, kind] of (
    ['sent', 'unknown', 'missing', 'refused', 'doomed', 'legacy'] as const
  ).entries()) {
    kinds.splice(Math.min(1 + i * 2, kinds.length), 0, kind);
  }
  const cases: Case[] = [];
  for (const [n, kind] of kinds.entries()) {
    const request = requestOf(kind, `${kind}-${n}-${tag}@example.hr`, n);
    if (kind === 'legacy') {
      const job = asJob(request);
      cases.push({ kind, job, logId: job.id });
      continue;
    }
    const logId = await insertEmailLog(t.deps.db, {
      template_key: request.template_key,
      locale: request.locale,
      recipient_email: request.to,
      variables_json: request.variables,
    });
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
    cases.push({ kind, job: asJob({ ...request, email_log_id: logId }), logId });
  }
  return cases;
}

const logOf = (id: string) =>
  t.deps.db.selectFrom('email_logs').selectAll().where('id', '=', id).executeTakeFirst();
const mailsTo = (to: string) => smtp.received.filter((m) => m.envelopeTo.includes(to));

/** Checks the row a job left and the mail it sent; `sends` is how many attempts the refused one made. */
async function expectCase(c: Case, sends = 1) {
  const request = c.job.data;
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
    case 'legacy':
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
      });
      expect(mails).toEqual([]);
      break;
    case 'unknown':
      expect(log).toMatchObject({
        status: 'FAILED',
        attempts: 0,
        subject: null,
        provider: null,
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
      });
      expect(log.error_message).toMatch(/451 4\.2\.1 Mailbox busy/);
      expect(mails).toEqual([]);
      break;
  }
}

const emailLogCount = async () =>
  Number(
    (
      await t.deps.db
        .selectFrom('email_logs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('email delivery per fetched batch', () => {
  it('gives every job of a mixed batch its log row and outcome, in a fixed number of statements', async () => {
    const def = emailJob(t.deps);
    const statementsFor = async (normals: number) => {
      const cases = await mixedBatch(normals);
      const jobs = cases.map((c) => c.job);
      const received = smtp.received.length;
      const { result: outcomes, sql: statements } = await statementsOf(() =>
        def.batchHandler!(jobs),
      );

      // Only the job the SMTP server refused with attempts left fails, to be retried.
      expect(outcomes.size).toBe(jobs.length);
      const failed = cases.filter((c) => outcomes.get(c.job.id) !== undefined);
      expect(failed.map((c) => c.kind)).toEqual(['refused']);
      expect(outcomes.get(failed[0]!.job.id)!.message).toMatch(/451/);
      for (const c of cases) await expectCase(c);
      expect(smtp.received.length - received).toBe(normals + 1); // + the legacy job's

      // The failed job retried alone sends its email; the log counts the second attempt.
      const retry = await def.batchHandler!([failed[0]!.job]);
      expect(retry.get(failed[0]!.job.id)).toBeUndefined();
      await expectCase(failed[0]!, 2);

      // The batch delivered again sends nothing and adds no row (the given-up job completed:
      // pg-boss does not deliver it again).
      const rows = await emailLogCount();
      const again = smtp.received.length;
      const refused = smtp.refused.length;
      const rerun = await def.batchHandler!(
        cases.filter((c) => c.kind !== 'doomed').map((c) => c.job),
      );
      expect([...rerun.values()].every((e) => e === undefined)).toBe(true);
      expect(smtp.received.length).toBe(again);
      expect(smtp.refused.length).toBe(refused);
      expect(await emailLogCount()).toBe(rows);
      for (const c of cases) await expectCase(c, 2);
      return statements.map((s) => s.replace(/\s+/g, ' '));
    };

    const small = await statementsFor(4);
    const large = await statementsFor(300);
    // insert legacy logs, select logs, select templates, update logs
    expect(small).toHaveLength(4);
    expect(large).toHaveLength(small.length);
    expect(small.filter((s) => /^insert into email_logs/i.test(s))).toHaveLength(1);
    expect(small.filter((s) => /^select .* from "email_logs"/i.test(s))).toHaveLength(1);
    expect(small.filter((s) => /^select .* from "email_templates"/i.test(s))).toHaveLength(1);
    expect(small.filter((s) => /^update email_logs/i.test(s))).toHaveLength(1);
  });

  it('through pg-boss: each job settles on its own and only the refused one is retried', async () => {
    const tag = randomUUID().slice(0, 8);
    const kinds: Kind[] = [
      ...Array.from({ length: 20 }, () => 'normal' as const),
      'unknown',
      'missing',
      'refused',
      'legacy',
    ];
    const requests = kinds.map((kind, n) => ({
      kind,
      request: requestOf(kind, `${kind}-${n}-${tag}@example.hr`, n),
    }));
    smtp.refuseRecipients.set(requests.find((r) => r.kind === 'refused')!.request.to, {
      ...REFUSAL,
      times: 1,
    });
    await t.startWorker(fastRetry([emailJob(t.deps)]));
    // One transaction: the worker sees all the jobs at once and fetches them as one batch.
    const logIds = await t.deps.db.transaction().execute(async (trx) => {
      const ids = new Map<string, string>();
      for (const { kind, request } of requests) {
        if (kind === 'legacy') await t.deps.jobs.enqueue(trx, EMAIL_QUEUE, request);
        else ids.set(request.to, await sendEmail(t.deps, trx, request));
      }
      return ids;
    });

    const jobsOf = async () =>
      (
        await sql<{ id: string; data: EmailJob; state: string; retry_count: number }>`
          SELECT id, data, state, retry_count
            FROM ${sql.table(`${t.config.JOBS_SCHEMA}.job`)}
           WHERE name = ${EMAIL_QUEUE}
             AND data->>'to' = ANY(${sql.val(requests.map((r) => r.request.to))}::text[])`.execute(
          t.deps.db,
        )
      ).rows;
    await waitFor(
      async () => {
        const rows = await jobsOf();
        return rows.length === requests.length && rows.every((r) => r.state === 'completed');
      },
      { timeoutMs: 20_000, what: 'all email jobs completed' },
    );
    for (const row of await jobsOf()) {
      const { kind } = requests.find((r) => r.request.to === row.data.to)!;
      expect(row.retry_count, kind).toBe(kind === 'refused' ? 1 : 0);
      const logId = kind === 'legacy' ? row.id : logIds.get(row.data.to)!;
      expect(row.data.email_log_id).toBe(kind === 'legacy' ? undefined : logId);
      await expectCase({ kind, job: { ...asJob(row.data), id: row.id }, logId }, 2);
    }
    // The refused recipient was tried twice, and got its email once.
    const refusedTo = requests.find((r) => r.kind === 'refused')!.request.to;
    expect(smtp.refused.filter((to) => to === refusedTo)).toHaveLength(1);
  });

  it('keeps a Mailgun event that arrives between the send and the write of its batch', async () => {
    const def = emailJob(t.deps);
    const tag = randomUUID().slice(0, 8);
    const cases: Case[] = [];
    for (const [n, name] of ['delivered', 'bounced', 'plain'].entries()) {
      const request = requestOf('normal', `${name}-${tag}@example.hr`, n);
      const logId = await insertEmailLog(t.deps.db, {
        template_key: request.template_key,
        locale: request.locale,
        recipient_email: request.to,
        variables_json: request.variables,
      });
      cases.push({ kind: 'normal', job: asJob({ ...request, email_log_id: logId }), logId });
    }
    const [delivered, bounced, plain] = cases as [Case, Case, Case];
    const events: Array<{ status: string; matched: boolean; updated: boolean }> = [];
    const outcomes = await hookBefore(
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
      () => def.batchHandler!(cases.map((c) => c.job)),
    );
    expect([...outcomes.values()]).toEqual([undefined, undefined, undefined]);
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
});
