import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomSuffix } from '../../test/harness/databases.ts';

const run = promisify(execFile);

/**
 * The physical floor of a seat claim on this PostgreSQL (../shared/bench/bare-claim.sh in a
 * scratch database of its own, so runs of several people do not drop each other's): a bare
 * 4-seat claim with FOR UPDATE SKIP LOCKED and a durable commit, pgbench with `clients`
 * clients over the Unix socket for `seconds`, on 400,000 seats in 40 sectors with a partial
 * index on free seats. The ratios divide by this rate. Null when pgbench is missing
 * or the shared server had no connections to spare four times.
 */
export async function bareClaimLimit(
  opts: { seconds?: number; clients?: number; socketDir?: string; port?: number } = {},
): Promise<{ seats_per_second: number; clients: number; seconds: number } | null> {
  const seconds = opts.seconds ?? 15;
  const clients = opts.clients ?? 32;
  const host = opts.socketDir ?? '/var/run/postgresql';
  const port = String(opts.port ?? 5432);
  const db = `bare_claim_${randomSuffix()}`;
  const psql = (database: string, sql: string) =>
    run('psql', ['-qX', '-h', host, '-p', port, '-U', 'postgres', '-d', database, '-c', sql]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bare-claim-'));
  try {
    await psql('postgres', `CREATE DATABASE ${db} TEMPLATE template0`);
    await psql(
      db,
      `CREATE TABLE seats (id serial PRIMARY KEY, sector int NOT NULL, status smallint NOT NULL DEFAULT 0, holder int);
       INSERT INTO seats (sector) SELECT g % 40 FROM generate_series(1, 400000) g;
       CREATE INDEX seats_free ON seats (sector, id) WHERE status = 0;`,
    );
    await psql(db, 'VACUUM ANALYZE seats');
    const script = path.join(dir, 'claim.sql');
    await writeFile(
      script,
      `\\set h random(1, 1000000)
\\set s random(0, 39)
UPDATE seats SET status = 1, holder = :h WHERE id IN (SELECT id FROM seats WHERE sector = :s AND status = 0 ORDER BY id LIMIT 4 FOR UPDATE SKIP LOCKED);
`,
    );
    // The server is shared: when it has no connections to spare ("too many clients"), wait
    // and try again rather than lose the run's other figures.
    const pgbench = async (attempt = 1): Promise<{ stdout: string }> => {
      try {
        return await pgbenchOnce();
      } catch (err) {
        if (attempt >= 4 || (err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
        await new Promise((r) => setTimeout(r, 5_000 * attempt));
        return pgbench(attempt + 1);
      }
    };
    const pgbenchOnce = () =>
      run('pgbench', [
        '-n',
        '-h',
        host,
        '-p',
        port,
        '-U',
        'postgres',
        '-c',
        String(clients),
        '-j',
        '2',
        '-T',
        String(seconds),
        '-M',
        'prepared',
        '-f',
        script,
        db,
      ]);
    const { stdout } = await pgbench();
    const tps = Number(/^tps = ([0-9.]+)/m.exec(stdout)?.[1] ?? NaN);
    if (!Number.isFinite(tps)) throw new Error(`pgbench said: ${stdout.slice(-400)}`);
    return { seats_per_second: Math.round(4 * tps), clients, seconds };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      console.error(`bare claim failed: ${(err as Error).message.slice(0, 300)}`);
    }
    return null;
  } finally {
    await psql('postgres', `DROP DATABASE IF EXISTS ${db}`).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}
