import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/modules/notifications/delivery.ts';
import { startEmailDelivery } from '../../src/modules/notifications/email.delivery.ts';
import { TEMPLATE_DEFINITIONS } from '../../src/modules/notifications/email-templates.ts';
import { findActiveTemplate } from '../../src/modules/notifications/notifications.repo.ts';
import { renderTemplate } from '../../src/modules/notifications/notifications.rules.ts';
import { sendEmail, type Locale } from '../../src/modules/notifications/notify.ts';
import { mailgunSignature } from '../../src/platform/adapters/smtp/mailgun-webhook.ts';
import { MAILGUN_KEY, useEmailTestContext } from './email-context.ts';
import { auditEvents } from '../harness/audit.ts';
import { sleep, waitFor } from '../harness/wait.ts';

const { t, smtp } = await useEmailTestContext();
// The delivery loop every worker runs; retries wait for t.clock to pass their backoff.
let delivery: { stop(): Promise<void> } | undefined;
beforeAll(() => {
  delivery = startEmailDelivery(t.deps, { pollMs: 50 });
});
afterAll(() => delivery?.stop());

const CROATIAN = 'Šime Đurđević-Čačić, Žižić & <ćevapi>';

async function queue(
  template_key: string,
  to: string,
  locale: Locale,
  variables: Record<string, unknown>,
) {
  return t.deps.db
    .transaction()
    .execute((trx) => sendEmail(t.deps, trx, { template_key, to, locale, variables }));
}

