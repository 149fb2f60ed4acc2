import pg from 'pg';

/**
 * The SQL statements (begin/commit included) node-postgres sends while `fn` runs, in this
 * process: for tests that pin the round trips of a hot path.
 */
export async function statementsOf<T>(fn: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
  const sql: string[] = [];
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const real = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0] as string | { text: string };
    sql.push((typeof q === 'string' ? q : q.text).trim());
    return real.apply(this, args);
  };
  try {
    return { result: await fn(), sql };
  } finally {
    proto.query = real;
  }
}
