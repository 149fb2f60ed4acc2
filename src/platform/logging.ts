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

/**
 * An OIB (11 digits) in a logged URL, e.g. a query string (`/internal/blacklist/check?oib=`),
 * is censored: the access log line of every request carries its URL.
 */
export const redactUrl = (url: string) => url.replace(/\d{11}/g, '[redacted]');

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  hostname?: string;
  ip?: string;
  socket?: { remoteAddress?: string; remotePort?: number };
}

/** Fastify's request serializer (method, url, host, address) with the URL censored. */
function requestSerializer(req: LoggedRequest) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    host: req.host ?? req.hostname,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      serializers: { req: requestSerializer },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { app: 'hns-ticketing' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
