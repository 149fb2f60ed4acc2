import { Redis } from 'ioredis';
import { buildApp } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import type { AppDeps } from '../../deps.ts';
import { createTokenService } from '../auth/tokens.ts';
import { systemClock } from '../clock.ts';
import { createDatabase } from '../db/database.ts';
import { createJobQueue } from '../jobs.ts';
import { createLogger } from '../logging.ts';

/**
 * The OpenAPI document as the routes describe it. Building the app registers routes only;
 * no connection is opened (the pool and Redis client are lazy and never used here).
 */
export async function generateOpenApiDocument(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  const logger = createLogger('silent');
  const database = createDatabase('postgres://offline.invalid/none', 1);
  const redis = new Redis({ lazyConnect: true });
  const deps: AppDeps = {
    config,
    db: database.db,
    pool: database.pool,
    redis,
    jobs: createJobQueue({
      connectionString: 'postgres://offline.invalid/none',
      schema: 'pgboss',
      logger,
      supervise: false,
    }),
    clock: systemClock,
    logger,
    tokens: createTokenService({
      secrets: config.JWT_SECRETS,
      issuer: 'x',
      audience: 'x',
      ttlSeconds: 60,
    }),
  };
  // Describing the routes needs no database or Redis: nothing follows revocations here.
  const app = await buildApp(deps, { revocations: false });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  redis.disconnect();
  await database.close();
  return `${JSON.stringify(doc, null, 2)}\n`;
}
