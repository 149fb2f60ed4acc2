import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Credentials and personal identifiers are censored wherever they
 * appear in a logged object (request bodies are never logged whole, but a careless
 * `log.info({ profile })` must still not leak an OIB or passport number).
 */
const SENSITIVE_KEYS = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'token',
  'access_token',
  'refresh_token',
  'drupal_token',
  'client_secret',
  'oib',
  'passport_number',
  'passport',
  'new_holder_oib',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
  ...SENSITIVE_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { app: 'hns-ticketing' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
