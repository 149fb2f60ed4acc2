import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config.ts';
import { jobDefinitions } from '../../src/modules/index.ts';
import type { AppDeps } from '../../src/deps.ts';
import { migrate } from '../../src/platform/db/migrator.ts';
import { createJobQueue } from '../../src/platform/jobs.ts';
import { createLogger } from '../../src/platform/logging.ts';
import {
  TEST_DB_PREFIX,
  createDatabase,
  databaseUrl,
  dropDatabase,
  randomSuffix,
  withAdmin,
} from './databases.ts';
import { startTestServices } from './services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

const STALE_AFTER_MS = 3 * 60 * 60 * 1000;

/** Drops test databases that earlier, interrupted runs left behind. */
async function dropStaleDatabases(): Promise<void> {
  const names = await withAdmin(async (c) =>
    (
      await c.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE '${TEST_DB_PREFIX}%'`,
      )
    ).rows.map((r) => r.datname),
  );
  for (const name of names) {
    const stamp = Number(name.slice(TEST_DB_PREFIX.length).split('_')[0]);
    if (Number.isFinite(stamp) && Date.now() - stamp > STALE_AFTER_MS)
      await dropDatabase(name).catch(() => {});
  }
}

/** Once per `vitest run`: a migrated template database with the job queues installed. */
export default async function setup(project: TestProject) {
  const services = await startTestServices();
  // The forked test workers start after this and inherit the environment.
  process.env.TEST_DATABASE_URL = services.databaseUrl;
  process.env.TEST_REDIS_URL = services.redisUrl;
  await dropStaleDatabases();
  const template = `${TEST_DB_PREFIX}${Date.now()}_${randomSuffix()}_tpl`;
  await createDatabase(template);
  const url = databaseUrl(template);
  await migrate(url);

  const logger = createLogger('silent');
  const jobs = createJobQueue({
    connectionString: url,
    schema: loadConfig({ NODE_ENV: 'test' }).JOBS_SCHEMA,
    logger,
    supervise: false,
    max: 1,
  });
  await jobs.start();
  // Job factories only read names and options here; handlers never run in the template.
  await jobs.install(jobDefinitions({ logger } as AppDeps));
  await jobs.stop({ graceful: false });

  project.provide('templateDatabase', template);
  return async () => {
    await dropDatabase(template);
    await services.stop();
  };
}
