import type pg from 'pg';
import type { AppDeps } from '../../deps.ts';
import { createDatabase, type Database, type DatabaseHandle } from '../../platform/db/database.ts';

/**
 * Where reports read (E14-F1): the read replica named by DATABASE_REPLICA_URL, else the
 * primary. A report scans whole matches; on a replica it never competes with the sale for
 * the primary's CPU and buffers. One pool per process and URL, opened on first use.
 * Reports only read through it: their own rows (report_export_jobs) go to the primary.
 */
const readers = new Map<string, DatabaseHandle>();

export interface ReportReader {
  db: Database;
  /** For the streamed exports (a cursor holds one connection while it reads). */
  pool: pg.Pool;
}

export function reportReader(deps: Pick<AppDeps, 'db' | 'pool' | 'config'>): ReportReader {
  const url = deps.config.DATABASE_REPLICA_URL;
  if (!url) return { db: deps.db, pool: deps.pool };
  let handle = readers.get(url);
  if (!handle) {
    handle = createDatabase(
      url,
      deps.config.DATABASE_REPLICA_POOL_MAX,
      deps.config.DATABASE_CONNECT_TIMEOUT_MS,
    );
    readers.set(url, handle);
  }
  return { db: handle.db, pool: handle.pool };
}

/** Ends the replica pools (process shutdown, end of a test file). */
export async function closeReportReaders(): Promise<void> {
  const open = [...readers.values()];
  readers.clear();
  await Promise.all(open.map((h) => h.close()));
}
