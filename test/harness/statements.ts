import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

const counting = new AsyncLocalStorage<string[]>();

/**
 * The SQL statements (begin/commit included) node-postgres sends on behalf of `fn`: for
 * tests that pin the round trips of a hot path. Only statements sent from `fn`'s own
 * asynchronous context count, so the process's background loops (the revocation sync,
 * pg-boss, the outbox loops) that happen to run meanwhile are not counted: on a loaded
 * machine they made the count flaky. `{ everywhere: true }` counts every statement the
 * process sends meanwhile, for tests that measure what background work costs.
 */
export async function statementsOf<T>(
  fn: () => Promise<T>,
  options: { everywhere?: boolean } = {},
): Promise<{ result: T; sql: string[] }> {
  const sql: string[] = [];
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const real = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0] as string | { text: string };
    const into = options.everywhere ? sql : counting.getStore();
    into?.push((typeof q === 'string' ? q : q.text).trim());
    return real.apply(this, args);
  };
  try {
    return { result: await counting.run(sql, fn), sql };
  } finally {
    proto.query = real;
  }
}

/** The statements with their whitespace collapsed, for comparing their shapes. */
export const normalised = (statements: string[]) => statements.map((s) => s.replace(/\s+/g, ' '));

/**
 * Runs `hook` just before the first statement matching `pattern` that node-postgres sends
 * while `fn` runs, in this process: for tests that stage a crash or a race at one step.
 */
export async function hookBefore<T>(
  pattern: RegExp,
  hook: () => Promise<void>,
  fn: () => Promise<T>,
): Promise<T> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const real = proto.query;
  let fired = false;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0] as string | { text: string };
    if (fired || !pattern.test((typeof q === 'string' ? q : q.text).trim())) {
      return real.apply(this, args);
    }
    fired = true;
    return hook().then(() => real.apply(this, args));
  };
  try {
    return await fn();
  } finally {
    proto.query = real;
  }
}
