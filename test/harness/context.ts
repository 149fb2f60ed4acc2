import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { AppDeps } from '../../src/deps.ts';
import type { Role } from '../../src/platform/auth/roles.ts';
import { createTokenService } from '../../src/platform/auth/tokens.ts';
import { FakeClock } from '../../src/platform/clock.ts';
import { createDatabase as openDatabase } from '../../src/platform/db/database.ts';
import { createJobQueue, type JobDefinition, type JobQueue } from '../../src/platform/jobs.ts';
import { createLogger } from '../../src/platform/logging.ts';
import { createRedis } from '../../src/platform/redis.ts';
import { runSeeds, type Seed } from '../../src/platform/seeds.ts';
import {
  TEST_DB_PREFIX,
  createDatabase,
  databaseUrl,
  dropDatabase,
  randomSuffix,
} from './databases.ts';
import { DEFAULT_TEST_REDIS_URL } from './services.ts';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? DEFAULT_TEST_REDIS_URL;
export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123456789';

export interface TestContext {
  deps: AppDeps;
  config: Config;
  clock: FakeClock;
  databaseName: string;
  databaseUrl: string;
  /** The Redis key prefix isolating this test file. */
  redisPrefix: string;
  /** The app, built on first use. */
  app(): Promise<FastifyInstance>;
  /** A second, independent app instance on the same database and Redis (multi-instance tests). */
  newApp(): Promise<FastifyInstance>;
  /** In-process HTTP call; `as` adds a bearer token. */
  request(options: InjectOptions & { token?: string }): Promise<LightMyRequestResponse>;
  /** An access token for a user id with these roles (the user row is not created). */
  token(userId: string, roles?: Role[]): Promise<string>;
  /** Starts a job worker (with maintenance) for these definitions; stopped at close. */
  startWorker(definitions: JobDefinition[]): Promise<JobQueue>;
  close(): Promise<void>;
}

export interface TestContextOptions {
  /** Environment overrides (strings, as in process.env). */
  env?: Record<string, string>;
  /** Reference data to load into this file's database first (e.g. the email templates). */
  seeds?: Seed[];
}

/**
 * A private world for one test file: its own database cloned from the migrated template,
 * its own Redis key prefix, a fake clock, and helpers to build and call the app.
 */
export async function createTestContext(options: TestContextOptions = {}): Promise<TestContext> {
  const template = inject('templateDatabase');
  const suffix = randomSuffix();
  const name = `${TEST_DB_PREFIX}${Date.now()}_${suffix}`;
  await createDatabase(name, template);
  const url = databaseUrl(name);
  const redisPrefix = `test:${suffix}:`;

  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisPrefix,
    JWT_SECRETS: TEST_JWT_SECRET,
    DATABASE_POOL_MAX: '10',
    // Tests change phases, zones and fees and expect the next request to see it; the memo
    // itself is tested with a TTL in test/sales/sale-facts.test.ts.
    SALE_FACTS_TTL_MS: '0',
    ...options.env,
  });
  const logger = createLogger(config.LOG_LEVEL);
  const clock = new FakeClock();
  const database = openDatabase(url, config.DATABASE_POOL_MAX);
  const redis = createRedis(TEST_REDIS_URL, redisPrefix);
  const jobs = createJobQueue({
    connectionString: url,
    schema: config.JOBS_SCHEMA,
    logger,
    supervise: false,
    max: 2,
  });
  await jobs.start();
  const tokens = createTokenService({
    secrets: config.JWT_SECRETS,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    now: () => clock.now(),
  });
  const deps: AppDeps = {
    config,
    db: database.db,
    pool: database.pool,
    redis,
    jobs,
    clock,
    logger,
    tokens,
  };
  if (options.seeds) await runSeeds(options.seeds, deps);

  const apps: FastifyInstance[] = [];
  const workers: JobQueue[] = [];
  let first: Promise<FastifyInstance> | null = null;

  const newApp = async () => {
    const app = await buildApp(deps);
    await app.ready();
    apps.push(app);
    return app;
  };
  const app = () => (first ??= newApp());

  return {
    deps,
    config,
    clock,
    databaseName: name,
    databaseUrl: url,
    redisPrefix,
    app,
    newApp,
    async request({ token, ...inject }) {
      const headers = {
        ...(inject.headers ?? {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      };
      return (await app()).inject({ ...inject, headers });
    },
    token: (userId, roles = ['FAN']) => tokens.sign({ userId, roles }),
    async startWorker(definitions) {
      const worker = createJobQueue({
        connectionString: url,
        schema: config.JOBS_SCHEMA,
        logger,
        supervise: true,
        max: 4,
      });
      await worker.start();
      await worker.install(definitions);
      await worker.work(definitions);
      workers.push(worker);
      return worker;
    },
    async close() {
      for (const a of apps) await a.close();
      for (const w of workers) await w.stop({ graceful: false });
      await jobs.stop({ graceful: false });
      await deleteKeys(redisPrefix);
      await redis.quit().catch(() => redis.disconnect());
      await database.close();
      await dropDatabase(name);
    },
  };
}

async function deleteKeys(prefix: string): Promise<void> {
  const raw = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await raw.del(...keys);
    } while (cursor !== '0');
  } finally {
    raw.disconnect();
  }
}

/**
 * The usual way in: `const t = useTestContext();` at the top of a test file gives a context
 * created before the file's tests and closed after them.
 */
export function useTestContext(options: TestContextOptions = {}): TestContext {
  let ctx: TestContext | undefined;
  beforeAll(async () => {
    ctx = await createTestContext(options);
  });
  afterAll(async () => {
    await ctx?.close();
  });
  return new Proxy({} as TestContext, {
    get(_target, prop) {
      if (!ctx) throw new Error('test context used before beforeAll ran');
      return ctx[prop as keyof TestContext];
    },
  });
}
