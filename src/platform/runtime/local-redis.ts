import { spawn, spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../logging.ts';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Whether a Redis answers PING at `url` (no retries: a probe, not a connection). */
export async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * REDIS_URL when given. Otherwise the default local Redis, or, if nothing answers there and
 * `redis-server` is installed, a private one under <DATA_DIR>/redis that stops with us.
 */
export async function resolveRedis(
  configured: string | undefined,
  dataDir: string,
  fallbackPort: number,
  logger: Logger,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const noop = async () => {};
  if (configured) return { url: configured, stop: noop };
  if (await redisAnswers(DEFAULT_REDIS_URL)) return { url: DEFAULT_REDIS_URL, stop: noop };

  const url = `redis://127.0.0.1:${fallbackPort}`;
  if (await redisAnswers(url)) return { url, stop: noop };
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(
      `No Redis answers at ${DEFAULT_REDIS_URL} and redis-server is not installed. ` +
        'Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) ' +
        'or set REDIS_URL to a running Redis.',
    );
  }
  return startPrivateRedis(fallbackPort, path.resolve(dataDir, 'redis'), logger);
}

/**
 * A `redis-server` of our own on `port` (no persistence, files in `dir`), in its own
 * process group so Ctrl-C does not stop it before the app has drained; `stop` waits for
 * it to exit.
 */
export async function startPrivateRedis(
  port: number,
  dir: string,
  logger: Logger,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const url = `redis://127.0.0.1:${port}`;
  await mkdir(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore', detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; i < 50 && !(await redisAnswers(url)); i++)
    await new Promise((r) => setTimeout(r, 100));
  if (!(await redisAnswers(url))) {
    await stop();
    throw new Error(`started redis-server on port ${port} but it does not answer`);
  }
  logger.info({ url }, 'started a private redis-server');
  return { url, stop };
}
