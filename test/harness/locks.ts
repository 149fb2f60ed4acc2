import { sql } from 'kysely';
import type { Executor } from '../../src/platform/db/database.ts';

/** Waits until `n` backends of `db`'s database wait on a lock (for tests that stage a race). */
export async function lockWaiters(db: Executor, n: number): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db);
    if (rows[0]!.n >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${n} backends waiting on a lock`);
}
