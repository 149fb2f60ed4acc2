import type { Config } from '../../config.ts';
import type { AppDeps } from '../../deps.ts';
import { jobDefinitions } from '../../modules/index.ts';
import { closeReportReaders } from '../../modules/reports/report-reader.ts';
import { createTokenService } from '../auth/tokens.ts';
import { systemClock } from '../clock.ts';
import { createDatabase } from '../db/database.ts';
import { migrate } from '../db/migrator.ts';
import { createJobQueue } from '../jobs.ts';
import type { Logger } from '../logging.ts';
import { createRedis } from '../redis.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { resolveRedis } from './local-redis.ts';

export interface Runtime {
  deps: AppDeps;
  databaseUrl: string;
  /** Closes everything this runtime opened, in reverse order. */
  close(): Promise<void>;
}

/**
 * Connects a process to its PostgreSQL and Redis (starting local ones in development when
 * none is configured), migrates, and builds the shared dependencies.
 */
export async function createRuntime(
  config: Config,
  logger: Logger,
  options: {
    supervise: boolean;
    migrate?: boolean;
    /** A server or worker (not a one-off CLI command): it adopts an orphaned embedded PostgreSQL. */
    longRunning?: boolean;
  },
): Promise<Runtime> {
  const closers: Array<() => Promise<unknown>> = [];
  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres({
        dataDir: config.DATA_DIR,
        port: config.EMBEDDED_PG_PORT,
        logger,
        adoptOrphan: options.longRunning ?? false,
      });
      closers.push(embedded.stop);
      databaseUrl = embedded.url;
    }
    const redisTarget = await resolveRedis(
      config.REDIS_URL,
      config.DATA_DIR,
      config.EMBEDDED_REDIS_PORT,
      logger,
    );
    closers.push(redisTarget.stop);

    if (options.migrate !== false) {
      await migrate(databaseUrl, (m) => logger.info(m));
    }
    const database = createDatabase(
      databaseUrl,
      config.DATABASE_POOL_MAX,
      config.DATABASE_CONNECT_TIMEOUT_MS,
    );
    closers.push(database.close);
    // The reports' replica pools, opened on first use (modules/reports/report-reader.ts).
    closers.push(closeReportReaders);
    const redis = createRedis(redisTarget.url, config.REDIS_KEY_PREFIX);
    closers.push(async () => redis.quit().catch(() => redis.disconnect()));
    const jobs = createJobQueue({
      connectionString: databaseUrl,
      schema: config.JOBS_SCHEMA,
      logger,
      supervise: options.supervise,
    });
    await jobs.start();
    closers.push(() => jobs.stop({ graceful: true, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }));

    const deps: AppDeps = {
      config,
      db: database.db,
      pool: database.pool,
      redis,
      jobs,
      clock: systemClock,
      logger,
      tokens: createTokenService({
        secrets: config.JWT_SECRETS,
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      }),
    };
    await jobs.install(jobDefinitions(deps));

    return {
      deps,
      databaseUrl,
      async close() {
        for (const close of closers.reverse()) {
          await close().catch((err) => logger.warn({ err }, 'error while closing'));
        }
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw err;
  }
}
