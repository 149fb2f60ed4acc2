import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecordedAuditEvent } from '../../src/modules/audit/audit.service.ts';
import { startAuditShipper } from '../../src/modules/audit/audit.shipper.ts';
import { emailTemplatesSeed } from '../../src/modules/notifications/email-templates.ts';
import { startEmailDelivery } from '../../src/modules/notifications/email.delivery.ts';
import { useTestContext } from '../harness/context.ts';
import { startLocalLoki } from '../harness/servers/loki.ts';
import { startLocalSmtp } from '../harness/servers/smtp.ts';
import { waitFor } from '../harness/wait.ts';

const smtp = await startLocalSmtp();
const loki = await startLocalLoki();
const t = useTestContext({
  env: { SMTP_URL: smtp.url, LOKI_URL: loki.url },
  seeds: [emailTemplatesSeed],
});
afterAll(async () => {
  await smtp.close();
  await loki.close();
});

describe('outbox survives the death of the enqueuing process', () => {
  it('delivers the email and the audit event a killed process committed', async () => {
    const marker = `crash-${randomUUID()}`;
    const script = path.join(import.meta.dirname, 'fixtures/enqueue-and-die.ts');
    const child = spawn(process.execPath, [script, t.databaseUrl, marker], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, sig) => resolve(sig)),
    );
    expect(signal).toBe('SIGKILL');
    expect(out).toContain('committed');

    // Nothing was delivered by the dead process: a worker started now does it.
    expect(smtp.received).toEqual([]);
    // The child wrote its email due at its wall-clock time; the worker's clock is past it.
    t.clock.set(new Date(Date.now() + 1_000));
    const delivery = startEmailDelivery(t.deps, { pollMs: 100 });
    const shipper = startAuditShipper(t.deps, { pollMs: 100 });
    try {
      await waitFor(
        () =>
          smtp.received.some((m) => m.envelopeTo.includes(`${marker}@example.hr`)) &&
          loki.lines<RecordedAuditEvent>().some((l) => l.subject.id === marker),
        { what: 'email and audit event of the killed process' },
      );
    } finally {
      await Promise.all([delivery.stop(), shipper.stop()]);
    }
    const mail = smtp.received.find((m) => m.envelopeTo.includes(`${marker}@example.hr`))!;
    expect(mail.parsed.subject).toBe('Isteklo je vrijeme za kupnju – Hrvatska – Italija');
    const log = await t.deps.db
      .selectFrom('email_logs')
      .selectAll()
      .where('recipient_email', '=', `${marker}@example.hr`)
      .executeTakeFirstOrThrow();
    expect(log.status).toBe('SENT');
  });
});
