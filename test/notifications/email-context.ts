import { afterAll } from 'vitest';
import { emailTemplatesSeed } from '../../src/modules/notifications/email-templates.ts';
import { useTestContext } from '../harness/context.ts';
import { startLocalSmtp } from '../harness/servers/smtp.ts';

export const MAILGUN_KEY = 'mailgun-test-signing-key';

/**
 * This file's test context with a local SMTP server (closed after the file), the email
 * templates, 3 attempts per email and a Mailgun webhook signing key.
 */
export async function useEmailTestContext() {
  const smtp = await startLocalSmtp();
  const t = useTestContext({
    env: {
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'HNS Ulaznice <ulaznice@hns.hr>',
      EMAIL_MAX_ATTEMPTS: '3',
      MAILGUN_WEBHOOK_SIGNING_KEY: MAILGUN_KEY,
    },
    seeds: [emailTemplatesSeed],
  });
  afterAll(() => smtp.close());
  return { t, smtp };
}
