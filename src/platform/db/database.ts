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
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // A connection the server ends (restart, failover, pg_terminate_backend: 57P01) emits
    // 'error' on its client. The pool listens only while the client is idle; a client checked
    // out between two statements of a transaction has no other listener, and an unheard
    // 'error' event exits the process. The client is left unqueryable, its next statement
    // rejects (answered 503 SERVICE_BUSY), and the pool discards it on release.
    this.on('error', () => {});
  }

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

/**
 * The database could not be reached or ended the connection: PostgreSQL shutting down or
 * restarting (57P01-57P03), connection exceptions (class 08), and the socket errors of
 * node-postgres. Such a failure says nothing about the request: the caller may retry.
 */
const UNAVAILABLE_CODES = new Set([
  '57P01', // admin_shutdown: terminating connection due to administrator command
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the database system is starting up / shutting down
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|Connection terminated unexpectedly)/;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, message, cause, syscall } = e as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      syscall?: unknown;
    };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    // Over the Unix socket, a stopped server is a missing socket file.
    if (code === 'ENOENT' && syscall === 'connect') return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    // AggregateError: net.connect tried several addresses (IPv4 and IPv6 of localhost).
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((x) => isDatabaseUnavailable(x))) return true;
    e = cause;
  }
  return false;
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
