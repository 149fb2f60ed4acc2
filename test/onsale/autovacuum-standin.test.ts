import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { autovacuumIsOff, startAutovacuumStandIn } from '../../bench/lib/autovacuum.ts';
import type { Database } from '../../src/platform/db/database.ts';
import { useTestContext } from '../harness/context.ts';

/** The bench's stand-in for autovacuum (bench/lib/autovacuum.ts) applies autovacuum's rules. */
const t = useTestContext();

const activity = async (db: Database, table: string) => {
  const { rows } = await sql<{ analyzed: boolean; vacuumed: boolean; mods: number }>`
    SELECT last_analyze IS NOT NULL AS analyzed, last_vacuum IS NOT NULL AS vacuumed,
           n_mod_since_analyze::int AS mods
      FROM pg_stat_user_tables WHERE relname = ${table}`.execute(db);
  return rows[0]!;
};

describe('autovacuum stand-in', () => {
  it('analyzes and vacuums a table that grew past the thresholds, and leaves a quiet one alone', async () => {
    const db = t.deps.db;
    await sql`CREATE TABLE standin_busy (id int PRIMARY KEY, v text)`.execute(db);
    await sql`CREATE TABLE standin_quiet (id int PRIMARY KEY)`.execute(db);
    await sql`INSERT INTO standin_busy SELECT g, 'x' FROM generate_series(1, 3000) g`.execute(db);
    await sql`INSERT INTO standin_quiet VALUES (1), (2)`.execute(db);
    // The statistics collector publishes counts at the end of each transaction.
    await sql`SELECT pg_stat_force_next_flush()`.execute(db);

    const standIn = startAutovacuumStandIn(db, 100);
    try {
      for (let i = 0; i < 100 && standIn.stats().runs < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await standIn.stop();
    }
    expect(standIn.stats().runs).toBeGreaterThanOrEqual(1);
    // 3,000 inserted rows: past ANALYZE's 50 + 10 % and VACUUM's insert threshold 1,000 + 20 %
    expect(await activity(db, 'standin_busy')).toMatchObject({ analyzed: true, vacuumed: true });
    expect(await activity(db, 'standin_quiet')).toMatchObject({ analyzed: false, vacuumed: false });
    expect(standIn.stats().analyzed).toBeGreaterThanOrEqual(1);
  });

  it('reports whether the server runs its own autovacuum', async () => {
    const { rows } = await sql<{ autovacuum: string }>`SHOW autovacuum`.execute(t.deps.db);
    expect(await autovacuumIsOff(t.deps.db)).toBe(rows[0]!.autovacuum === 'off');
  });
});
