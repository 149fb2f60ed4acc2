import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/**
 * A real SMTP server (smtp-server) for tests and benchmarks: every accepted message is
 * parsed with mailparser. `reject` makes it refuse messages (after DATA, as a relay does
 * when it has trouble) with the given code until set back to null; `refuseRecipients`
 * refuses chosen addresses at RCPT TO (as a relay does for a mailbox it cannot take now),
 * so one message of many sent at once fails whatever the order they arrive in.
 */
export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  parsed: ParsedMail;
}

export interface LocalSmtp {
  url: string;
  port: number;
  received: ReceivedMail[];
  /** Count of messages refused because of `reject`. */
  rejected: number;
  reject: { code: number; message: string } | null;
  /** Addresses refused at RCPT TO with this reply, `times` more times (then removed). */
  refuseRecipients: Map<string, { code: number; message: string; times: number }>;
  /** Addresses refused because of `refuseRecipients`, in order. */
  refused: string[];
  /** Skip parsing (benchmarks): only count messages. */
  parse: boolean;
  /** Messages accepted (parsed or not). */
  accepted: number;
  close(): Promise<void>;
}

export async function startLocalSmtp(options: { parse?: boolean } = {}): Promise<LocalSmtp> {
  const state: LocalSmtp = {
    url: '',
    port: 0,
    received: [],
    rejected: 0,
    reject: null,
    refuseRecipients: new Map(),
    refused: [],
    parse: options.parse ?? true,
    accepted: 0,
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 200,
    size: 10 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      const refusal = state.refuseRecipients.get(address.address);
      if (!refusal) {
        callback();
        return;
      }
      if (--refusal.times <= 0) state.refuseRecipients.delete(address.address);
      state.refused.push(address.address);
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (state.reject) {
          state.rejected++;
          const err = Object.assign(new Error(state.reject.message), {
            responseCode: state.reject.code,
          });
          callback(err);
          return;
        }
        state.accepted++;
        const from = session.envelope.mailFrom;
        const envelope = {
          envelopeFrom: from ? (from as SMTPServerAddress).address : '',
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
        };
        if (!state.parse) {
          callback();
          return;
        }
        simpleParser(Buffer.concat(chunks)).then(
          (parsed) => {
            state.received.push({ ...envelope, parsed });
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  state.port = (server.server.address() as AddressInfo).port;
  state.url = `smtp://127.0.0.1:${state.port}`;
  // A client that vanishes mid-session (a worker killed by a benchmark) resets its
  // connection: that is the client's problem, not a reason for this server to crash.
  server.on('error', () => undefined);
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
