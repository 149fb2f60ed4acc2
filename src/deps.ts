import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Config } from './config.ts';
import type { TokenService } from './platform/auth/tokens.ts';
import type { Clock } from './platform/clock.ts';
import type { Database } from './platform/db/database.ts';
import type { JobQueue } from './platform/jobs.ts';
import type { Logger } from './platform/logging.ts';

/**
 * Everything a module needs from the platform, built once per process (src/main.ts) or
 * per test file (test/harness). Services are plain functions/objects built from these.
 */
export interface AppDeps {
  config: Config;
  db: Database;
  pool: pg.Pool;
  redis: Redis;
  jobs: JobQueue;
  clock: Clock;
  logger: Logger;
  tokens: TokenService;
}
