/**
 * Outgoing email over SMTP with nodemailer: Mailgun's SMTP relay in production
 * (smtps://postmaster%40mg.example:password@smtp.eu.mailgun.org:465), maildev/Mailpit in
 * development. Connections are pooled. We set the Message-ID ourselves so delivery
 * webhooks (which carry it) can be matched to the log row without parsing SMTP replies.
 */
import nodemailer from 'nodemailer';

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Without angle brackets: `<local>@<domain>` is built from it. */
  messageId: string;
  /** MIME parts beside the text and HTML bodies (a PDF ticket). */
  attachments?: ReadonlyArray<{ filename: string; contentType: string; content: Buffer }>;
}

export interface SentEmail {
  /** Message-ID without angle brackets. */
  messageId: string;
  /** The server's final reply, e.g. `250 Great success`. */
  response: string;
}

export interface Mailer {
  /** Provider name stored in email_logs: `mailgun` for Mailgun's relay, else the SMTP host. */
  readonly provider: string;
  send(email: OutgoingEmail): Promise<SentEmail>;
  close(): void;
}

export interface MailerOptions {
  url: string;
  from: string;
  poolMax?: number;
}

export function providerOf(url: string): string {
  const host = new URL(url).hostname;
  return host.endsWith('mailgun.org') ? 'mailgun' : `smtp:${host}`;
}

export function createMailer(options: MailerOptions): Mailer {
  const transport = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.poolMax ?? 5,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    provider: providerOf(options.url),
    async send(email) {
      const info = await transport.sendMail({
        from: options.from,
        to: email.to,
        subject: email.subject,
        html: email.html,
        text: email.text,
        messageId: `<${email.messageId}>`,
        ...(email.attachments?.length
          ? {
              attachments: email.attachments.map((a) => ({
                filename: a.filename,
                contentType: a.contentType,
                content: a.content,
              })),
            }
          : {}),
      });
      return {
        messageId: String(info.messageId ?? email.messageId).replace(/^<|>$/g, ''),
        response: String(info.response ?? ''),
      };
    },
    close: () => transport.close(),
  };
}

/** The domain for our Message-IDs: the sender's domain. */
export function messageIdDomain(from: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'hns-ticketing.local';
}