const logOf = (id: string) =>
  t.deps.db.selectFrom('email_logs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const mailTo = (to: string) => smtp.received.filter((m) => m.envelopeTo.includes(to));

describe('transactional email over SMTP', () => {
  it('delivers every template in Croatian and English, rendered, escaped and intact', async () => {
    const sent: Array<{
      id: string;
      to: string;
      key: string;
      locale: Locale;
      vars: Record<string, string>;
    }> = [];
    for (const def of TEMPLATE_DEFINITIONS) {
      for (const locale of ['hr', 'en'] as const) {
        const to = `${def.key}.${locale}@example.hr`;
        const vars = Object.fromEntries(def.variables.map((v) => [v, `${CROATIAN} ${v}`]));
        sent.push({ id: await queue(def.key, to, locale, vars), to, key: def.key, locale, vars });
      }
    }
    expect(sent.length).toBeGreaterThanOrEqual(24);
    await waitFor(() => smtp.received.length >= sent.length, {
      timeoutMs: 30_000,
      what: 'all emails',
    });

    for (const s of sent) {
      const [mail] = mailTo(s.to);
      expect(mail, s.to).toBeDefined();
      const template = (await findActiveTemplate(t.deps.db, s.key, s.locale))!;
      const expected = renderTemplate(template, s.vars);
      const parsed = mail!.parsed;
      expect(parsed.subject).toBe(expected.subject);
      expect(parsed.from?.value).toEqual([{ name: 'HNS Ulaznice', address: 'ulaznice@hns.hr' }]);
      expect(parsed.text?.trim()).toBe(expected.text.trim());
      expect(String(parsed.html).trim()).toBe(expected.html.trim());
      // Croatian characters survive the trip; markup in values is escaped in HTML only.
      expect(parsed.subject).toContain('Đurđević-Čačić');
      expect(parsed.text).toContain(CROATIAN);
      expect(parsed.html).toContain('Šime Đurđević-Čačić, Žižić &amp; &lt;ćevapi&gt;');
      expect(parsed.html).not.toContain('<ćevapi>');
      if (s.locale === 'hr') expect(parsed.text).toMatch(/Hrvatski nogometni savez/);
      else expect(parsed.text).toMatch(/Croatian Football Federation/);

      const log = await logOf(s.id);
      expect(log).toMatchObject({
        status: 'SENT',
        attempts: 1,
        recipient_email: s.to,
        error_message: null,
      });
      expect(log.subject).toBe(expected.subject);
      expect(log.provider).toBe('smtp:127.0.0.1');
      expect(log.provider_message_id).toBe(parsed.messageId!.replace(/^<|>$/g, ''));
      expect(log.provider_message_id).toBe(`${s.id}@hns.hr`);
    }
    const hr = mailTo('order_confirmation.hr@example.hr')[0]!.parsed;
    expect(hr.text).toContain('Poštovani/a');
    expect(hr.text).toContain('je potvrđena i plaćena');
  });

  it('sends nothing for a rolled-back transaction', async () => {
    const to = `rollback-${randomUUID()}@example.hr`;
    await t.deps.db
      .transaction()
      .execute(async (trx) => {
        await sendEmail(t.deps, trx, {
          template_key: 'purchase_window_expired',
          to,
          variables: { customer_name: 'Ana', match_name: 'Hrvatska – Italija' },
        });
        throw new Error('payment declined');
      })
      .catch(() => {});
    const logs = await t.deps.db
      .selectFrom('email_logs')
      .select('id')
      .where('recipient_email', '=', to)
      .execute();
    expect(logs).toEqual([]);
    await sleep(500); // the loop polls every 50 ms
    expect(mailTo(to)).toEqual([]);
  });

  it('fails the log with a clear error for a missing variable or unknown template, without retrying', async () => {
    const missing = await queue('queue_turn', 'missing@example.hr', 'hr', {
      customer_name: 'Ivo',
      match_name: 'Hrvatska – Francuska',
    });
    const unknown = await queue('no_such_template', 'unknown@example.hr', 'en', {});
    await waitFor(
      async () =>
        (await logOf(missing)).status === 'FAILED' && (await logOf(unknown)).status === 'FAILED',
      {
        what: 'FAILED logs',
      },
    );
    expect((await logOf(missing)).error_message).toBe(
      'template "queue_turn" (hr): missing variable(s) purchase_url, window_minutes',
    );
    expect((await logOf(unknown)).error_message).toBe(
      'no active email template "no_such_template" for locale "en"',
    );
    // Out of the outbox at once: not retried, however long we wait.
    for (const id of [missing, unknown]) {
      expect(await logOf(id)).toMatchObject({ attempts: 0, next_attempt_at: null });
    }
    t.clock.advance(24 * 3_600_000);
    await sleep(300);
    expect((await logOf(missing)).attempts).toBe(0);
    expect(mailTo('missing@example.hr')).toEqual([]);
  });

  it('retries when the SMTP server refuses, gives up after EMAIL_MAX_ATTEMPTS, and recovers', async () => {
    smtp.reject = { code: 451, message: 'Temporary local problem, try later' };
    const doomed = await queue('purchase_window_expired', 'doomed@example.hr', 'hr', {
      customer_name: 'Marko',
      match_name: 'Hrvatska – Španjolska',
    });
    // Each failed attempt makes the row due again after the backoff (30 s, doubling).
    for (const attempt of [1, 2]) {
      await waitFor(async () => (await logOf(doomed)).attempts === attempt, {
        what: `attempt ${attempt}`,
      });
      const log = await logOf(doomed);
      expect(log).toMatchObject({ status: 'FAILED' });
      expect(log.next_attempt_at).toEqual(
        new Date(t.clock.now().getTime() + retryDelayMs(attempt)),
      );
      expect(retryDelayMs(attempt)).toBe(30_000 * 2 ** (attempt - 1));
      await sleep(200);
      expect((await logOf(doomed)).attempts).toBe(attempt); // not before its time
      t.clock.advance(retryDelayMs(attempt));
    }
    await waitFor(async () => (await logOf(doomed)).attempts === 3, { what: '3 attempts' });
    // Given up after EMAIL_MAX_ATTEMPTS: out of the outbox, not retried forever.
    t.clock.advance(24 * 3_600_000);
    await sleep(300);
    const gaveUp = await logOf(doomed);
    expect(gaveUp).toMatchObject({ status: 'FAILED', attempts: 3, next_attempt_at: null });
    expect(gaveUp.error_message).toMatch(/451/);

    const flaky = await queue('purchase_window_expired', 'flaky@example.hr', 'en', {
      customer_name: 'Marko',
      match_name: 'Croatia – Spain',
    });
    await waitFor(async () => (await logOf(flaky)).attempts >= 1, { what: 'first failed attempt' });
    expect((await logOf(flaky)).status).toBe('FAILED');
    smtp.reject = null;
    t.clock.advance(retryDelayMs(1));
    await waitFor(async () => (await logOf(flaky)).status === 'SENT', {
      timeoutMs: 30_000,
      what: 'recovery',
    });
    const recovered = await logOf(flaky);
    expect(recovered.attempts).toBeGreaterThanOrEqual(2);
    expect(recovered.error_message).toBeNull();
    expect(mailTo('flaky@example.hr')).toHaveLength(1);
    expect(mailTo('doomed@example.hr')).toEqual([]);
  });
});

describe('POST /webhooks/mailgun', () => {
  const signed = (
    event: Record<string, unknown>,
    opts: { key?: string; timestamp?: number; token?: string } = {},
  ) => {
    const timestamp = String(opts.timestamp ?? Math.floor(t.clock.now().getTime() / 1000));
    const token = opts.token ?? randomUUID().replaceAll('-', '');
    return {
      signature: {
        timestamp,
        token,
        signature: mailgunSignature(opts.key ?? MAILGUN_KEY, timestamp, token),
      },
      'event-data': event,
    };
  };

  async function sentLog(to: string) {
    const id = await queue('purchase_window_expired', to, 'hr', {
      customer_name: 'Ana',
      match_name: 'Hrvatska – Wales',
    });
    await waitFor(async () => (await logOf(id)).status === 'SENT', { what: 'sent' });
    return logOf(id);
  }

  it('moves logs to DELIVERED and BOUNCED on verified events', async () => {
    const delivered = await sentLog('delivered@example.hr');
    const res = await t.request({
      method: 'POST',
      url: '/webhooks/mailgun',
      payload: signed({
        event: 'delivered',
        recipient: 'delivered@example.hr',
        message: { headers: { 'message-id': delivered.provider_message_id } },
      }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', matched: true, updated: true });
    const after = await logOf(delivered.id);
    expect(after.status).toBe('DELIVERED');
    expect(after.delivered_at).not.toBeNull();

    const bounced = await sentLog('bounced@example.hr');
    const bounce = await t.request({
      method: 'POST',
      url: '/webhooks/mailgun',
      payload: signed({
        event: 'failed',
        severity: 'permanent',
        reason: 'bounce',
        'delivery-status': { code: 550, description: 'No such mailbox' },
        message: { headers: { 'message-id': `<${bounced.provider_message_id}>` } },
      }),
    });
    expect(bounce.json()).toEqual({ status: 'ok', matched: true, updated: true });
    expect(await logOf(bounced.id)).toMatchObject({
      status: 'BOUNCED',
      error_message: 'bounced: bounce 550 No such mailbox',
    });

    // A late `delivered` never un-bounces; a temporary failure changes nothing.
    for (const event of [
      { event: 'delivered', message: { headers: { 'message-id': bounced.provider_message_id } } },
      {
        event: 'failed',
        severity: 'temporary',
        message: { headers: { 'message-id': bounced.provider_message_id } },
      },
    ]) {
      const r = await t.request({
        method: 'POST',
        url: '/webhooks/mailgun',
        payload: signed(event),
      });
      expect(r.json()).toEqual({ status: 'ok', matched: true, updated: false });
    }
    expect((await logOf(bounced.id)).status).toBe('BOUNCED');
  });

  it('refuses bad signatures, replayed tokens and stale timestamps', async () => {
    const event = { event: 'delivered', message: { headers: { 'message-id': 'x@hns.hr' } } };
    const bad = await t.request({
      method: 'POST',
      url: '/webhooks/mailgun',
      payload: signed(event, { key: 'wrong' }),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);

    const once = signed(event);
    expect(
      (await t.request({ method: 'POST', url: '/webhooks/mailgun', payload: once })).statusCode,
    ).toBe(200);
    const replay = await t.request({ method: 'POST', url: '/webhooks/mailgun', payload: once });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().detail).toMatch(/already used/);

    const stale = signed(event, { timestamp: Math.floor(t.clock.now().getTime() / 1000) - 3600 });
    const old = await t.request({ method: 'POST', url: '/webhooks/mailgun', payload: stale });
    expect(old.statusCode).toBe(400);
    expect(old.json().detail).toMatch(/timestamp/);
  });
});

describe('admin email templates', () => {
  it('lists, reads and edits templates; edits may use only declared variables', async () => {
    const admin = await t.token(randomUUID(), ['SUPER_ADMIN']);
    expect((await t.request({ method: 'GET', url: '/admin/email-templates' })).statusCode).toBe(
      401,
    );
    const fan = await t.token(randomUUID(), ['FAN']);
    expect(
      (await t.request({ method: 'GET', url: '/admin/email-templates', token: fan })).statusCode,
    ).toBe(403);

    const list = await t.request({
      method: 'GET',
      url: '/admin/email-templates?limit=5&page=2',
      token: admin,
    });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({
      page: 2,
      limit: 5,
      total: TEMPLATE_DEFINITIONS.length * 2,
    });
    expect(list.json().items).toHaveLength(5);

    const filtered = await t.request({
      method: 'GET',
      url: '/admin/email-templates?template_key=queue_turn&locale=hr',
      token: admin,
    });
    const [template] = filtered.json().items;
    expect(template).toMatchObject({ template_key: 'queue_turn', locale: 'hr' });
    expect(template.variables).toEqual([
      'customer_name',
      'match_name',
      'purchase_url',
      'window_minutes',
    ]);

    const one = await t.request({
      method: 'GET',
      url: `/admin/email-templates/${template.id}`,
      token: admin,
    });
    expect(one.json()).toEqual(template);
    const missing = await t.request({
      method: 'GET',
      url: `/admin/email-templates/${randomUUID()}`,
      token: admin,
    });
    expect(missing.statusCode).toBe(404);

    const invalid = await t.request({
      method: 'PUT',
      url: `/admin/email-templates/${template.id}`,
      token: admin,
      payload: {
        subject: 'Na redu ste, {{customer_name}} – {{seat_number}}',
        body_text: 'Bok {{ customer_name }',
      },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(invalid.json().errors).toEqual([
      { field: 'body.subject', message: expect.stringContaining('seat_number') },
      { field: 'body.body_text', message: expect.stringContaining('malformed placeholder') },
    ]);

    const subject = 'Vaš je red, {{ customer_name }}: {{match_name}}';
    const ok = await t.request({
      method: 'PUT',
      url: `/admin/email-templates/${template.id}`,
      token: admin,
      payload: { subject },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ id: template.id, subject, body_html: template.body_html });

    const audit = await auditEvents(t.deps.db, template.id);
    expect(audit.map((e) => [e.action, e.changes?.fields])).toEqual([
      ['email_template_updated', ['subject']],
    ]);

    // The next email uses the edited text.
    const id = await queue('queue_turn', 'edited@example.hr', 'hr', {
      customer_name: 'Luka',
      match_name: 'Hrvatska – Brazil',
      purchase_url: 'https://ulaznice.hns.hr/kupnja?m=1&q=2',
      window_minutes: 10,
    });
    await waitFor(async () => (await logOf(id)).status === 'SENT', { what: 'sent' });
    const mail = mailTo('edited@example.hr')[0]!.parsed;
    expect(mail.subject).toBe('Vaš je red, Luka: Hrvatska – Brazil');
    expect(mail.html).toContain('href="https://ulaznice.hns.hr/kupnja?m=1&amp;q=2"');
  });
});
