import { loadConfig } from '../../src/config.ts';
import type { AppDeps } from '../../src/deps.ts';
import { jobDefinitions } from '../../src/modules/index.ts';
import { createTokenService } from '../../src/platform/auth/tokens.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { createDatabase as openDatabase } from '../../src/platform/db/database.ts';
import { migrate } from '../../src/platform/db/migrator.ts';
import { createJobQueue } from '../../src/platform/jobs.ts';
import { createLogger } from '../../src/platform/logging.ts';
import { createRedis } from '../../src/platform/redis.ts';
import { TEST_REDIS_URL } from '../../test/harness/context.ts';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  randomSuffix,
  TEST_DB_PREFIX,
} from '../../test/harness/databases.ts';

export interface BenchWorld {
  deps: AppDeps;
  /** The scratch database's name (e.g. to find its backends in pg_stat_activity). */
  databaseName: string;
  databaseUrl: string;
  redisPrefix: string;
  /** Stops the job queue, closes Redis and the pool, drops the scratch database. */
  close(): Promise<void>;
}

/**
 * A scratch database (migrated, job queues installed) and a Redis prefix of its own, with
 * the dependencies a benchmark needs to seed data and build the app in-process.
 * `pool`: connections of deps.pool (and DATABASE_POOL_MAX); `tokenTtlSeconds`: lifetime of
 * tokens signed with deps.tokens (default 3600); `env`: extra or overriding config
 * variables (e.g. LOG_LEVEL, SMTP_URL, RATE_LIMIT_MAX).
 */
export async function openBenchWorld(options: {
  pool: number;
  tokenTtlSeconds?: number;
  env?: Record<string, string>;
}): Promise<BenchWorld> {
  const name = `${TEST_DB_PREFIX}${Date.now()}_${randomSuffix()}_bench`;
  await createDatabase(name);
  const url = databaseUrl(name);
  const prefix = `bench:${randomSuffix()}:`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    DATABASE_POOL_MAX: String(options.pool),
    ...options.env,
  });
  const logger = createLogger(config.LOG_LEVEL);
  const handle = openDatabase(url, options.pool);
  const redis = createRedis(TEST_REDIS_URL, prefix);
  const jobs = createJobQueue({
    connectionString: url,
    schema: config.JOBS_SCHEMA,
    logger,
    supervise: false,
    max: 4,
  });
  const tokens = createTokenService({
    secrets: config.JWT_SECRETS,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: options.tokenTtlSeconds ?? 3600,
  });
  const close = async () => {
    await jobs.stop({ graceful: false }).catch(() => undefined);
    await redis.quit().catch(() => redis.disconnect());
    await handle.close();
    await dropDatabase(name);
  };
  try {
    await migrate(url);
    await jobs.start();
    await jobs.install(jobDefinitions({ logger } as AppDeps));
  } catch (err) {
    await close();
    throw err;
  }
  const deps: AppDeps = {
    config,
    db: handle.db,
    pool: handle.pool,
    redis,
    jobs,
    clock: systemClock,
    logger,
    tokens,
  };
  return { deps, databaseName: name, databaseUrl: url, redisPrefix: prefix, close };
}
