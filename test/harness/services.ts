import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/platform/logging.ts';
import {
  postgresAnswers,
  startEmbeddedPostgres,
} from '../../src/platform/runtime/embedded-postgres.ts';
import { redisAnswers, startPrivateRedis } from '../../src/platform/runtime/local-redis.ts';

/**
 * The PostgreSQL and Redis a test run uses, found or started once in the global setup and
 * handed to the test files through TEST_DATABASE_URL / TEST_REDIS_URL (the forked workers
 * inherit the environment):
 * - PostgreSQL: TEST_DATABASE_URL; `embedded` forces a throwaway embedded PostgreSQL (the
 *   package `npm start` uses); unset, the machine's on 127.0.0.1:5432, else the embedded one.
 * - Redis: TEST_REDIS_URL; unset, 127.0.0.1:6379, else a private `redis-server` on a free
 *   port when one is installed, else the run stops at once saying what to install.
 */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

export interface TestServices {
  databaseUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

export async function startTestServices(
  env: Record<string, string | undefined> = process.env,
  defaults = { redisUrl: DEFAULT_TEST_REDIS_URL },
): Promise<TestServices> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    const databaseUrl = await testDatabase(env.TEST_DATABASE_URL, stops);
    const redisUrl = await testRedis(env.TEST_REDIS_URL, defaults.redisUrl, stops);
    return { databaseUrl, redisUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function testDatabase(configured: string | undefined, stops: Array<() => Promise<void>>) {
  if (configured && configured !== 'embedded') {
    if (await postgresAnswers(configured)) return configured;
    const shown = configured.replace(/\/\/[^@/]*@/, '//…@');
    throw new Error(
      `The tests' PostgreSQL does not answer at TEST_DATABASE_URL=${shown}: start it, unset TEST_DATABASE_URL (the machine's on 127.0.0.1:5432, else an embedded one), or set it to "embedded".`,
    );
  }
  if (!configured && (await postgresAnswers(DEFAULT_TEST_DATABASE_URL)))
    return DEFAULT_TEST_DATABASE_URL;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'hns-test-pg-'));
  const server = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    logger: createLogger('silent'),
    reuseRunning: false,
    ephemeral: true,
  });
  stops.push(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return server.adminUrl;
}

async function testRedis(
  configured: string | undefined,
  defaultUrl: string,
  stops: Array<() => Promise<void>>,
) {
  if (configured) return configured;
  if (await redisAnswers(defaultUrl)) return defaultUrl;
  if (spawnSync('redis-server', ['--version']).status !== 0)
    throw new Error(
      `The tests need Redis: nothing answers at ${defaultUrl} and redis-server is not installed. Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set TEST_REDIS_URL.`,
    );
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hns-test-redis-'));
  const redis = await startPrivateRedis(await freePort(), dir, createLogger('silent'));
  stops.push(async () => {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return redis.url;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
