import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { DB } from './types.generated.ts';

// bigint (count(*), sums of cents) as a JS number: every value we store fits in 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// A SQL `date` is a calendar day, not an instant: keep it as 'YYYY-MM-DD'.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export type Database = Kysely<DB>;
export type Tx = Transaction<DB>;
/** Either the pool or an open transaction: repos accept both. */
export type Executor = Kysely<DB> | Transaction<DB>;

export interface DatabaseHandle {
  db: Database;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * Parameterised statements run as named prepared statements, one per distinct SQL text and
 * connection: PostgreSQL then parses and plans each statement once per connection rather
 * than on every call. Planning was a fifth of the database's time in the on-sale benchmark
 * (the claim statement alone took 1.7 ms to plan). The name is derived from the text, so a
 * name never stands for two texts. Statements without parameters (DDL, multi-statement
 * scripts) keep the simple protocol.
 */
const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 5_000;
/**
 * Texts that stopped working prepared: a migration changed the row shape of a table the
 * statement reads (`SELECT *` after ADD COLUMN), and PostgreSQL refuses the cached plan
 * ("cached plan must not change result type", 0A000). That call fails once; the text then
 * runs unnamed in this process from then on.
 */
const unprepared = new Set<string>();
const CACHED_PLAN_CHANGED = '0A000';

function statementName(text: string): string | undefined {
  if (unprepared.has(text)) return undefined;
  let name = statementNames.get(text);
  if (name === undefined) {
    // Dynamic IN lists make new texts; past the cap, statements simply run unnamed.
    if (statementNames.size >= MAX_NAMED_STATEMENTS) return undefined;
    name = `hns_${createHash('sha1').update(text).digest('base64url')}`;
    statementNames.set(text, name);
  }
  return name;
}

class PreparingClient extends pg.Client {
  // pg's query() is heavily overloaded; only (text, values) calls are rewritten.
  override query(...args: unknown[]): never {
    const [text, values, callback] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0) {
      const name = statementName(text);
      if (name) {
        const result = (super.query as (...a: unknown[]) => unknown)(
          { name, text, values },
          callback,
        );
        if (result instanceof Promise) {
          return result.catch((err: { code?: string }) => {
            if (err?.code === CACHED_PLAN_CHANGED) unprepared.add(text);
            throw err;
          }) as never;
        }
        return result as never;
      }
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

export function createDatabase(
  connectionString: string,
  max = 20,
  connectTimeoutMs = 10_000,
): DatabaseHandle {
  const pool = new pg.Pool({
    Client: PreparingClient,
    connectionString,
    max,
    // How long a request may wait for a free connection before it is shed with 503.
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: 'hns-ticketing',
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    // Kysely's destroy() ends the pool it was given.
    close: () => db.destroy(),
  };
}
