import { sql } from 'kysely';
import type { Database } from '../../src/platform/db/database.ts';

/**
 * Stands in for PostgreSQL's autovacuum while a benchmark runs on a server that has it off
 * (this machine's PostgreSQL is configured `autovacuum = off` for CI; production runs it).
 * Without it, tables that grow from empty during the on-sale never get statistics and
 * never get vacuumed: the plans each pooled connection caches early (while `orders` or
 * `ticket_holders` were a page or two) keep scanning whole tables minutes later, and dead
 * row versions of the seats pile up. Measured in one Rujevica run without it: `orders`
 * read sequentially 969 times (918,000 rows) in two minutes.
 *
 * Every naptime it applies autovacuum's own rules (PostgreSQL 15 defaults) to the
 * database's tables: ANALYZE when the rows changed since the last analyze exceed
 * 50 + 10 % of the table, VACUUM when dead rows exceed 50 + 20 %, or rows inserted since
 * the last vacuum exceed 1,000 + 20 %. An ANALYZE also invalidates the cached plans that
 * use the table, as autovacuum's does.
 */
export interface AutovacuumStandIn {
  /** Runs done, tables analyzed and vacuumed so far. */
  stats(): { runs: number; analyzed: number; vacuumed: number };
  stop(): Promise<void>;
}

export async function autovacuumIsOff(db: Database): Promise<boolean> {
  const { rows } = await sql<{ autovacuum: string }>`SHOW autovacuum`.execute(db);
  return rows[0]?.autovacuum === 'off';
}

interface TableActivity {
  table: string;
  reltuples: number;
  n_mod_since_analyze: number;
  n_dead_tup: number;
  n_ins_since_vacuum: number;
}

export function startAutovacuumStandIn(db: Database, naptimeMs = 60_000): AutovacuumStandIn {
  const counts = { runs: 0, analyzed: 0, vacuumed: 0 };
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const pass = async () => {
    const { rows } = await sql<TableActivity>`
      SELECT format('%I.%I', s.schemaname, s.relname) AS table,
             greatest(c.reltuples, 0)::float8 AS reltuples,
             s.n_mod_since_analyze::float8 AS n_mod_since_analyze,
             s.n_dead_tup::float8 AS n_dead_tup,
             s.n_ins_since_vacuum::float8 AS n_ins_since_vacuum
        FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid`.execute(db);
    for (const t of rows) {
      if (stopped) return;
      const vacuum =
        t.n_dead_tup > 50 + 0.2 * t.reltuples || t.n_ins_since_vacuum > 1_000 + 0.2 * t.reltuples;
      const analyze = t.n_mod_since_analyze > 50 + 0.1 * t.reltuples;
      if (!vacuum && !analyze) continue;
      const verb = vacuum && analyze ? 'VACUUM (ANALYZE)' : vacuum ? 'VACUUM' : 'ANALYZE';
      await sql.raw(`${verb} ${t.table}`).execute(db);
      if (vacuum) counts.vacuumed++;
      if (analyze) counts.analyzed++;
    }
    counts.runs++;
  };

  const timer = setInterval(() => {
    running = running.then(pass).catch(() => undefined);
  }, naptimeMs);

  return {
    stats: () => ({ ...counts }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
