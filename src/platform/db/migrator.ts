import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

/**
 * Forward-only SQL migrations from db/migrations, applied in file-name order (names start
 * with a UTC timestamp). Each file runs in its own transaction; an advisory lock makes
 * concurrent start-ups (several instances) take turns instead of racing.
 */
export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../../db/migrations');
const LOCK_KEY = 7_310_001; // arbitrary, constant: "hns migrations"

export async function migrate(
  connectionString: string,
  log: (msg: string) => void = () => {},
  dir = MIGRATIONS_DIR,
): Promise<string[]> {
  const client = new pg.Client({ connectionString, application_name: 'hns-migrate' });
  // A connection lost between statements fails the next one (the migration is rolled back);
  // unheard, the 'error' event would exit the process instead.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map(
        (r) => r.name,
      ),
    );
    const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(path.join(dir, file), 'utf8');
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
      log(`applied migration ${file}`);
      applied.push(file);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
