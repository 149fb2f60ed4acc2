import { z } from 'zod';
import { ROLES, type Role } from './platform/auth/roles.ts';
import { createPiiCipher, parsePiiKeys } from './platform/crypto.ts';

/**
 * The whole environment, parsed by one schema. Every variable is listed in `.env.example`
 * and `docs/operations.md`. Development defaults let `npm start` run with no variables at
 * all; production refuses to start without the secrets (see `productionRequired`).
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

// A fixed development secret: fine for a laptop, refused in production below.
const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-0123456789abcdef';
// Fixed development PII keys (identity): refused in production below.
const DEV_PII_KEYS = 'dev0:Z12AeURlYzLXJ8JVfzD6fYoPRCD/PovyCYFXgOjlf3Y=';
const DEV_PII_BLIND_INDEX_KEY = 'UrbClhrJRkeJrlrnHVhMhQD8kpOT2D7rF0k+oh7uGMk=';
// Development Stripe and ticket signing secrets (payments, tickets): refused in production.
export const DEV_STRIPE_API_KEY = 'sk_test_development';
// Development e-računi credentials (invoicing): the local server's; refused in production.
export const DEV_ERACUNI_CREDENTIALS = {
  username: 'hns-dev',
  password: 'development',
  token: 'DEVELOPMENTTOKEN0000000000000000',
};
const DEV_STRIPE_WEBHOOK_SECRET = 'whsec_development';
const DEV_TICKET_SIGNING_KEYS = 'dev0:Z5DUCHddgywxFixEJw3ggRxZA1cS6lz9qSRG/ls52rg=';

// "drupal_role:APP_ROLE,…" → { drupal_role: 'APP_ROLE' } (identity: Drupal roles to ours).
const roleMap = z.string().transform((v, ctx) => {
  const map: Record<string, Role> = {};
  for (const entry of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = entry.lastIndexOf(':');
    const role = entry.slice(at + 1);
    if (at <= 0 || !(ROLES as readonly string[]).includes(role)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is not "<drupal role>:<${ROLES.join('|')}>"`,
      });
      return z.NEVER;
    }
    map[entry.slice(0, at)] = role as Role;
  }
  return map;
});

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: port.default(3000),
    // Connections the kernel queues before the process accepts them. On-sale opens tens of
    // thousands of connections (and queue WebSockets) within seconds: Node's default of 511
    // overflowed and connections were reset (TcpExtListenOverflows). Linux caps it at
    // net.core.somaxconn.
    HTTP_LISTEN_BACKLOG: positiveInt.default(4096),
    // How long a process may reuse a match's sale facts (phases, zones, fees) before reading
    // them again (sales/sale-facts.ts): the bound on how late an admin edit reaches the sale.
    // 0 reads them on every request.
    SALE_FACTS_TTL_MS: z.coerce.number().int().min(0).default(1_000),
    // A staff refund above this many cents waits for a second SUPER_ADMIN's approval
    // (E8-F3, sales/refunds.service.ts). Default 200 EUR: more than four regular tickets.
    REFUND_APPROVAL_THRESHOLD: z.coerce.number().int().min(0).default(20_000),
    PUBLIC_BASE_URL: z.url().default('http://localhost:3000'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    DATA_DIR: z.string().min(1).default('./.data'),
    // Where generated and uploaded files live (report exports, away-match PDFs): a local
    // directory, on a volume every API and worker process mounts. Default DATA_DIR/files.
    FILE_STORE_DIR: z.string().min(1).optional(),

    DATABASE_URL: z.url().optional(),
    DATABASE_POOL_MAX: positiveInt.default(20),
    DATABASE_CONNECT_TIMEOUT_MS: positiveInt.default(10_000),
    // Reports (reports module) read here when set: a streaming replica, so a million-row
    // export never competes with the sale on the primary. Unset: the primary.
    DATABASE_REPLICA_URL: z.url().optional(),
    DATABASE_REPLICA_POOL_MAX: positiveInt.default(5),
    // How long the signed download link of a finished report export stays valid.
    REPORT_DOWNLOAD_TTL_SECONDS: positiveInt.default(24 * 60 * 60),
    // How often the live match dashboard recomputes its figures (one computation per match
    // and interval across all API instances, whatever the number of watchers).
    DASHBOARD_INTERVAL_MS: z.coerce.number().int().min(100).default(1_000),
    EMBEDDED_PG_PORT: port.default(54329),

    REDIS_URL: z.url().optional(),
    REDIS_KEY_PREFIX: z.string().default('hns:'),
    EMBEDDED_REDIS_PORT: port.default(6380),

    CORS_ORIGINS: csv.default([]),
    BODY_LIMIT_BYTES: positiveInt.default(1_048_576),
    // Match day (access-control module): the extra codes an export reserves beyond the
    // tickets for late changes (E2-F8, about 1,000), and the limits of a closure's
    // attendance upload (E2-F9; a Poljud match scans ~34,000 rows, ~1 MB as CSV).
    ACCESS_CONTROL_EXTRA_CODES: z.coerce.number().int().min(0).max(20_000).default(1_000),
    ATTENDANCE_FILE_MAX_BYTES: positiveInt.default(10_485_760),
    ATTENDANCE_FILE_MAX_ROWS: positiveInt.default(100_000),
    RATE_LIMIT_MAX: positiveInt.default(300),
    RATE_LIMIT_WINDOW_MS: positiveInt.default(60_000),
    // How often an instance writes the rate-limit increments it counted in memory (requests
    // far below the limit skip Redis; see src/platform/http/rate-limit-store.ts).
    RATE_LIMIT_FLUSH_MS: positiveInt.default(250),
    TRUST_PROXY: bool.default(false),
    // The on-sale bench's per-route cost account (src/platform/http/cost-account.ts) and its
    // GET /health/costs: never on in production traffic.
    BENCH_COST_ACCOUNT: bool.default(false),
    SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),

    JWT_SECRETS: csv
      .default([DEV_JWT_SECRET])
      .refine((keys) => keys.length > 0 && keys.every((k) => k.length >= 32), {
        message: 'each secret must be at least 32 characters',
      }),
    JWT_ISSUER: z.string().min(1).default('hns-ticketing'),
    JWT_AUDIENCE: z.string().min(1).default('hns-ticketing-api'),
    ACCESS_TOKEN_TTL_SECONDS: positiveInt.default(15 * 60),
    REFRESH_TOKEN_TTL_SECONDS: positiveInt.default(7 * 24 * 60 * 60),

    // Drupal SSO (identity): userinfo endpoint, or local JWT validation via JWKS.
    DRUPAL_USERINFO_URL: z.url().optional(),
    DRUPAL_JWKS_URL: z.url().optional(),
    DRUPAL_ISSUER: z.string().min(1).optional(),
    DRUPAL_AUDIENCE: z.string().min(1).optional(),
    DRUPAL_TIMEOUT_MS: positiveInt.default(3_000),
    DRUPAL_ROLE_MAP: roleMap.default({}),
    DEV_OIDC_PORT: port.default(3099),

    // PII at rest (src/platform/crypto.ts): "id:<base64 32 bytes>,…", first encrypts.
    PII_KEYS: z
      .string()
      .default(DEV_PII_KEYS)
      .refine(
        (v) => {
          try {
            createPiiCipher({ ...parsePiiKeys(v), blindIndexKey: DEV_PII_BLIND_INDEX_KEY });
            return true;
          } catch {
            return false;
          }
        },
        { message: 'must be "<id>:<base64 of 32 bytes>", comma-separated, first is active' },
      ),
    PII_BLIND_INDEX_KEY: z
      .string()
      .default(DEV_PII_BLIND_INDEX_KEY)
      .refine((v) => Buffer.from(v, 'base64').length >= 32, {
        message: 'must be base64 of at least 32 bytes',
      }),

    JOBS_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/)
      .default('pgboss'),
    WORKER_CONCURRENCY: positiveInt.default(4),

    // Waiting room (queue module): defaults for a match without its own settings, how long
    // before a sale the line opens, and how often the admission worker runs a round.
    QUEUE_ADMISSION_RATE_PER_MINUTE: positiveInt.default(600),
    QUEUE_MAX_ACTIVE_BUYERS: positiveInt.default(3_000),
    QUEUE_PRE_QUEUE_MINUTES: z.coerce.number().int().min(0).default(30),
    QUEUE_TICK_MS: z.coerce.number().int().min(200).default(2_000),
    // An admitted fan who holds no cart or open order this long after admission stops
    // counting against max_active_buyers (they keep their window).
    QUEUE_IDLE_SLOT_MS: positiveInt.default(300_000),

    // Email (notifications): SMTP (Mailgun's SMTP in production; `npm start` runs maildev
    // in development when unset), Mailgun webhooks, retry policy.
    SMTP_URL: z.url().optional(),
    SMTP_POOL_MAX: positiveInt.default(5),
    EMAIL_FROM: z.string().min(3).default('HNS Ulaznice <ulaznice@hns.hr>'),
    EMAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
    MAILGUN_WEBHOOK_SIGNING_KEY: z.string().min(1).optional(),
    MAILDEV_SMTP_PORT: port.default(1025),
    MAILDEV_WEB_PORT: port.default(1080),

    // Push (notifications): Firebase Cloud Messaging HTTP v1 with a service account.
    FCM_PROJECT_ID: z.string().min(1).optional(),
    FCM_SERVICE_ACCOUNT_JSON: z.string().min(1).optional(),
    FCM_BASE_URL: z.url().default('https://fcm.googleapis.com'),
    FCM_TOKEN_URL: z.url().optional(),
    PUSH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),

    // Audit trail (audit): Grafana Loki push API.
    LOKI_URL: z.url().optional(),
    LOKI_USERNAME: z.string().min(1).optional(),
    LOKI_PASSWORD: z.string().min(1).optional(),
    LOKI_TENANT_ID: z.string().min(1).optional(),
    LOKI_ENV_LABEL: z.string().min(1).optional(),
    LOKI_TIMEOUT_MS: positiveInt.default(5_000),

    // Payments (payments): Stripe (E8-F1). STRIPE_API_BASE points the official SDK at another
    // host; tests use a local server speaking Stripe's REST API.
    STRIPE_API_KEY: z.string().min(1).default(DEV_STRIPE_API_KEY),
    STRIPE_WEBHOOK_SECRET: z.string().min(1).default(DEV_STRIPE_WEBHOOK_SECRET),
    STRIPE_API_BASE: z.url().default('https://api.stripe.com'),
    // Outside production with no STRIPE_API_KEY, `npm start` runs a local Stripe-protocol
    // server here (src/platform/adapters/stripe/dev-stripe.ts).
    DEV_STRIPE_PORT: port.default(12111),
    // Invoicing (invoicing): e-računi's JSON API (E8-F5), e.g.
    // https://e-racuni.com/WebServicesHR/API. Unset outside production, `npm start` runs a
    // local e-računi-protocol server on DEV_ERACUNI_PORT (adapters/eracuni/dev-eracuni.ts);
    // unset elsewhere, invoice requests wait in their outbox.
    ERACUNI_URL: z.url().optional(),
    ERACUNI_USERNAME: z.string().min(1).default(DEV_ERACUNI_CREDENTIALS.username),
    ERACUNI_PW: z.string().min(1).default(DEV_ERACUNI_CREDENTIALS.password),
    ERACUNI_TOKEN: z.string().min(1).default(DEV_ERACUNI_CREDENTIALS.token),
    ERACUNI_TIMEOUT_MS: positiveInt.default(10_000),
    ERACUNI_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    // e-računi allows 4 requests in 4 s per company: each process starts at most this many
    // calls per ERACUNI_WINDOW_MS (with several workers, give each its share).
    ERACUNI_CALLS_PER_WINDOW: positiveInt.default(4),
    ERACUNI_WINDOW_MS: positiveInt.default(4_000),
    // First retry of a failed document request and first status poll; both double per
    // attempt (at most an hour / 10 minutes).
    ERACUNI_RETRY_MS: positiveInt.default(30_000),
    ERACUNI_POLL_MS: positiveInt.default(2_000),
    DEV_ERACUNI_PORT: port.default(12112),
    // Where the daily overdue job tells finance about overdue payment offers (E8-F4):
    // comma-separated addresses (a shared finance mailbox). Unset: every active user
    // holding the FINANCE role.
    FINANCE_EMAIL: csv.pipe(z.array(z.email())).optional(),
    // The demo sale (matches/demo-sale.seed.ts): unset, seeded when the database has no
    // match yet; true, whenever none is on sale; false, never. Refused in production.
    DEMO_SALE: bool.optional(),
    // Tickets (tickets): Ed25519 seeds signing QR payloads, "id:<base64 32 bytes>,…"; the first
    // signs, all verify (rotation). Scanners hold only the public keys.
    TICKET_SIGNING_KEYS: z
      .string()
      .default(DEV_TICKET_SIGNING_KEYS)
      .refine(
        (v) =>
          v.split(',').every((entry) => {
            const [id, key] = entry.trim().split(':');
            return !!id && !!key && Buffer.from(key, 'base64').length === 32;
          }),
        { message: 'must be "<id>:<base64 of 32 bytes>", comma-separated, first signs' },
      ),

    // Wallet passes (wallet, E9-F4). Apple: the pass type certificate and key, Apple's WWDR
    // intermediate (each PEM text or a path to the PEM file), and the secret the passes'
    // authentication tokens are derived from. Unset: the wallet routes answer 503.
    APPLE_PASS_TYPE_IDENTIFIER: z.string().min(1).default('pass.hr.hns.ulaznice'),
    APPLE_PASS_TEAM_IDENTIFIER: z.string().min(1).optional(),
    APPLE_PASS_CERT: z.string().min(1).optional(),
    APPLE_PASS_KEY: z.string().min(1).optional(),
    APPLE_PASS_KEY_PASSPHRASE: z.string().min(1).optional(),
    APPLE_PASS_WWDR_CERT: z.string().min(1).optional(),
    APPLE_PASS_AUTH_SECRET: z.string().min(32).optional(),
    // The pass web service Apple devices call (register, updates); default PUBLIC_BASE_URL/wallet/apple.
    APPLE_PASS_WEB_SERVICE_URL: z.url().optional(),
    // APNs (token-based): the .p8 key (PEM text or path), its key id; the team is the pass's.
    APNS_KEY: z.string().min(1).optional(),
    APNS_KEY_ID: z.string().min(1).optional(),
    APNS_URL: z.url().default('https://api.push.apple.com'),
    // Google Wallet: the issuer id and a service account (JSON text or path) allowed to issue.
    GOOGLE_WALLET_ISSUER_ID: z.string().regex(/^\d+$/).optional(),
    GOOGLE_WALLET_SERVICE_ACCOUNT_JSON: z.string().min(1).optional(),
    GOOGLE_WALLET_BASE_URL: z.url().default('https://walletobjects.googleapis.com'),
    GOOGLE_WALLET_TOKEN_URL: z.url().optional(),
    GOOGLE_WALLET_ORIGINS: csv.default([]),
    // Away-match PDFs from the host federation (wallet, E9-F6): upload and zip limits.
    AWAY_PDF_MAX_BYTES: positiveInt.default(20 * 1_048_576),
    AWAY_PDF_MAX_ZIP_ENTRIES: positiveInt.default(500),
    AWAY_PDF_MAX_UNZIPPED_BYTES: positiveInt.default(100 * 1_048_576),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.NODE_ENV !== 'production') return;
    if (cfg.JWT_SECRETS.includes(DEV_JWT_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRETS'],
        message: 'must be set to a real secret in production',
      });
    }
    if (cfg.DEMO_SALE) {
      ctx.addIssue({ code: 'custom', path: ['DEMO_SALE'], message: 'is for development only' });
    }
    if (!cfg.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'is required in production (the embedded PostgreSQL is for development)',
      });
    }
    // Notifications and audit must not silently go nowhere in production.
    for (const name of ['SMTP_URL', 'LOKI_URL', 'ERACUNI_URL'] as const) {
      if (!cfg[name]) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is required in production' });
      }
    }
    if (
      cfg.PII_KEYS.includes(DEV_PII_KEYS) ||
      cfg.PII_BLIND_INDEX_KEY === DEV_PII_BLIND_INDEX_KEY
    ) {
      ctx.addIssue({
        code: 'custom',
        path: [cfg.PII_KEYS.includes(DEV_PII_KEYS) ? 'PII_KEYS' : 'PII_BLIND_INDEX_KEY'],
        message: 'must be set to real keys in production',
      });
    }
    for (const [name, dev] of [
      ['STRIPE_API_KEY', DEV_STRIPE_API_KEY],
      ['STRIPE_WEBHOOK_SECRET', DEV_STRIPE_WEBHOOK_SECRET],
      ['TICKET_SIGNING_KEYS', DEV_TICKET_SIGNING_KEYS],
      ['ERACUNI_PW', DEV_ERACUNI_CREDENTIALS.password],
      ['ERACUNI_TOKEN', DEV_ERACUNI_CREDENTIALS.token],
    ] as const) {
      if (cfg[name] === dev || cfg[name].includes(dev)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'must be set in production' });
      }
    }
    if (
      !cfg.DRUPAL_USERINFO_URL &&
      !(cfg.DRUPAL_JWKS_URL && cfg.DRUPAL_ISSUER && cfg.DRUPAL_AUDIENCE)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['DRUPAL_USERINFO_URL'],
        message:
          'Drupal SSO is required in production: set it, or DRUPAL_JWKS_URL with DRUPAL_ISSUER and DRUPAL_AUDIENCE',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Parses the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "not set", as in most .env tooling.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const result = configSchema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = typeof issue.path[0] === 'string' ? cleaned[issue.path[0]] : undefined;
      const shown =
        value === undefined || /SECRET|KEY|PASSWORD|TOKEN/.test(name) ? '' : ` (got "${value}")`;
      return `${name}: ${issue.message}${shown}`;
    }),
  );
}
