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

/** Query parameters that carry a credential (a report's emailed download link, E14-F1). */
const SENSITIVE_QUERY = /([?&](?:token|access_token|refresh_token)=)[^&#]*/gi;

/**
 * A logged URL with its credentials censored (a signed link is one until it expires) and
 * any OIB (11 digits, e.g. `/internal/blacklist/check?oib=`): the access log line of every
 * request carries its URL.
 */
export const maskUrl = (url: unknown) =>
  typeof url === 'string'
    ? url.replace(SENSITIVE_QUERY, '$1[redacted]').replace(/\d{11}/g, '[redacted]')
    : url;

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  hostname?: string;
  ip?: string;
  socket?: { remoteAddress?: string; remotePort?: number };
}

/** Fastify's request serializer (it takes ours over its own) with the URL censored. */
const serializers = {
  req: (req: LoggedRequest) => ({
    method: req.method,
    url: maskUrl(req.url),
    host: req.host ?? req.hostname,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  }),
};

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers,
      base: { app: 'hns-ticketing' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
