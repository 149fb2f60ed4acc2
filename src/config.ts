import { z } from 'zod';

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

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: port.default(3000),
    PUBLIC_BASE_URL: z.url().default('http://localhost:3000'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    DATA_DIR: z.string().min(1).default('./.data'),

    DATABASE_URL: z.url().optional(),
    DATABASE_POOL_MAX: positiveInt.default(20),
    EMBEDDED_PG_PORT: port.default(54329),

    REDIS_URL: z.url().optional(),
    REDIS_KEY_PREFIX: z.string().default('hns:'),
    EMBEDDED_REDIS_PORT: port.default(6380),

    CORS_ORIGINS: csv.default([]),
    BODY_LIMIT_BYTES: positiveInt.default(1_048_576),
    RATE_LIMIT_MAX: positiveInt.default(300),
    RATE_LIMIT_WINDOW_MS: positiveInt.default(60_000),
    TRUST_PROXY: bool.default(false),
    SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),

    JWT_SECRETS: csv
      .default([DEV_JWT_SECRET])
      .refine((keys) => keys.length > 0 && keys.every((k) => k.length >= 32), {
        message: 'each secret must be at least 32 characters',
      }),
    JWT_ISSUER: z.string().min(1).default('hns-ticketing'),
    JWT_AUDIENCE: z.string().min(1).default('hns-ticketing-api'),
    ACCESS_TOKEN_TTL_SECONDS: positiveInt.default(15 * 60),

    JOBS_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/)
      .default('pgboss'),
    WORKER_CONCURRENCY: positiveInt.default(4),
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
    if (!cfg.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'is required in production (the embedded PostgreSQL is for development)',
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
